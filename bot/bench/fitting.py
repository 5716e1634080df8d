"""Fitting the answer's knobs to the evaluation set, so none of them is set by hand.

- Sentence selection: the signal weights are a conditional logit (a softmax over each question's candidate
  sentences) of "this sentence holds an expected fact", fitted on the training set; the support floor and the
  length budget are then the grid point with the most fact hits whose median answer stays under budget.
- Refusals: a logistic regression of "the material answers this" over the in-scope and out-of-scope
  questions, its threshold midway (in log-odds) between the least likely in-scope question and the likeliest
  out-of-scope one below it, so every in-scope training question is answered with a margin (`fit_grounding`).

`flywheel-coach eval --fit` runs both on tests/eval/questions.yaml, checks them on the held-out set and prints
the values, which are then written into `SelectionWeights` and `GroundingPolicy`.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.bench.evaluation import EvalQuestion, facts_hit
from bot.retrieval.extractive import SIGNALS, SelectionWeights, extractive_answer, sentence_signals
from bot.retrieval.grounding import SIGNALS as GROUNDING_SIGNALS
from bot.retrieval.grounding import GroundingPolicy, grounding_signals
from bot.retrieval.knowledge_base import EXTRACTIVE_PASSAGES, KnowledgeBase, Retrieval

MEDIAN_BUDGET = 380
"""The median answer length the fit aims under (the issue asks for at most 400 characters)."""
_STEPS = 3000
_LEARNING_RATE = 0.5
_L2 = 0.01
_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class SelectionFit:
    """Fitted selection weights and what they reach on the set they were fitted on and on a held-out one."""

    weights: SelectionWeights
    train_fact_hit: float
    train_median_chars: float
    held_out_fact_hit: float
    held_out_median_chars: float


def _retrieved(knowledge: KnowledgeBase, questions: Sequence[EvalQuestion]) -> list[tuple[EvalQuestion, Retrieval]]:
    return [(q, knowledge.retrieve_sync(q.question, history=q.history)) for q in questions if not q.out_of_scope]


def _conditional_logit(groups: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Weights w maximising the log-probability, per group, that softmax(X w) picks a positive row."""
    stacked = np.vstack([x for x, _ in groups])
    scale = stacked.std(axis=0)
    scale[scale == 0] = 1.0
    w = np.zeros(stacked.shape[1])
    for _ in range(_STEPS):
        gradient = _L2 * w
        for x, positive in groups:
            z = (x / scale) @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * positive
            q /= q.sum()
            gradient += ((p - q) @ (x / scale)) / len(groups)
        w -= _LEARNING_RATE * gradient
    return w / scale


def _answers(knowledge: KnowledgeBase, items: list[tuple[EvalQuestion, Retrieval]], w: SelectionWeights) -> tuple:
    hits, lengths = 0, []
    for question, retrieval in items:
        text, _ = extractive_answer(
            retrieval.question,
            retrieval.ranking.passages[:EXTRACTIVE_PASSAGES],
            knowledge.analyzer,
            idf=retrieval.idf,
            features_of=knowledge.sentences.features,
            similarity_of=retrieval.similarity_of,
            side_similarity_of=retrieval.part_similarity_of,
            weights=w,
        )
        hits += facts_hit(text, question.expected_facts)
        lengths.append(len(text))
    return hits / max(1, len(items)), statistics.median(lengths) if lengths else 0.0


def fit_selection(
    knowledge: KnowledgeBase,
    train: Sequence[EvalQuestion],
    held_out: Sequence[EvalQuestion],
    *,
    warm_starts: Sequence[SelectionWeights] = (),
) -> SelectionFit:
    """Fit `SelectionWeights` on `train` (in-scope questions) and measure them on `held_out`.

    Coordinate ascent starts from the conditional logit's weights and from each of `warm_starts` (the shipped
    weights, when refitting them: a refit then never does worse on its training questions than what it
    replaces), and the best climb wins.
    """
    train_items = _retrieved(knowledge, train)
    groups = []
    for question, retrieval in train_items:
        candidates = sentence_signals(
            retrieval.question,
            retrieval.ranking.passages[:EXTRACTIVE_PASSAGES],
            knowledge.analyzer,
            idf=retrieval.idf,
            features_of=knowledge.sentences.features,
            similarity_of=retrieval.similarity_of,
        )
        positive = np.array([any(facts_hit(text, [f]) for f in question.expected_facts) for text, _ in candidates])
        if candidates and positive.any():
            groups.append((np.array([signals for _, signals in candidates]), positive.astype(float)))
    coefficients = _conditional_logit(groups)
    fitted: dict[str, Any] = {
        name: _signed(name, round(float(c), 3)) for name, c in zip(SIGNALS, coefficients, strict=True)
    }
    start = replace(SelectionWeights(), **fitted)
    climbs = [_ascend(knowledge, train_items, origin) for origin in (start, *warm_starts)]
    weights = max(climbs, key=lambda w: _objective(knowledge, train_items, w))
    train_hit, train_median = _answers(knowledge, train_items, weights)
    held_hit, held_median = _answers(knowledge, _retrieved(knowledge, held_out), weights) if held_out else (0.0, 0.0)
    return SelectionFit(weights, train_hit, train_median, held_hit, held_median)


