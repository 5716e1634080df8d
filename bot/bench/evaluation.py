"""Answer quality, measured: recall@1/@3, MRR, fact hits and refusals for each retriever, side by side."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from bot.errors import InputError
from bot.retrieval.extractive import extractive_answer, split_sentences
from bot.retrieval.grounding import SIGNALS as GROUNDING_SIGNALS
from bot.retrieval.grounding import GroundingPolicy
from bot.retrieval.knowledge_base import ANSWER_PASSAGES, KnowledgeBase
from bot.retrieval.models import GLOBAL_SCOPE, Answer, Passage
from bot.retrieval.ranking import Retriever

OUT_OF_SCOPE = "out_of_scope"
BASELINE = "langchain-baseline"
Results = list[tuple[list[Passage], Answer]]
METHODS = (Retriever.BM25.value, Retriever.DENSE.value, Retriever.FUSED.value, Retriever.RRF.value, BASELINE)


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One question with the files that hold its answer and the facts a good answer contains."""

    id: str
    question: str
    kind: str
    expected_sources: tuple[str, ...]
    expected_facts: tuple[str, ...]
    history: tuple[str, ...] = ()

    @property
    def out_of_scope(self) -> bool:
        """Whether the material has no answer (the coach should decline)."""
        return self.kind == OUT_OF_SCOPE


