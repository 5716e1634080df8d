import pytest

from bot.checkins.items import NextStep, Result
from bot.checkins.replies import (
    MeasureReply,
    ShipReply,
    parse_measure_reply,
    parse_number,
    parse_result,
    parse_ship_reply,
    parse_stage,
)
from bot.errors import InputError
from bot.stages import Stage


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Smarter retry emails | application | reactivation rate",
            ShipReply("Smarter retry emails", Stage.APPLICATION, "reactivation rate", None),
        ),
        (
            "what: thumbs on answers stage: Feedback metric: share of rated answers",
            ShipReply("thumbs on answers", Stage.FEEDBACK, "share of rated answers", None),
        ),
        (
            "Shared event schema for both teams (storage) metric: time to first query",
            ShipReply("Shared event schema for both teams (storage)", Stage.STORAGE, "time to first query", None),
        ),
        (
            "<@U0DANA> Click logging on search | collection | logged sessions",
            ShipReply("Click logging on search", Stage.COLLECTION, "logged sessions", "U0DANA"),
        ),
        ("Weekly cohort analysis notebook", ShipReply("Weekly cohort analysis notebook", Stage.ANALYSIS, "", None)),
    ],
)
def test_ship_replies_are_understood(text: str, expected: ShipReply) -> None:
    assert parse_ship_reply(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("A new onboarding flow", "Which loop stage"),
        ("| feedback | metric", "what shipped"),
        ("Storage and feedback revamp", "Which loop stage"),  # two stages: ask rather than guess
    ],
)
def test_unclear_ship_replies_say_what_is_missing(text: str, hint: str) -> None:
    with pytest.raises(InputError, match=hint):
        parse_ship_reply(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#2 moved +3.5% next: scale", MeasureReply(2, Result.MOVED, 3.5, "", NextStep.SCALE)),
        (
            "1. no change, 0 pp learned: nobody opens the digest next: stop",
            MeasureReply(1, Result.NO_CHANGE, 0.0, "nobody opens the digest", NextStep.STOP),
        ),
        ("3: worse −1,5 iterate", MeasureReply(3, Result.WORSE, -1.5, "", NextStep.ITERATE)),
        ("item 4 not measured yet", MeasureReply(4, Result.NOT_YET, None, "", None)),
        ("#1 didn't move at all", MeasureReply(1, Result.NO_CHANGE, None, "", None)),
        ("#5 improved by 1,200 sessions", MeasureReply(5, Result.MOVED, 1200.0, "", None)),
    ],
)
def test_measure_replies_are_understood(text: str, expected: MeasureReply) -> None:
    assert parse_measure_reply(text) == expected


@pytest.mark.parametrize(("text", "hint"), [("moved +3", "Which item"), ("#2 we shipped it", "Did the metric")])
def test_unclear_measure_replies_say_what_is_missing(text: str, hint: str) -> None:
    with pytest.raises(InputError, match=hint):
        parse_measure_reply(text)


def test_small_parsers() -> None:
    assert parse_stage("Feedback loop") is Stage.FEEDBACK
    assert parse_stage("nothing here") is None
    assert parse_result("it went up") is Result.MOVED
    assert parse_result("setup done") is None  # "up" only as a word of its own
    assert parse_number("no digits") is None
    assert parse_number("conversion 0,8") == 0.8
