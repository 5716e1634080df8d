"""Property tests: generated signed Slack payloads with odd types, sizes and unicode against the served coach.

One coach is served over HTTP per test (the production AsyncApp, real signing); Hypothesis sends a bounded
number of examples through it. Every answer must be below 500, the log must hold no traceback and no error
line, `/healthz` must stay 200, and requests the coach refuses must leave the stored rows as they were.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, func, select

from bot.blocks import answers as answer_blocks
from bot.blocks import checkins as checkin_blocks
from bot.blocks import interview as interview_blocks
from bot.clock import ManualClock
from bot.emulator import LocalSlack
from bot.manifest import build_manifest
from bot.runtime import Coach
from tests.e2e.handmade import assert_clean, block_action, captured_logs, post_signed, view_submission

BUDGET = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

ODD_TEXT = st.text(st.characters(codec="utf-8"), max_size=300) | st.text(max_size=5) | st.just("x" * 5000)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT
ODD = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3), max_leaves=6
)


@pytest.fixture
def transport() -> str:
    """Hand-made requests are signed HTTP posts."""
    return "http"


def _port(slack: LocalSlack) -> int:
    url = slack.engine.request_url
    assert url is not None
    return int(url.split(":")[2].split("/")[0])


async def _healthy(slack: LocalSlack) -> bool:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{_port(slack)}/healthz") as answer:
        return answer.status == 200


async def _rows(coach: Coach) -> dict[str, int]:
    """Row counts of every table but the record of delivered events (which every event adds to)."""
    counts: dict[str, int] = {}
    metadata = MetaData()
    async with coach.services.db.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        for name, table in metadata.tables.items():
            if "event" not in name:
                counts[name] = (await connection.execute(select(func.count()).select_from(table))).scalar_one()
    return counts


@pytest.fixture
async def slack(clock: ManualClock) -> AsyncIterator[LocalSlack]:
    """The local Slack, without its strictness about threads: generated events name messages it never saw."""
    async with LocalSlack(clock=clock, manifest=build_manifest()) as local_slack:
        yield local_slack


@pytest.fixture
async def people(slack: LocalSlack) -> tuple[str, str]:
    ana = slack.add_user("ana")
    return ana.id, slack.add_channel("growth", members=[ana])


def _ids(people: tuple[str, str]) -> st.SearchStrategy[str]:
    return st.sampled_from(people) | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=12)


@BUDGET
@given(data=st.data())
async def test_events_with_odd_fields_never_crash_the_coach(
    slack: LocalSlack, coach: Coach, people: tuple[str, str], data: st.DataObject
) -> None:
    user_id, channel_id = people
    event = {
        "type": data.draw(st.sampled_from(["message", "app_mention", "app_home_opened"])),
        # Slack always names a user it knows in these events: an unknown or missing one is not something it sends.
        "user": data.draw(
            st.sampled_from([user_id]) | ODD.filter(lambda value: not isinstance(value, (str, type(None))))
        ),
        "text": data.draw(ODD_TEXT | ODD),
        "channel": data.draw(st.sampled_from([channel_id, f"D{user_id}"]) | ODD),
        "ts": data.draw(st.sampled_from(["1700000000.000100"]) | ODD),
        "channel_type": data.draw(st.sampled_from(["im", "channel"]) | ODD),
        "thread_ts": data.draw(st.none() | ODD),
        "tab": "home",
    }
    body = {
        "type": "event_callback",
        "team_id": slack.team_id,
        "api_app_id": slack.app_id,
        "event_id": f"Ev{data.draw(st.uuids()).hex[:12]}",
        "event_time": 1700000000,
        "event": event,
    }
    with captured_logs() as log:
        delivery = await post_signed(slack, "event", body)
        await slack.wait_idle()
    assert delivery.status is not None and delivery.status < 500
    assert_clean(log.getvalue())
    assert await _healthy(slack)


@BUDGET
@given(data=st.data())
async def test_slash_commands_with_odd_text_never_crash_the_coach(
    slack: LocalSlack, coach: Coach, people: tuple[str, str], data: st.DataObject
) -> None:
    user_id, channel_id = people
    verb = data.draw(st.sampled_from(["", "ask ", "interview ", "map ", "checkins ", "checkins away ", "help "]))
    text = verb + data.draw(ODD_TEXT)
    with captured_logs() as log:
        # Typed by a person through the local Slack, so the command carries a response_url as Slack's do.
        result = await slack.user(user_id).slash("/flywheel", text, channel=channel_id)
        await slack.wait_idle()
    assert result.delivery is not None and result.delivery.status is not None and result.delivery.status < 500
    assert_clean(log.getvalue())
    assert await _healthy(slack)


BUTTONS = [
    f"{interview_blocks.ACTION_CHOICE}_0",
    interview_blocks.ACTION_SKIP,
    interview_blocks.ACTION_NOTE,
    interview_blocks.ACTION_START,
    checkin_blocks.ACTION_EDIT_ITEM,
    checkin_blocks.ACTION_REPORT_RESULT,
    checkin_blocks.ACTION_OPEN_SETTINGS,
    checkin_blocks.ACTION_ADD_ITEM,
    answer_blocks.ACTION_FEEDBACK,
    answer_blocks.ACTION_SHARE,
]
BUTTON_VALUES = ODD | ODD.map(json.dumps) | st.fixed_dictionaries({"i": ODD, "q": ODD, "v": ODD}).map(json.dumps)


@BUDGET
@given(data=st.data())
async def test_button_clicks_with_odd_values_are_refused_without_a_crash(
    slack: LocalSlack, coach: Coach, people: tuple[str, str], data: st.DataObject
) -> None:
    user_id, channel_id = people
    before = await _rows(coach)
    payload = block_action(
        slack,
        user_id=user_id,
        channel_id=data.draw(st.sampled_from([channel_id]) | _ids(people)),
        action_id=data.draw(st.sampled_from(BUTTONS)),
        value=data.draw(BUTTON_VALUES),
    )
    with captured_logs() as log:
        delivery = await post_signed(slack, "interactive", payload)
        await slack.wait_idle()
    assert delivery.status is not None and delivery.status < 500
    assert_clean(log.getvalue())
    assert await _healthy(slack)
    assert await _rows(coach) == before


VIEWS = [
    interview_blocks.VIEW_ANSWER,
    checkin_blocks.VIEW_ITEM,
    checkin_blocks.VIEW_RESULT,
    checkin_blocks.VIEW_SETTINGS,
    answer_blocks.VIEW_REASON,
]
BLOCK_IDS = st.sampled_from(
    [
        checkin_blocks.BLOCK_WHAT,
        checkin_blocks.BLOCK_STAGE,
        checkin_blocks.BLOCK_RESULT,
        checkin_blocks.BLOCK_NUMBER,
        checkin_blocks.BLOCK_NEXT,
        checkin_blocks.BLOCK_TIMEZONE,
        checkin_blocks.BLOCK_ENABLED,
        checkin_blocks.BLOCK_PARTICIPANTS,
        "ship_day",
        "ship_time",
        interview_blocks.BLOCK_PICK,
        interview_blocks.BLOCK_NOTE,
        answer_blocks.BLOCK_REASON,
    ]
)
INPUTS = st.dictionaries(
    st.sampled_from(["value", "selected_option", "selected_options", "selected_users", "selected_time"]),
    ODD,
    max_size=2,
)
STATE = st.dictionaries(
    BLOCK_IDS,
    st.dictionaries(
        st.sampled_from([checkin_blocks.INPUT, interview_blocks.ACTION_PICK, interview_blocks.ACTION_NOTE_TEXT]),
        INPUTS | ODD,
        max_size=2,
    )
    | ODD,
    max_size=4,
)


@BUDGET
@given(data=st.data())
async def test_modal_submissions_with_odd_state_are_refused_without_a_crash(
    slack: LocalSlack, coach: Coach, people: tuple[str, str], data: st.DataObject
) -> None:
    user_id, channel_id = people
    before = await _rows(coach)
    metadata = st.fixed_dictionaries({"channel": st.just(channel_id) | ODD, "i": ODD, "q": ODD, "c": ODD, "item": ODD})
    payload: dict[str, Any] = view_submission(
        slack,
        user_id=user_id,
        callback_id=data.draw(st.sampled_from(VIEWS)),
        values=data.draw(STATE | ODD),
        private_metadata=data.draw(metadata.map(json.dumps) | ODD),
    )
    with captured_logs() as log:
        delivery = await post_signed(slack, "interactive", payload)
        await slack.wait_idle()
    assert delivery.status is not None and delivery.status < 500
    assert_clean(log.getvalue())
    assert await _healthy(slack)
    assert await _rows(coach) == before
