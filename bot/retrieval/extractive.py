"""Extractive answers: the best few sentences of the top passages, stitched in order, each cited [n]."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage

MAX_SENTENCES = 4
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "approx.", "cf.", "Dr.", "Mr.", "Ms.", "No.", "U.S.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9*_])")
_MARKDOWN_NOISE = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a passage, where it sits, and how well it answers."""

    text: str
    passage_index: int
    position: int
    score: float


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


_NUMERIC_QUESTION = re.compile(
    r"\b(how (many|much|long|fast|often|big)|numbers?|figures?|stats?|statistics|metrics?|percent|rate|when)\b",
    re.IGNORECASE,
)
_WHY_QUESTION = re.compile(r"\bwhy\b", re.IGNORECASE)
_REASON = re.compile(r"\b(because|so that|reason|since|due to|which is why|means)\b", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^\(?source:", re.IGNORECASE)
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


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(frozen=True, slots=True)
class SelectionWeights:
    """How sentences are scored for an extractive answer.

    Tuned by a grid search on the odd-numbered questions of the evaluation set and checked on the
    even-numbered ones (held out), so the printed fact-hit rate is not simply fitted.
    """

    rank_weight: float = 0.2
    rank_step: float = 0.06
    score_gap_scale: float = 5.0
    lead: float = 0.0
    figure: float = 0.25
    reason: float = 0.1
    source_line: float = -0.15
    short: float = -0.15
    covered_decay: float = 0.6
    stop_ratio: float = 0.2
    max_passages: int = 4


def choose_sentences(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    idf: Callable[[str], float] | None = None,
    max_sentences: int = MAX_SENTENCES,
    weights: SelectionWeights = SelectionWeights(),  # noqa: B008 (frozen, shared safely)
) -> list[Sentence]:
    """Pick up to `max_sentences` sentences that together cover the question best.

    Greedy: each pick maximises the idf weight of question terms it covers that earlier picks did not,
    plus a prior for the passage's rank and the sentence's role (a lead sentence, a figure when the
    question asks for one, a reason when it asks why); near-duplicates of a pick are skipped.
    """
    if not passages:
        return []
    w = weights
    query_terms = set(analyzer.terms(question))
    weight_of = {t: (idf(t) if idf else 1.0) for t in query_terms}
    total = sum(weight_of.values()) or 1.0
    remaining = {t: value / total for t, value in weight_of.items()}
    wants_figure = bool(_NUMERIC_QUESTION.search(question))
    wants_reason = bool(_WHY_QUESTION.search(question))
    top_score = passages[0].score
    candidates: list[tuple[Sentence, set[str], float]] = []
    for passage_index, passage in enumerate(passages[: w.max_passages]):
        # A passage's rank counts: the top passage's sentences win ties against the runners-up.
        closeness = max(0.0, 1.0 - (top_score - passage.score) * w.score_gap_scale)
        passage_prior = w.rank_weight * closeness - w.rank_step * passage_index
        for position, raw in enumerate(split_sentences(passage.text)):
            text = _plain(raw)
            if looks_like_instruction(text):
                continue
            prior = passage_prior + (w.lead if position == 0 else 0.0)
            if wants_figure and re.search(r"\d", text):
                prior += w.figure
            if wants_reason and _REASON.search(text):
                prior += w.reason
            if _SOURCE_LINE.match(text):
                prior += w.source_line
            if len(text) < 30:
                prior += w.short
            candidates.append((Sentence(text, passage_index, position, prior), set(analyzer.terms(text)), prior))
    chosen: list[Sentence] = []
    chosen_terms: list[set[str]] = []
    first_score = 0.0
    while candidates and len(chosen) < max_sentences:
        scored = [
            (sum(remaining.get(t, 0.0) for t in terms) + prior, i) for i, (_, terms, prior) in enumerate(candidates)
        ]
        best_score, best_index = max(scored)
        if chosen and best_score < first_score * w.stop_ratio:
            break
        sentence, terms, _ = candidates.pop(best_index)
        if any(_jaccard(terms, earlier) >= 0.6 for earlier in chosen_terms) or sentence.text.lower() in {
            c.text.lower() for c in chosen
        }:
            continue
        if not chosen:
            first_score = best_score
        chosen.append(Sentence(sentence.text, sentence.passage_index, sentence.position, best_score))
        chosen_terms.append(terms)
        for term in terms & remaining.keys():
            remaining[term] *= w.covered_decay
    return chosen


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
) -> tuple[str, list[Passage]]:
    """An answer built only from the passages' own sentences, and the passages it cites.

    With `renumber` the sources are only the passages quoted, numbered 1.. in rank order; without it
    [n] keeps each passage's position in `passages` (to match a list of sources already shown).
    """
    sentences = choose_sentences(question, passages, analyzer, idf=idf)
    if not sentences:
        return "", []
    used = sorted({s.passage_index for s in sentences})
    if not renumber:
        return stitch(sentences, {i: i + 1 for i in used}), list(passages)
    citation_of = {passage_index: number for number, passage_index in enumerate(used, start=1)}
    return stitch(sentences, citation_of), [passages[i] for i in used]