@dataclass(slots=True)
class MethodScores:
    """One retriever's results over the whole set."""

    method: str
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0
    fact_hit: float = 0.0
    point_first: float = 0.0
    """The share of in-scope questions whose answer's first sentence already holds an expected fact."""
    refusal: float = 0.0
    false_refusal: float = 0.0
    median_chars: float = 0.0
    misses: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The scores as plain numbers."""
        return {
            "method": self.method,
            "recall@1": round(self.recall_at_1, 3),
            "recall@3": round(self.recall_at_3, 3),
            "mrr": round(self.mrr, 3),
            "fact_hit": round(self.fact_hit, 3),
            "fact_in_first_sentence": round(self.point_first, 3),
            "median_answer_chars": round(self.median_chars, 1),
            "out_of_scope_refusal": round(self.refusal, 3),
            "in_scope_refusal": round(self.false_refusal, 3),
        }


_QUESTION_KEYS = frozenset({"id", "question", "kind", "expected_sources", "expected_facts", "history"})


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read the evaluation set (a YAML list of questions)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"Cannot read the evaluation set {path}: {error}") from None
    if not isinstance(raw, list) or not raw:
        raise InputError(f"The evaluation set {path} should be a non-empty YAML list of questions.")
    questions = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not str(item.get("question", "")).strip():
            raise InputError(f"Question {number} of {path} has no `question` text.")
        unknown = sorted(set(item) - _QUESTION_KEYS)
        if unknown:
            raise InputError(
                f"Question {number} of {path} has unknown keys {', '.join(unknown)}: use "
                f"{', '.join(sorted(_QUESTION_KEYS))} (out of scope is `kind: {OUT_OF_SCOPE}`)."
            )
        questions.append(
            EvalQuestion(
                id=str(item.get("id", f"q{number:03d}")),
                question=str(item["question"]),
                kind=str(item.get("kind", "fact")),
                expected_sources=tuple(str(s) for s in item.get("expected_sources") or ()),
                expected_facts=tuple(str(f) for f in item.get("expected_facts") or ()),
                history=tuple(str(h) for h in item.get("history") or ()),
            )
        )
    return questions


def _file_name(source: str) -> str:
    return PurePosixPath(source).name


def first_relevant_rank(passages: Sequence[Passage], expected_sources: Sequence[str]) -> int | None:
    """1-based rank of the first passage from an expected file, or None."""
    wanted = {_file_name(s) for s in expected_sources}
    for rank, passage in enumerate(passages, start=1):
        if _file_name(passage.source) in wanted:
            return rank
    return None


def facts_hit(text: str, facts: Sequence[str]) -> bool:
    """Whether every expected fact appears in the answer text (case-insensitively)."""
    lowered = text.lower()
    return all(fact.lower() in lowered for fact in facts)


def point_first(text: str, facts: Sequence[str]) -> bool:
    """Whether the answer's first sentence holds an expected fact (the point comes first); like `facts_hit`,
    true of a question that expects none."""
    sentences = split_sentences(text)
    first = sentences[0].lower() if sentences else ""
    return not facts or any(fact.lower() in first for fact in facts)


def _score(method: str, questions: Sequence[EvalQuestion], results: Results) -> MethodScores:
    scores = MethodScores(method)
    in_scope = [(q, r) for q, r in zip(questions, results, strict=True) if not q.out_of_scope]
    out_of_scope = [(q, r) for q, r in zip(questions, results, strict=True) if q.out_of_scope]
    lengths = [len(answer.text) for _, (_, answer) in in_scope if answer.grounded]
    scores.median_chars = statistics.median(lengths) if lengths else 0.0
    for question, (passages, answer) in in_scope:
        rank = first_relevant_rank(passages, question.expected_sources)
        scores.recall_at_1 += rank == 1
        scores.recall_at_3 += rank is not None and rank <= 3
        scores.mrr += 1.0 / rank if rank else 0.0
        hit = answer.grounded and facts_hit(answer.text, question.expected_facts)
        scores.fact_hit += hit
        scores.point_first += answer.grounded and point_first(answer.text, question.expected_facts)
        scores.false_refusal += not answer.grounded
        if rank != 1 or not hit:
            scores.misses.append(question.id)
    for question, (_, answer) in out_of_scope:
        scores.refusal += not answer.grounded
        if answer.grounded:
            scores.misses.append(question.id)
    if in_scope:
        for name in ("recall_at_1", "recall_at_3", "mrr", "fact_hit", "point_first", "false_refusal"):
            setattr(scores, name, getattr(scores, name) / len(in_scope))
    if out_of_scope:
        scores.refusal /= len(out_of_scope)
    return scores


def _baseline_results(knowledge: KnowledgeBase, questions: Sequence[EvalQuestion]) -> Results:
    """LangChain's plain pipeline: `Chroma(...).as_retriever()` (top 5 by cosine, no gate, never declines).

    Its answer text comes from the same extractive answerer as the coach's, so the comparison is about
    retrieval and grounding, not about answer length.
    """
    retriever = knowledge.store.langchain().as_retriever(search_kwargs={"k": 5, "filter": {"scope": GLOBAL_SCOPE}})
    results = []
    for question in questions:
        documents = retriever.invoke(question.question)
        passages = [
            Passage(
                id=d.id or "",
                text=d.page_content,
                title=d.metadata.get("title", ""),
                section=d.metadata.get("section", ""),
                source=d.metadata.get("source", ""),
                score=1.0 - 0.01 * rank,  # the retriever gives an order, not scores
            )
            for rank, d in enumerate(documents)
        ]
        text, sources = extractive_answer(question.question, passages[:ANSWER_PASSAGES], knowledge.analyzer)
        results.append((passages, Answer(text=text, grounded=bool(passages), sources=sources)))
    return results


def evaluate(
    knowledge: KnowledgeBase, questions: Sequence[EvalQuestion], methods: Sequence[str] = METHODS
) -> list[MethodScores]:
    """Run every question through each method over the shared (global) material and score them."""
    table = []
    for method in methods:
        if method == BASELINE:
            results = _baseline_results(knowledge, questions)
        else:
            retriever = Retriever(method)
            results = []
            for question in questions:
                answer = knowledge.answer_sync(question.question, history=question.history, retriever=retriever)
                results.append((answer.passages, answer))
        table.append(_score(method, questions, results))
    return table


def format_table(table: Sequence[MethodScores]) -> str:
    """The scores as a markdown table (what `flywheel-coach eval` prints and the README shows)."""
    header = (
        "| method | recall@1 | recall@3 | MRR | fact-hit | fact in first sentence | median answer chars "
        "| out-of-scope refused | in-scope refused |"
    )
    rows = [header, "|---|---|---|---|---|---|---|---|---|"]
    for s in table:
        rows.append(
            f"| {s.method} | {s.recall_at_1:.3f} | {s.recall_at_3:.3f} | {s.mrr:.3f} | {s.fact_hit:.3f} "
            f"| {s.point_first:.3f} | {s.median_chars:.0f} | {s.refusal:.3f} | {s.false_refusal:.3f} |"
        )
    return "\n".join(rows)


def format_policy(policy: GroundingPolicy) -> str:
    """The refusal policy in use, as `eval` prints it under the tables."""
    numbers = policy.to_json()
    terms = " ".join(f"{numbers[name]:+.3f}·{name}" for name in GROUNDING_SIGNALS)
    return (
        f"Refusal policy (fitted by `eval --fit`): answer when "
        f"sigmoid({numbers['intercept']:+.3f} {terms}) >= {numbers['threshold']:.3f}, and says the answer is the "
        f"closest the material comes under {numbers['closest_below']}; word-only retrieval answers when the best "
        f"BM25 score >= {numbers['min_bm25']}."
    )
