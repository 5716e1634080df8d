"""Injected faults: rate limits and server errors the client retries, slow answers, redelivered events."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from slack_bolt.async_app import AsyncApp

from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import TRANSPORTS, connected, web_client

MANIFEST = minimal_manifest(
    scopes=["chat:write", "app_mentions:read", "im:history"], events=["app_mention", "message.im"]
)


@dataclass
class Seen:
    """What the app observed: every delivery's (event_id, retry header), and the events it acted on."""

    deliveries: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)


def build_app(slack: LocalSlack, seen: Seen) -> AsyncApp:
    app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

    @app.middleware
    async def record_retries(req, resp, next):
        body = req.body
        if body.get("type") == "event_callback":
            seen.deliveries.append(
                (
                    body["event_id"],
                    req.headers.get("x-slack-retry-num", [None])[0],
                    req.headers.get("x-slack-retry-reason", [None])[0],
                )
            )
        return await next()

    @app.event("app_mention")
    async def mentioned(body, event, say):
        if body["event_id"] in seen.handled:
            return
        seen.handled.add(body["event_id"])
        await say(text="once", thread_ts=event["ts"])

    @app.event("message")
    async def direct(message, say):
        await say(text=f"echo {message['text']}")

    return app


@pytest.fixture(params=TRANSPORTS)
async def faulty(request: pytest.FixtureRequest) -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace, Seen, str]]:
    seen = Seen()
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack, seen), request.param):
            yield slack, people, seen, request.param
            await slack.wait_idle()
        slack.assert_no_problems()


@pytest.fixture
async def over_http() -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace]]:
    """Web API faults don't depend on the transport: one is enough."""
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack, Seen()), "http"):
            yield slack, people
            await slack.wait_idle()
        slack.assert_no_problems()


async def test_a_rate_limited_post_is_retried_after_retry_after_and_arrives_once(over_http):
    slack, people = over_http
    slack.faults.rate_limit("chat.postMessage", times=1, retry_after=1)

    await people.ana.dm("hello")
    await slack.wait_for_message(channel=people.ana.dm_channel, contains="echo hello")
    await slack.wait_idle()

    calls = slack.api_calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].error == "ratelimited"
    assert (calls[1].at - calls[0].at).total_seconds() >= 0.99
    assert len(slack.bot_messages(people.ana.dm_channel)) == 1


async def test_a_server_error_is_retried_and_the_message_arrives_once(over_http):
    slack, people = over_http
    slack.faults.server_error("chat.postMessage", times=1, status=503)

    await people.ana.dm("again")
    await slack.wait_for_message(channel=people.ana.dm_channel, contains="echo again")
    await slack.wait_idle()

    assert [c.status for c in slack.api_calls("chat.postMessage")] == [503, 200]
    assert len(slack.bot_messages(people.ana.dm_channel)) == 1


async def test_a_slow_method_delays_its_answer_not_the_ack(over_http):
    slack, people = over_http
    slack.faults.slow("chat.postMessage", 0.3, times=1)

    await people.ana.dm("slowly")
    await slack.wait_for_message(channel=people.ana.dm_channel, contains="echo slowly")

    assert slack.api_calls("chat.postMessage")[0].duration >= 0.25
    assert slack.deliveries("message.im")[0].acked


async def test_a_redelivered_event_carries_retry_headers_and_the_app_acts_once(faulty):
    slack, people, seen, transport = faulty
    slack.faults.redeliver_next(times=2, reason="http_timeout")

    ts = await people.ana.mention("general", "count me once")
    await slack.wait_for_message(thread_ts=ts)
    await slack.wait_idle()

    deliveries = slack.deliveries("app_mention")
    assert [d.retry_num for d in deliveries] == [0, 1, 2]
    assert len({d.event_id for d in deliveries}) == 1
    first_header = "0" if transport == "socket" else None
    assert [(n, r) for _, n, r in seen.deliveries] == [
        (first_header, "" if transport == "socket" else None),
        ("1", "http_timeout"),
        ("2", "http_timeout"),
    ]
    if transport == "http":
        assert deliveries[1].headers["X-Slack-Retry-Num"] == "1"
    else:
        assert deliveries[0].envelope_id != deliveries[1].envelope_id
    assert len(slack.bot_messages("general")) == 1


async def test_a_past_event_can_be_redelivered_by_its_id(faulty):
    slack, people, seen, _ = faulty
    ts = await people.ana.mention("general", "once more")
    await slack.wait_for_message(thread_ts=ts)
    event_id = slack.deliveries("app_mention")[0].event_id

    again = await slack.redeliver(event_id, retry_num=1)
    await slack.wait_idle()

    assert again.acked and again.retry_num == 1 and again.event_id == event_id
    assert [e for e, _, _ in seen.deliveries] == [event_id, event_id]
    assert len(slack.bot_messages("general")) == 1


async def test_failed_event_deliveries_are_retried_when_asked_to_like_slack():
    manifest = minimal_manifest(scopes=["chat:write", "reactions:read"], events=["reaction_added"])
    async with LocalSlack(manifest=manifest, event_retries=2) as slack:
        people = slack.seed_default()
        async with connected(slack, build_app(slack, Seen()), "http"):
            ts = await people.ana.post("general", "react to me")
            await people.you.react("general", ts, "eyes")
            await slack.wait_idle()
        attempts = slack.deliveries("reaction_added")
        assert [(d.retry_num, d.retry_reason, d.status) for d in attempts] == [
            (0, None, 404),
            (1, "http_error", 404),
            (2, "http_error", 404),
        ]
        assert attempts[2].headers["X-Slack-Retry-Reason"] == "http_error"
        assert len(slack.clear_problems()) == 3


async def test_wait_idle_waits_for_the_work_an_app_does_after_its_ack():
    async with LocalSlack(manifest=MANIFEST) as slack:
        people = slack.seed_default()
        app = AsyncApp(client=web_client(slack), signing_secret=slack.signing_secret)

        @app.message()
        async def slow_answer(message, say):
            await asyncio.sleep(0.3)
            await say("thought about it")

        async with connected(slack, app, "http"):
            await people.ana.dm("question")
            assert slack.bot_messages(people.ana.dm_channel) == []
            await slack.wait_idle()
            assert [m.text for m in slack.bot_messages(people.ana.dm_channel)] == ["thought about it"]
        slack.assert_no_problems()
