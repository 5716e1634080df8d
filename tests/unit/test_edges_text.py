"""Pure parts of the edge findings: text normalisation, escaping that survives a second pass."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.interview.replies import UnclearReply, parse_reply
from bot.interview.script import Script
from bot.listeners.checkins.forms import parse_number
from bot.listeners.normalise import clean_payload, clean_text

SCRIPT = Script()


def test_clean_text_drops_nul_and_control_characters_but_keeps_lines_tabs_and_links() -> None:
    raw = "a\x00b\x07c\td\r\ne\rf\x1b\x7f <http://x.example|x.example> <@U123>"
    assert clean_text(raw) == "abc\td\ne\nf <http://x.example|x.example> <@U123>"


def test_clean_text_replaces_lone_surrogates() -> None:
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("emoji 😀 stays") == "emoji 😀 stays"


def test_clean_payload_cleans_every_string_in_place() -> None:
    body = {"event": {"text": "hi\x00", "blocks": [{"text": "x\x01"}]}, "n\x00": 3, "ok": True}
    inner = body["event"]
    assert clean_payload(body) is body
    assert body == {"event": {"text": "hi", "blocks": [{"text": "x"}]}, "n": 3, "ok": True}
    assert body["event"] is inner


@pytest.mark.parametrize("reply", ["1.5", "1,2,3", "2, 3", "1.5 - a note", "#1,#2"])
def test_a_single_choice_question_refuses_a_decimal_or_several_numbers(reply: str) -> None:
    with pytest.raises(UnclearReply, match="one choice"):
        parse_reply(SCRIPT.get("collection"), reply)


def test_a_single_choice_question_still_takes_a_number_with_a_note() -> None:
    assert parse_reply(SCRIPT.get("collection"), "2. 5 exports a week").value == "manual"


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e309", "infinity"])
def test_a_result_number_must_be_a_finite_number(text: str) -> None:
    with pytest.raises(InputError, match="write it like 3.5 or -2"):
        parse_number(text)


def test_a_result_number_accepts_ordinary_numbers() -> None:
    assert parse_number("3,5") == 3.5
    assert parse_number(" -2 ") == -2
    assert parse_number("") is None
