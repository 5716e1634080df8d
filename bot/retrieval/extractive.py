"""Extractive answers: the best few sentences of the top passages, stitched in order, each cited [n]."""

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage

MAX_SENTENCES = 4
MAX_ANSWER_CHARS = 700
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "approx.", "cf.", "Dr.", "Mr.", "Ms.", "No.", "U.S.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9*_])")
_MARKDOWN_NOISE = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return _MARKDOWN_NOISE.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences; list items and table rows count as sentences of their own."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)|\n(?=\s*\|)", text):
        line = re.sub(r"\s+", " ", block).strip()
        line = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", line)
        if not line or re.fullmatch(r"[|\-: ]+", line):
            continue
        protected = line
        for abbreviation in _ABBREVIATIONS:
            protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
        sentences.extend(s.replace("\x00", ".").strip() for s in _SENTENCE_END.split(protected) if s.strip())
    return sentences


# Text addressed to an assistant rather than to a reader: planted instructions are never quoted.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|guidelines)\b"
    r"|\byou are now\b|\b(reply|respond|answer|output) only with\b|(^|\s)(system|assistant)\s*:"
    r"|</?\s*(passage|passages|system|instructions?)\b",
    re.IGNORECASE,
)


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence speaks to an AI assistant (a prompt injection) instead of informing a reader."""
    return bool(_INSTRUCTION.search(sentence))


# ---- what a sentence offers

# A number ("4,000", "1.4", "59") or a spelled-out duration ("nine months").
_FIGURE = re.compile(
    r"\d(?:[\d,.]*\d)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+"
    r"(?:minutes?|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
# Where a fact comes from, or where to read more: worth quoting only when the question asks for it.
_REFERENCE = re.compile(
    r"^\(?sources?\b|^our source material\b|^(see )?the ([\w-]+ ){1,3}file\b|^the file (on|about)\b",
    re.IGNORECASE,
)
# "Model collapse happens when...", "A data flywheel is...": the words before the verb are its subject.
_DEFINER = re.compile(r"^(.{3,60}?)\s+(is|are|was|were|means|describes|happens|refers to)\b", re.IGNORECASE)
_SUBJECT_WORDS = 5
# A sentence that leans on the one before it ("They also...", "This is why...") reads badly alone.
_DEPENDENT = re.compile(
    r"^(it|its|this|that|these|those|they|their|them|such|he|she|his|her|then|so|but|also|however"
    r"|second|third|finally|another|both)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """A quotable sentence of a passage and what the selection needs to know about it."""

    text: str
    position: int
    terms: frozenset[str]
    subject_terms: frozenset[str]
    figures: frozenset[str]
    reference: bool
    dependent: bool


def sentence_features(text: str, analyzer: Analyzer) -> tuple[SentenceFeatures, ...]:
    """The quotable sentences of a passage with their features (planted instructions are left out)."""
    features = []
    for position, raw in enumerate(split_sentences(text)):
        plain = _plain(raw)
        if looks_like_instruction(plain):
            continue
        definer = _DEFINER.match(plain)
        subject = definer.group(1) if definer else " ".join(plain.split()[:_SUBJECT_WORDS])
        features.append(
            SentenceFeatures(
                text=plain,
                position=position,
                terms=frozenset(analyzer.terms(plain)),
                subject_terms=frozenset(analyzer.terms(subject)),
                figures=frozenset(m.group(0).lower() for m in _FIGURE.finditer(plain)),
                reference=bool(_REFERENCE.match(plain)),
                dependent=bool(_DEPENDENT.match(plain)),
            )
        )
    return tuple(features)


class SentenceCache:
    """Sentence features per passage text, computed once and reused (the hot path only looks them up).

    Bounded (least recently used entries go first) so a large team corpus cannot grow it without limit.
    Safe to share between threads.
    """

    def __init__(self, analyzer: Analyzer, max_entries: int = 8192) -> None:
        self._analyzer = analyzer
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[SentenceFeatures, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def features(self, passage: Passage) -> tuple[SentenceFeatures, ...]:
        """The sentence features of a passage."""
        return self.features_of_text(passage.text)

    def features_of_text(self, text: str) -> tuple[SentenceFeatures, ...]:
        """The sentence features of a text, computed on first use."""
        with self._lock:
            cached = self._entries.get(text)
            if cached is not None:
                self._entries.move_to_end(text)
                return cached
        computed = sentence_features(text, self._analyzer)
        with self._lock:
            self._entries[text] = computed
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return computed

    def warm(self, texts: Sequence[str]) -> None:
        """Compute the features of texts ahead of the first question (when an index is loaded)."""
        for text in texts[: self._max_entries]:
            self.features_of_text(text)


# ---- what a question asks for

_FIGURE_QUESTION = re.compile(
    r"\b(how (many|much|long|fast|often|big|large|quickly)|numbers?|figures?|stats?|statistics|metrics?|percent"
    r"|percentage|share|ratio|rate|growth|grow|grew|scale|size|volume|latency|cost|per (day|week|month|year)"
    r"|a (day|year)|each (day|year)|when|what year|before and after)\b",
    re.IGNORECASE,
)
_SOURCE_QUESTION = re.compile(
    r"\b(sources?|cited?|citations?|references?|according to|reported|come from|comes from|where did)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    """A question's terms weighed by rarity, and the kind of answer it asks for."""

    weights: dict[str, float]
    wants_figure: bool
    wants_source: bool


