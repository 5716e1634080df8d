"""The fitting behind the answer's weights and the refusal policy: the estimators find what the data says."""

import numpy as np

from bot.bench.fitting import _conditional_logit, _logistic, refusal_threshold
from bot.retrieval.grounding import SIGNALS, GroundingPolicy


def test_the_logistic_regression_separates_answerable_from_unanswerable():
    rng = np.random.default_rng(7)
    answerable = rng.normal(0.7, 0.05, size=(40, 1))
    unanswerable = rng.normal(0.3, 0.05, size=(10, 1))
    x = np.vstack([answerable, unanswerable])
    y = np.array([1.0] * 40 + [0.0] * 10)
    intercept, coefficients = _logistic(x, y)
    probability = 1 / (1 + np.exp(-(intercept + x @ coefficients)))
    assert coefficients[0] > 0
    assert probability[:40].min() > 0.5 > probability[40:].max()


def test_the_conditional_logit_weighs_the_signal_that_marks_the_right_sentence():
    rng = np.random.default_rng(3)
    groups = []
    for _ in range(30):
        x = rng.normal(size=(6, 2))  # signal 0 marks the answer; signal 1 is noise
        answer = int(rng.integers(6))
        x[answer, 0] += 2.0
        positive = np.zeros(6)
        positive[answer] = 1.0
        groups.append((x, positive))
    weights = _conditional_logit(groups)
    assert weights[0] > 1.0 > abs(weights[1])


def test_the_refusal_policy_rises_with_meaning_and_falls_with_a_missing_detail_or_figure():
    policy = GroundingPolicy()
    base = dict.fromkeys(SIGNALS, 0.4)
    assert policy.to_json()["threshold"] == policy.threshold
    closer = {**base, "sentence_similarity": 0.8}
    missing = {**base, "missing": 0.6}
    absent = {**base, "answer_absent": 1.0}
    assert policy.probability([closer[s] for s in SIGNALS]) > policy.probability([base[s] for s in SIGNALS])
    assert policy.probability([missing[s] for s in SIGNALS]) < policy.probability([base[s] for s in SIGNALS])
    assert policy.probability([absent[s] for s in SIGNALS]) < policy.probability([base[s] for s in SIGNALS])


def test_the_refusal_threshold_answers_every_answerable_question_and_splits_the_margin():
    answerable = np.array([0.9, 0.6, 0.5])
    unanswerable = np.array([0.05, 0.2, 0.95])  # 0.95 is a miss above every answerable one: it moves nothing
    threshold = refusal_threshold(answerable, unanswerable)
    assert 0.2 < threshold < 0.5
    log_odds = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert np.isclose(log_odds(threshold), (log_odds(0.5) + log_odds(0.2)) / 2, atol=0.01)
    assert refusal_threshold(answerable, np.array([0.95])) == 0.5
