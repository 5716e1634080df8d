"""Signed HTTP delivery: Bolt verifies what the local Slack signs, and refuses what it doesn't."""

import json
import time
from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncApp

from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.delivery import encode_body
from bot.emulator.harness import connected, web_client

MANIFEST = minimal_manifest(scopes=["chat:write", "app_mentions:read"], events=["app_mention"])


def build_app(slack: LocalSlack) -> AsyncApp:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.event("app_mention")
    async def mentioned(event, say):
        await say(text="heard you", thread_ts=event["ts"])

    return app


@pytest.fixture
async def over_http() -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace]]:
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack), "http"):
            yield slack, people


def mention_body(slack: LocalSlack, people: DefaultWorkspace) -> bytes:
    event = {
        "type": "app_mention",
        "user": people.ana.id,
        "text": f"<@{slack.bot_user_id}> hi",
        "ts": "1700000000.000100",
        "channel": people.general,
        "event_ts": "1700000000.000100",
    }
    body, _ = encode_body("event", slack.emitter.callback(event))
    return body


async def test_every_delivery_carries_a_signature_bolt_accepts(over_http):
    slack, people = over_http
    await people.ana.mention("general", "hello")
    await slack.wait_for_message(contains="heard you")

    delivery = slack.deliveries("app_mention")[0]
    assert delivery.status == 200
    assert delivery.headers["X-Slack-Signature"].startswith("v0=")
    assert abs(int(delivery.headers["X-Slack-Request-Timestamp"]) - time.time()) < 60
    assert json.loads(delivery.raw_body)["event_id"] == delivery.event_id
    slack.assert_no_problems()


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda slack, body: {**slack.sign(body), "X-Slack-Signature": "v0=" + "0" * 64}, id="forged"),
        pytest.param(lambda slack, body: slack.sign(body, timestamp=int(time.time()) - 301), id="stale"),
        pytest.param(lambda slack, body: slack.sign(body + b" "), id="tampered"),
        pytest.param(lambda slack, body: slack.sign(body, secret="not-the-secret"), id="wrong-secret"),
        pytest.param(lambda slack, body: {}, id="unsigned"),
    ],
)
async def test_a_bad_signature_is_refused_and_causes_no_api_call(over_http, forge):
    slack, people = over_http
    body = mention_body(slack, people)

    answer = await slack.deliver_raw(body, {"Content-Type": "application/json", **forge(slack, body)})
    await slack.wait_idle()

    assert answer.status == 401
    assert slack.api_calls() == []
    assert slack.problems == []


async def test_a_signature_just_inside_five_minutes_is_accepted(over_http):
    slack, people = over_http
    body = mention_body(slack, people)

    answer = await slack.deliver_raw(
        body, {"Content-Type": "application/json", **slack.sign(body, timestamp=int(time.time()) - 290)}
    )

    assert answer.status == 200
    await slack.wait_for_call("chat.postMessage")


async def test_url_verification_is_answered_with_the_challenge(over_http):
    slack, _ = over_http
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"}).encode()

    answer = await slack.deliver_raw(body, {"Content-Type": "application/json", **slack.sign(body)})

    assert answer.status == 200 and answer.ack == {"challenge": "c-123"}


async def test_a_malformed_body_is_refused_without_a_crash(over_http):
    slack, _ = over_http
    body = b'{"type": "event_callback", "event": '

    answer = await slack.deliver_raw(body, {"Content-Type": "application/json", **slack.sign(body)})
    await slack.wait_idle()

    assert answer.status is not None and answer.status >= 400
    assert slack.api_calls("chat.postMessage") == []


async def test_the_signing_clock_is_real_time_even_when_the_workspace_clock_moved():
    from datetime import timedelta

    from bot.clock import ManualClock

    clock = ManualClock()
    clock.advance(timedelta(days=3))
    async with LocalSlack(manifest=MANIFEST, clock=clock) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack), "http"):
            await people.ana.mention("general", "hello")
            reply = await slack.wait_for_message(contains="heard you")
        assert float(reply.ts) > time.time() + 2 * 86400
        slack.assert_no_problems()