def profile_question(
    question: str,
    analyzer: Analyzer,
    idf: Callable[[str], float] | None = None,
    vocabulary: frozenset[str] | None = None,
) -> QuestionProfile:
    """Weigh a question's terms by idf (summing to 1) and note what kind of answer it asks for.

    Only terms in `vocabulary` (when given) are weighed: a word no candidate sentence has cannot be covered,
    so it must not dilute the ones that can.
    """
    terms = set(analyzer.terms(question))
    if vocabulary is not None:
        terms &= vocabulary
    raw = {t: (idf(t) if idf else 1.0) for t in terms}
    total = sum(raw.values()) or 1.0
    return QuestionProfile(
        weights={t: value / total for t, value in raw.items()},
        wants_figure=bool(_FIGURE_QUESTION.search(question)),
        wants_source=bool(_SOURCE_QUESTION.search(question)),
    )


# ---- selection


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a passage, where it sits, and how well it answers."""

    text: str
    passage_index: int
    position: int
    score: float


@dataclass(frozen=True, slots=True)
class SelectionWeights:
    """How sentences are scored for an extractive answer.

    Chosen on the odd-numbered questions of the evaluation set and checked on the even-numbered ones and on
    the held-out dev set (a feature stays only if it helps on questions it was not chosen on).
    """

    rank_step: float = 0.06
    lead_flow: float = 0.2
    flow_decay: float = 0.2
    lead_gap_scale: float = 10.0
    subject: float = 1.0
    follows: float = 0.3
    figure: float = 0.3
    covered_decay: float = 0.6
    duplicate_overlap: float = 0.6
    subsumed_share: float = 0.8
    max_passages: int = 6
    strong_passages: int = 4
    strong_gap: float = 0.3


@dataclass(frozen=True, slots=True)
class _Candidate:
    passage_index: int
    order: int
    features: SentenceFeatures
    prior: float


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _gap(top: Passage, passage: Passage) -> float:
    """How far a passage scores below the top one, as a share of the top score (any retriever's scale)."""
    return (top.score - passage.score) / top.score if top.score > 0 else 0.0


def _usable_passages(passages: Sequence[Passage], w: SelectionWeights) -> list[Passage]:
    """The first `strong_passages`, then further ones only while they score close to the top one."""
    usable = list(passages[: w.strong_passages])
    for passage in passages[w.strong_passages : w.max_passages]:
        if _gap(passages[0], passage) > w.strong_gap:
            break
        usable.append(passage)
    return usable


def choose_sentences(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    idf: Callable[[str], float] | None = None,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_ANSWER_CHARS,
    weights: SelectionWeights = SelectionWeights(),  # noqa: B008 (frozen, shared safely)
    features_of: Callable[[Passage], Sequence[SentenceFeatures]] | None = None,
) -> list[Sentence]:
    """Pick up to `max_sentences` sentences (and `max_chars`) that together answer the question best.

    Greedy: each pick maximises the idf weight of the question terms it covers that earlier picks did not
    (more when they are the sentence's subject), plus priors: the passage's rank, reading order in the top
    passages (a section's opening usually states its point), the sentence right after a pick (the detail,
    example or figure that backs it), a new figure when the question asks for numbers. Near-duplicates are
    skipped; a sentence that leans on the one before it ("They also...") comes with that sentence or not at
    all; source lines and "see the X file" pointers only when the question asks where something comes from.
    """
    if not passages:
        return []
    w = weights
    passages = _usable_passages(passages, w)
    features_of = features_of or (lambda passage: sentence_features(passage.text, analyzer))
    wants_source = bool(_SOURCE_QUESTION.search(question))
    quotable = [[f for f in features_of(p) if wants_source or not f.reference] for p in passages]
    profile = profile_question(question, analyzer, idf, frozenset().union(*(f.terms for fs in quotable for f in fs)))
    candidates: list[_Candidate] = []
    for passage_index, (passage, features) in enumerate(zip(passages, quotable, strict=True)):
        # A passage that shares no word with the question is not quoted (unless none does).
        if profile.weights and not any(f.terms & profile.weights.keys() for f in features):
            continue
        # Reading order counts in the passages that match about as well as the best one.
        lead = w.lead_flow * max(0.0, 1.0 - _gap(passages[0], passage) * w.lead_gap_scale)
        for order, f in enumerate(features):
            prior = lead * max(0.0, 1.0 - order * w.flow_decay) - w.rank_step * passage_index
            candidates.append(_Candidate(passage_index, order, f, prior))
    return _greedy(candidates, profile, w, max_sentences, max_chars)


def _greedy(
    candidates: list[_Candidate], profile: QuestionProfile, w: SelectionWeights, max_sentences: int, max_chars: int
) -> list[Sentence]:
    remaining = dict(profile.weights)
    by_place = {(c.passage_index, c.order): c for c in candidates}
    chosen: dict[tuple[int, int], tuple[_Candidate, float]] = {}
    figures_seen: set[str] = set()
    length = 0

    def gain(c: _Candidate) -> float:
        f = c.features
        score = c.prior + sum(remaining.get(t, 0.0) for t in f.terms)
        score += w.subject * sum(remaining.get(t, 0.0) for t in f.subject_terms)
        if (c.passage_index, c.order - 1) in chosen:
            score += w.follows
        if profile.wants_figure and f.figures - figures_seen:
            score += w.figure
        return score

    def fits(group: list[_Candidate]) -> bool:
        return len(chosen) + len(group) <= max_sentences and (
            not chosen or length + sum(len(c.features.text) + 1 for c in group) <= max_chars
        )

    def restates(longer: SentenceFeatures, shorter: SentenceFeatures) -> bool:
        """`longer` says what `shorter` says (most of its terms, all of its figures), and maybe more."""
        shared = len(shorter.terms & longer.terms)
        return (
            bool(shorter.terms)
            and shared >= w.subsumed_share * len(shorter.terms)
            and shorter.figures <= longer.figures
        )

    def redundant(c: _Candidate) -> bool:
        return any(
            _jaccard(c.features.terms, k.features.terms) >= w.duplicate_overlap or restates(k.features, c.features)
            for k, _ in chosen.values()
        )

    def subsumed_by(c: _Candidate) -> list[tuple[int, int]]:
        """Earlier picks that `c` restates and extends, so they give way to it (unless a pick leans on them)."""
        return [
            key
            for key, (k, _) in chosen.items()
            if restates(c.features, k.features)
            and not ((key[0], key[1] + 1) in chosen and chosen[(key[0], key[1] + 1)][0].features.dependent)
        ]

    pool = list(candidates)
    while pool and len(chosen) < max_sentences:
        best_score, best_index = max((gain(c), i) for i, c in enumerate(pool))
        candidate = pool.pop(best_index)
        group = [candidate]
        before = by_place.get((candidate.passage_index, candidate.order - 1))
        if candidate.features.dependent and before is not None and (before.passage_index, before.order) not in chosen:
            group.insert(0, before)
        if not fits(group) or redundant(candidate):
            continue
        for key in subsumed_by(candidate):
            length -= len(chosen.pop(key)[0].features.text) + 1
        for member in group:
            chosen[(member.passage_index, member.order)] = (member, best_score)
            figures_seen |= member.features.figures
            length += len(member.features.text) + 1
            for term in member.features.terms & remaining.keys():
                remaining[term] *= w.covered_decay
        pool = [c for c in pool if (c.passage_index, c.order) not in chosen]
    return [Sentence(c.features.text, c.passage_index, c.features.position, score) for c, score in chosen.values()]


def stitch(sentences: Sequence[Sentence], citation_of: dict[int, int]) -> str:
    """Join sentences passage by passage (in reading order), ending each passage's run with its [n]."""
    groups: dict[int, list[Sentence]] = {}
    for sentence in sentences:
        groups.setdefault(sentence.passage_index, []).append(sentence)
    paragraphs = []
    for passage_index in sorted(groups, key=lambda i: citation_of[i]):
        run = sorted(groups[passage_index], key=lambda s: s.position)
        text = " ".join(s.text if s.text[-1:] in ".!?:" else f"{s.text}." for s in run)
        paragraphs.append(f"{text} [{citation_of[passage_index]}]")
    return "\n\n".join(paragraphs)


def extractive_answer(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    idf: Callable[[str], float] | None = None,
    renumber: bool = True,
    features_of: Callable[[Passage], Sequence[SentenceFeatures]] | None = None,
) -> tuple[str, list[Passage]]:
    """An answer built only from the passages' own sentences, and the passages it cites.

    With `renumber` the sources are only the passages quoted, numbered 1.. in rank order; without it
    [n] keeps each passage's position in `passages` (to match a list of sources already shown).
    `features_of` looks up precomputed sentence features (a `SentenceCache`); without it they are computed.
    """
    sentences = choose_sentences(question, passages, analyzer, idf=idf, features_of=features_of)
    if not sentences:
        return "", []
    used = sorted({s.passage_index for s in sentences})
    if not renumber:
        return stitch(sentences, {i: i + 1 for i in used}), list(passages)
    citation_of = {passage_index: number for number, passage_index in enumerate(used, start=1)}
    return stitch(sentences, citation_of), [passages[i] for i in used]
