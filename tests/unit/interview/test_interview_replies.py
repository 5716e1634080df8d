"""Typed replies: choices by number or name (typos tolerated), several choices, durations, notes."""

from __future__ import annotations

import pytest

from bot.interview.replies import Command, Parsed, UnclearReply, parse_command, parse_reply
from bot.interview.script import Script

SCRIPT = Script()


@pytest.mark.parametrize(
    ("question_id", "reply", "value", "note"),
    [
        ("collection", "3", "scheduled", ""),
        ("collection", " #4 ", "continuous", ""),
        ("collection", "2. by hand mostly", "manual", "by hand mostly"),
        ("collection", "4 - events, owner @dana, metric: DAU", "continuous", "events, owner @dana, metric: DAU"),
        ("collection", "Continuous", "continuous", ""),
        ("collection", "CONTINUOUS AND AUTOMATIC", "continuous", ""),
        ("collection", "contnuous", "continuous", ""),
        ("collection", "partly automated", "scheduled", ""),
        ("collection", "sched", "scheduled", ""),
        ("collection", "scheduled: nightly job", "scheduled", "nightly job"),
        ("collection", "manual and ad hoc - exports when asked", "manual", "exports when asked"),
        ("data_status", "Yes", "yes", ""),
        ("data_status", "a little", "little", ""),
        ("data_status", "not yet!", "none", ""),
        ("insight_path", "we mostly use slide decks", "deck", ""),
        ("insight_path", "Jira", "ticket", ""),
        ("storage_shared", "don’t know", "unknown", ""),
        ("loop_closes", "yes", "auto", ""),
        ("loop_closes", "Yes, but someone has to pull it together by hand", "manual", ""),
    ],
)  # fmt: skip
def test_single_choice_by_number_name_or_typo(question_id, reply, value, note):
    assert parse_reply(SCRIPT.get(question_id), reply) == Parsed(value, note)


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("1,3", ["ai_output", "wrong_metric"]),
        ("3 1", ["ai_output", "wrong_metric"]),
        ("1 and 2", ["ai_output", "no_curation"]),
        ("engagement, ai output", ["ai_output", "wrong_metric"]),
        ("none of these", ["none"]),
        (["wrong_metric", "no_curation"], ["no_curation", "wrong_metric"]),
        ("2, 2", ["no_curation"]),
    ],
)
def test_multi_choice_by_numbers_or_names(reply, value):
    assert parse_reply(SCRIPT.get("risks"), reply).value == value


@pytest.mark.parametrize(
    ("question_id", "reply", "days"),
    [
        ("idea_to_live", "2 weeks", 14.0),
        ("idea_to_live", "15 min", 0.0104),
        ("idea_to_live", "about 3 days", 3.0),
        ("idea_to_live", "3", 3.0),
        ("idea_to_live", "8-90 days", 49.0),
        ("idea_to_live", "two to four weeks", 21.0),
        ("idea_to_live", "9 months", 273.6),
        ("idea_to_live", "1.5 years", 547.5),
        ("idea_to_live", "Within a week", 7.0),
        ("idea_to_live", "15m", 0.01),
        ("live_to_learn", "1h", 0.04),
        ("live_to_learn", "an hour", 0.04),
        ("live_to_learn", "never", "never"),
    ],
)
def test_durations_in_any_common_unit(question_id, reply, days):
    assert parse_reply(SCRIPT.get(question_id), reply).value == days


def test_duration_keeps_a_note_after_a_dash():
    assert parse_reply(SCRIPT.get("live_to_learn"), "2 days - dashboards on Thursday") == Parsed(
        2.0, "dashboards on Thursday"
    )


@pytest.mark.parametrize(
    ("question_id", "reply", "expected_words"),
    [
        ("collection", "banana", "number from 1 to 4"),
        ("collection", "9", "There is no choice 9"),
        ("collection", "", "number from 1 to 4"),
        ("deletion_test", "no", "could mean"),
        ("loop_closes", "yes, but by hand", "could mean"),
        ("risks", "1, banana", "couldn't match “banana”"),
        ("risks", "none, 1", "can't be combined"),
        ("risks", "7", "There is no choice 7"),
        ("idea_to_live", "never", "duration like `15 min`"),
        ("idea_to_live", "soonish", "duration like `15 min`"),
        ("idea_to_live", "40 years", "out of range"),
    ],
)
def test_unclear_replies_say_what_was_expected(question_id, reply, expected_words):
    with pytest.raises(UnclearReply) as raised:
        parse_reply(SCRIPT.get(question_id), reply)
    assert expected_words in raised.value.message
    assert "`skip`" in raised.value.message


def test_long_nonsense_is_quoted_short_in_the_reask():
    with pytest.raises(UnclearReply) as raised:
        parse_reply(SCRIPT.get("collection"), "x" * 500)
    assert "x" * 39 + "…" in raised.value.message
    assert "x" * 41 not in raised.value.message


@pytest.mark.parametrize(
    ("reply", "command"),
    [
        ("skip", Command.SKIP),
        ("Skip.", Command.SKIP),
        ("back", Command.BACK),
        ("go back", Command.BACK),
        ("why?", Command.WHY),
        ("Why are you asking this?", Command.WHY),
        ("keep", Command.KEEP),
        ("same", Command.KEEP),
        ("keep the rest", Command.KEEP_ALL),
        ("scheduled", None),
    ],
)
def test_commands(reply, command):
    assert parse_command(reply) is command
