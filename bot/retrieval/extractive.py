"""Extractive answers: the best few sentences of the top passages, stitched in order, each cited [n]."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.retrieval.lexical import Analyzer
from bot.retrieval.models import Passage

MAX_SENTENCES = 4
MAX_SOURCES = 3
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


def _score(sentence: str, query_terms: set[str], analyzer: Analyzer) -> float:
    terms = set(analyzer.terms(sentence))
    if not terms or not query_terms:
        return 0.0
    overlap = len(terms & query_terms) / len(query_terms)
    has_figure = 0.05 if re.search(r"\d", sentence) else 0.0
    too_short = -0.2 if len(sentence) < 25 else 0.0
    return overlap + has_figure + too_short


def choose_sentences(
    question: str,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    *,
    max_sentences: int = MAX_SENTENCES,
) -> list[Sentence]:
    """Pick the sentences that best answer `question`, favouring the better-ranked passages."""
    if not passages:
        return []
    query_terms = set(analyzer.terms(question))
    top_score = passages[0].score
    candidates: list[Sentence] = []
    for passage_index, passage in enumerate(passages):
        # A passage's rank counts: the top passage's sentences win ties against the runners-up.
        passage_weight = 0.35 * max(0.0, 1.0 - (top_score - passage.score) * 5) - 0.08 * passage_index
        for position, sentence in enumerate(split_sentences(passage.text)):
            lead = 0.06 if position == 0 else 0.0
            score = _score(sentence, query_terms, analyzer) + passage_weight + lead
            candidates.append(Sentence(_plain(sentence), passage_index, position, score))
    best = sorted(candidates, key=lambda s: s.score, reverse=True)
    chosen: list[Sentence] = []
    seen: set[str] = set()
    for sentence in best:
        key = sentence.text.lower()
        if key in seen:
            continue
        if chosen and sentence.score < chosen[0].score * 0.45:
            break
        seen.add(key)
        chosen.append(sentence)
        if len(chosen) == max_sentences:
            break
    used = sorted({s.passage_index for s in chosen})[:MAX_SOURCES]
    return [s for s in chosen if s.passage_index in used]


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
    question: str, passages: Sequence[Passage], analyzer: Analyzer, *, renumber: bool = True
) -> tuple[str, list[Passage]]:
    """An answer built only from the passages' own sentences, and the passages it cites.

    With `renumber` the sources are only the passages quoted, numbered 1.. in rank order; without it
    [n] keeps each passage's position in `passages` (to match a list of sources already shown).
    """
    sentences = choose_sentences(question, passages, analyzer)
    if not sentences:
        return "", []
    used = sorted({s.passage_index for s in sentences})
    if not renumber:
        return stitch(sentences, {i: i + 1 for i in used}), list(passages)
    citation_of = {passage_index: number for number, passage_index in enumerate(used, start=1)}
    return stitch(sentences, citation_of), [passages[i] for i in used]
