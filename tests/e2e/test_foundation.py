"""The foundation through the local Slack: help, Home, signatures, redeliveries, rate limits, bad input."""

from __future__ import annotations

import json
import time

import pytest

from bot.blocks.help import help_text
from bot.emulator import LocalSlack
from bot.runtime import Coach
from tests.e2e.conftest import CoachFactory


async def test_help_explains_the_coach_privately(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    result = await ana.slash("/flywheel", "help", channel=general)
    ephemeral = await slack.wait_for_ephemeral(ana, contains="/flywheel interview")
    assert result.error is None
    assert "data flywheel" in ephemeral.all_text()
    assert ephemeral.text == help_text()
    assert slack.messages(general) == []


async def test_empty_command_shows_help(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    await ana.slash("/flywheel", "")
    await slack.wait_for_ephemeral(ana, contains="/flywheel checkins on|off|status")


async def test_home_tab_explains_the_coach(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    await ana.open_home()
    home = await slack.wait_for_home(ana)
    text = json.dumps(home.definition)
    assert home.type == "home"
    assert "ship Tuesday, measure Thursday, iterate Friday" in text
    assert "/flywheel ask QUESTION" in text


async def test_unknown_subcommand_gets_a_clear_private_note(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    await ana.slash("/flywheel", "frobnicate <!channel>")
    note = await slack.wait_for_ephemeral(ana, contains="I don't know")
    assert "`frobnicate`" in note.text
    assert "`help`" in note.text


async def test_oversized_command_text_is_declined_with_the_limit(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    await ana.slash("/flywheel", "ask " + "y" * 39_996)
    note = await slack.wait_for_ephemeral(ana, contains="characters long")
    assert "40,000" in note.text and "4,000" in note.text


async def test_redelivered_event_has_one_effect(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    delivery = await ana.open_home()
    await slack.wait_for_home(ana)
    assert delivery is not None and delivery.event_id
    again = await slack.redeliver(delivery.event_id, retry_num=1)
    await slack.wait_idle()
    assert again.acked
    assert again.retry_num == 1
    assert len(slack.api_calls("views.publish")) == 1


async def test_redelivery_after_a_restart_has_no_second_effect(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    ana = slack.add_user("ana")
    async with coach_factory("http"):
        delivery = await ana.open_home()
        await slack.wait_for_home(ana)
    async with coach_factory("http"):
        assert delivery is not None and delivery.event_id
        again = await slack.redeliver(delivery.event_id, retry_num=2, reason="http_error")
        await slack.wait_idle()
    assert again.acked
    assert len(slack.api_calls("views.publish")) == 1


async def test_rate_limited_call_is_retried_after_retry_after_and_lands_once(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    slack.faults.rate_limit("views.publish", times=1, retry_after=1)
    await ana.open_home()
    await slack.wait_for_home(ana)
    calls = slack.api_calls("views.publish")
    assert [call.status for call in calls] == [429, 200]
    assert (calls[1].at - calls[0].at).total_seconds() >= 1
    assert len([view for view in [slack.home_view(ana)] if view is not None]) == 1


@pytest.mark.parametrize(
    "forgery",
    ["forged", "stale", "tampered", "wrong_secret", "unsigned"],
)
async def test_bad_signatures_are_refused_and_cause_no_api_call(
    slack: LocalSlack, coach_factory: CoachFactory, forgery: str
) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": slack.team_id,
            "api_app_id": slack.app_id,
            "event_id": "EvForged01",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": "U0FORGED", "tab": "home", "channel": "D0FORGED"},
        }
    ).encode()
    headers = {"Content-Type": "application/json", **slack.sign(body)}
    if forgery == "forged":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif forgery == "stale":
        headers = {"Content-Type": "application/json", **slack.sign(body, timestamp=int(time.time()) - 301)}
    elif forgery == "tampered":
        body = body.replace(b"U0FORGED", b"U0HACKED")
    elif forgery == "wrong_secret":
        headers = {"Content-Type": "application/json", **slack.sign(body, secret="not-the-secret")}
    else:
        headers = {"Content-Type": "application/json"}
    async with coach_factory("http"):
        delivery = await slack.deliver_raw(body, headers)
        await slack.wait_idle()
    assert delivery.status == 401
    assert [call for call in slack.api_calls() if call.method != "auth.test"] == []


async def test_a_fresh_signature_within_five_minutes_is_accepted(
    slack: LocalSlack, coach_factory: CoachFactory
) -> None:
    ana = slack.add_user("ana")
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": slack.team_id,
            "api_app_id": slack.app_id,
            "event_id": "EvRecent01",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": ana.id, "tab": "home", "channel": ana.dm_channel},
        }
    ).encode()
    headers = {"Content-Type": "application/json", **slack.sign(body, timestamp=int(time.time()) - 290)}
    async with coach_factory("http"):
        delivery = await slack.deliver_raw(body, headers)
        await slack.wait_for_home(ana)
    assert delivery.status == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
    ],
)
async def test_malformed_request_bodies_get_a_clean_refusal(
    slack: LocalSlack, coach_factory: CoachFactory, body: bytes, content_type: str
) -> None:
    async with coach_factory("http"):
        delivery = await slack.deliver_raw(body, {"Content-Type": content_type, **slack.sign(body)})
        await slack.wait_idle()
    assert delivery.status is not None and 400 <= delivery.status < 500
    assert "Traceback" not in str(delivery.ack)
    assert [call for call in slack.api_calls() if call.method != "auth.test"] == []


async def test_healthz_reports_ready(slack: LocalSlack, coach_factory: CoachFactory) -> None:
    import aiohttp

    async with coach_factory("http") as running:
        assert running.ready.is_set()
        port = _served_port(slack)
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}


def _served_port(slack: LocalSlack) -> int:
    url = slack.engine.request_url
    assert url is not None
    return int(url.split(":")[2].split("/")[0])


async def test_a_40000_character_message_gets_a_clear_private_note(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    await ana.mention(general, "what is a flywheel? " + "x" * 39_960)
    note = await slack.wait_for_ephemeral(ana, contains="characters long")
    assert "I read up to 4,000" in note.text
    await ana.dm("y" * 40_000)
    await slack.wait_for_ephemeral(ana, contains="40,000 characters long")
    assert slack.bot_messages(general) == []


async def test_echoed_broadcast_mentions_never_ping(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    await ana.slash("/flywheel", "<!channel> <!here> @everyone")
    note = await slack.wait_for_ephemeral(ana, contains="I don't know")
    assert "<!channel>" not in note.text
    assert "<!here>" not in note.text


async def test_a_question_with_broadcast_mentions_is_answered_without_pinging(slack: LocalSlack, coach: Coach) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana.id])
    await ana.mention(general, "<!here> <!channel> how did harvey start with no data?")
    await slack.wait_for_message(channel=general, contains="Harvey")
    await slack.wait_idle()
    posted = json.dumps([message.text for message in slack.bot_messages(general)])
    posted += json.dumps([message.blocks for message in slack.bot_messages(general)])
    assert "<!here" not in posted and "<!channel" not in posted
