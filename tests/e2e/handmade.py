"""Hand-made signed requests (what a hostile tester with the signing secret can send) and the captured log."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.emulator import LocalSlack
from bot.emulator.delivery import encode_body
from bot.logs import configure_logging


async def post_signed(slack: LocalSlack, kind: str, payload: Any) -> Any:
    """POST `payload` encoded as Slack encodes `kind` (event, command, interactive), correctly signed."""
    body, content_type = encode_body(kind, payload)
    return await slack.deliver_raw(body, {"Content-Type": content_type, **slack.sign(body)})


def block_action(
    slack: LocalSlack, *, user_id: str, channel_id: str, action_id: str, value: Any, message_ts: str = ""
) -> dict[str, Any]:
    """A `block_actions` payload for a button click in a channel message (no response_url: replies go by API)."""
    return {
        "type": "block_actions",
        "team": {"id": slack.team_id, "domain": "local"},
        "user": {"id": user_id, "team_id": slack.team_id},
        "api_app_id": slack.app_id,
        "trigger_id": f"{time.time():.6f}.trigger",
        "container": {"type": "message", "channel_id": channel_id, "message_ts": message_ts or "1.000001"},
        "channel": {"id": channel_id},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value}],
    }


def view_submission(
    slack: LocalSlack, *, user_id: str, callback_id: str, values: Any, private_metadata: Any
) -> dict[str, Any]:
    """A `view_submission` payload for a modal the person never had to open."""
    return {
        "type": "view_submission",
        "team": {"id": slack.team_id, "domain": "local"},
        "user": {"id": user_id, "team_id": slack.team_id},
        "api_app_id": slack.app_id,
        "trigger_id": f"{time.time():.6f}.trigger",
        "view": {
            "id": "V0HANDMADE",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
        },
    }


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """Everything the process logs, at `level` for every logger, as the coach's own logging set-up writes it."""
    buffer = io.StringIO()
    root = logging.getLogger()
    previous = root.level
    handler = configure_logging(level, stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def assert_clean(log: str) -> None:
    """No traceback and no error line: hostile input is answered, not crashed on."""
    assert "Traceback" not in log, log[-3000:]
    assert " ERROR " not in log and " CRITICAL " not in log, log[-3000:]


def dumps(value: Any) -> str:
    """JSON as a button value or private_metadata carries it."""
    return json.dumps(value)