def _objective(knowledge: KnowledgeBase, items: list[tuple[EvalQuestion, Retrieval]], w: SelectionWeights) -> float:
    """Fact hits, as long as the median answer stays within budget."""
    fact_hit, median = _answers(knowledge, items, w)
    return fact_hit - max(0.0, median - MEDIAN_BUDGET)


SIGNS = {"similarity": 1, "coverage": 1, "passage_score": 1, "rank": -1}
"""Weights whose direction is known: more meaning, more of the question's words or a better passage never
count against a sentence, and a lower-ranked passage never counts for it (or votes could not move answers)."""


def _signed(name: str, value: float) -> float:
    sign = SIGNS.get(name)
    return max(0.0, value) if sign == 1 else min(0.0, value) if sign == -1 else value


def _moves(weight: float) -> tuple[float, ...]:
    """The values one step of coordinate ascent tries for a weight: scaled, flipped, nudged, or dropped."""
    scaled = (weight * factor for factor in (0.5, 0.8, 1.25, 2.0, -1.0))
    nudged = (weight + step for step in (-1.0, -0.25, 0.25, 1.0))
    return tuple(round(value, 3) for value in (*scaled, *nudged, 0.0))


def _ascend(
    knowledge: KnowledgeBase, items: list[tuple[EvalQuestion, Retrieval]], start: SelectionWeights
) -> SelectionWeights:
    """Coordinate ascent from the logit's weights on the end measure: one knob at a time, kept if it helps."""
    best, best_value = start, _objective(knowledge, items, start)
    grid: dict[str, tuple[float, ...]] = {
        "support_floor": tuple(float(v) for v in np.arange(-4.0, 2.01, 0.5)),
        "max_chars": (300, 340, 380, 420, 460, 500, 540, 620),
        "two_part_max_chars": (380, 420, 440, 460, 480, 500, 520, 540, 620),
        "max_support": (1, 2),  # the point, then at most two sentences behind it: more reads as pasted text
        "covered_decay": (0.2, 0.5, 0.8, 1.0),
    }
    for _ in range(_ROUNDS):
        improved = False
        for name in (*grid, *SIGNALS):
            current = getattr(best, name)
            options = grid.get(name) or tuple(_signed(name, value) for value in _moves(current))
            for option in options:
                change: dict[str, Any] = {name: option}
                candidate = replace(best, **change)
                value = _objective(knowledge, items, candidate)
                if value > best_value + 1e-9:
                    best, best_value, improved = candidate, value, True
        if not improved:
            break
    return best


@dataclass(frozen=True, slots=True)
class GroundingFit:
    """A fitted refusal policy and its refusal rates where it was fitted and on a held-out set."""

    policy: GroundingPolicy
    train_in_scope_refused: float
    train_out_of_scope_refused: float
    held_out_in_scope_refused: float
    held_out_out_of_scope_refused: float


def _grounding_rows(knowledge: KnowledgeBase, questions: Sequence[EvalQuestion]) -> tuple[np.ndarray, np.ndarray]:
    rows, answerable = [], []
    for question in questions:
        retrieval = knowledge.retrieve_sync(question.question, history=question.history)
        rows.append(
            grounding_signals(
                retrieval.query,
                retrieval.ranking,
                knowledge.analyzer,
                retrieval.idf,
                retrieval.best_sentence,
                knowledge.sentences.features,
                knowledge.words.likeness,
                off_topic=retrieval.off_topic,
            )
        )
        answerable.append(not question.out_of_scope)
    return np.array(rows), np.array(answerable, dtype=float)


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Intercept and coefficients of an L2-regularised logistic regression, classes weighed equally."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    sample_weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(_STEPS):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        error = (p - y) * sample_weight
        w -= _LEARNING_RATE * (z.T @ error + _L2 * w)
        b -= _LEARNING_RATE * error.sum()
    coefficients = w / scale
    return float(b - coefficients @ mean), coefficients


def refusal_threshold(answerable: np.ndarray, unanswerable: np.ndarray) -> float:
    """Midway, in log-odds, between the least likely answerable question and the likeliest unanswerable one below
    it (rounded down to 0.001): every answerable question is answered, since wrongly refusing one the material
    answers is the worse mistake (the issue asks for none), and the margin is split evenly between the two
    kinds of question, since the next ones will not fall exactly where these did. Unanswerable questions above
    the least likely answerable one are the policy's misses; they do not move the threshold."""
    if not len(answerable):
        return 0.5
    lowest = float(np.clip(answerable.min(), 1e-6, 1 - 1e-6))
    below = unanswerable[unanswerable < lowest]
    if len(below):
        highest = float(np.clip(below.max(), 1e-6, 1 - 1e-6))
        middle = (math.log(lowest / (1 - lowest)) + math.log(highest / (1 - highest))) / 2
        lowest = 1 / (1 + math.exp(-middle))
    return math.floor(lowest * 1000) / 1000


