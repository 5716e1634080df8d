"""Pure parts of the edge findings: text normalisation, escaping that survives a second pass."""

from __future__ import annotations

from bot.listeners.normalise import clean_payload, clean_text


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