def fit_grounding(
    knowledge: KnowledgeBase, train: Sequence[EvalQuestion], held_out: Sequence[EvalQuestion]
) -> GroundingFit:
    """Fit `GroundingPolicy` on `train` and measure its refusals on `held_out`.

    The threshold is `refusal_threshold` of the training questions' probabilities.
    """
    x, y = _grounding_rows(knowledge, train)
    intercept, coefficients = _logistic(x, y)
    policy = replace(
        GroundingPolicy(),
        intercept=round(intercept, 3),
        **{name: round(float(c), 3) for name, c in zip(GROUNDING_SIGNALS, coefficients, strict=True)},
    )
    probabilities = np.array([policy.probability(row) for row in x])
    threshold = refusal_threshold(probabilities[y == 1], probabilities[y == 0])
    policy = replace(policy, threshold=threshold)

    def refused(rows: np.ndarray, labels: np.ndarray, answerable: bool) -> float:
        chosen = rows[labels == float(answerable)]
        if not len(chosen):
            return 0.0
        return float(np.mean([policy.probability(row) < policy.threshold for row in chosen]))

    held_x, held_y = _grounding_rows(knowledge, held_out) if held_out else (x[:0], y[:0])
    return GroundingFit(
        policy,
        refused(x, y, True),
        refused(x, y, False),
        refused(held_x, held_y, True),
        refused(held_x, held_y, False),
    )


@dataclass(frozen=True, slots=True)
class FitReport:
    """The fits the coach ships (on both sets) and the cross-checks (fitted on one set, measured on the other)."""

    names: tuple[str, str]
    selection: SelectionFit
    grounding: GroundingFit
    selection_checks: tuple[SelectionFit, SelectionFit]
    grounding_checks: tuple[GroundingFit, GroundingFit]

    def to_json(self) -> dict:
        """The report as plain data."""
        return {
            "selection_weights": {name: getattr(self.selection.weights, name) for name in _SELECTION_FIELDS},
            "refusal_policy": self.grounding.policy.to_json(),
            "checks": [
                {
                    "fitted_on": fitted_on,
                    "measured_on": measured_on,
                    "fact_hit": round(selection.held_out_fact_hit, 3),
                    "median_answer_chars": selection.held_out_median_chars,
                    "in_scope_refused": round(grounding.held_out_in_scope_refused, 3),
                    "out_of_scope_refused": round(grounding.held_out_out_of_scope_refused, 3),
                }
                for (fitted_on, measured_on), selection, grounding in zip(
                    (self.names, self.names[::-1]), self.selection_checks, self.grounding_checks, strict=True
                )
            ],
        }

    def as_text(self) -> str:
        """The report for people: the values to ship, then how each set fares when fitted on the other."""
        data = self.to_json()
        lines = ["Selection weights (SelectionWeights):"]
        lines += [f"    {name}: {type(value).__name__} = {value}" for name, value in data["selection_weights"].items()]
        lines.append("Refusal policy (GroundingPolicy):")
        lines += [f"    {name}: float = {value}" for name, value in data["refusal_policy"].items()]
        lines.append("")
        lines.append(
            "| fitted on | measured on | fact-hit (answer text) | median chars | in-scope refused "
            "| out-of-scope refused |"
        )
        lines.append("|---|---|---|---|---|---|")
        for check in data["checks"]:
            lines.append(
                f"| {check['fitted_on']} | {check['measured_on']} | {check['fact_hit']:.3f} "
                f"| {check['median_answer_chars']:.0f} | {check['in_scope_refused']:.3f} "
                f"| {check['out_of_scope_refused']:.3f} |"
            )
        return "\n".join(lines)


_SELECTION_FIELDS = (*SIGNALS, "support_floor", "covered_decay", "max_support", "max_chars", "two_part_max_chars")


def fit_report(
    knowledge: KnowledgeBase,
    first: tuple[Path, Sequence[EvalQuestion]],
    second: tuple[Path, Sequence[EvalQuestion]],
) -> FitReport:
    """Fit on both sets together (what ships) and on each alone, measured on the other (the held-out check)."""
    (first_path, first_questions), (second_path, second_questions) = first, second
    both = [*first_questions, *second_questions]
    return FitReport(
        names=(first_path.name, second_path.name),
        selection=fit_selection(knowledge, both, [], warm_starts=[SelectionWeights()]),
        grounding=fit_grounding(knowledge, both, []),
        selection_checks=(
            fit_selection(knowledge, first_questions, second_questions),
            fit_selection(knowledge, second_questions, first_questions),
        ),
        grounding_checks=(
            fit_grounding(knowledge, first_questions, second_questions),
            fit_grounding(knowledge, second_questions, first_questions),
        ),
    )
