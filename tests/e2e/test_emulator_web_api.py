"""The Web API as the real AsyncWebClient sees it: state, Slack's error codes, files, streams, schedules."""

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import ManualClock
from bot.emulator import DefaultWorkspace, LocalSlack
from bot.emulator.checks import minimal_manifest
from bot.emulator.harness import web_client

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
MANIFEST = minimal_manifest(
    scopes=[
        "chat:write",
        "users:read",
        "team:read",
        "files:write",
        "files:read",
        "reactions:write",
        "reactions:read",
        "channels:history",
        "channels:read",
        "im:history",
        "im:write",
        "im:read",
    ],
    events=[],
)


@pytest.fixture
async def api() -> AsyncIterator[tuple[LocalSlack, DefaultWorkspace, AsyncWebClient, ManualClock]]:
    clock = ManualClock()
    async with LocalSlack(manifest=MANIFEST, clock=clock) as slack:
        yield slack, slack.seed_default(), web_client(slack), clock


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response["error"]


async def test_identity_answers_agree_with_each_other(api):
    slack, people, client, _ = api
    me = await client.auth_test()
    bot = await client.bots_info(bot=me["bot_id"])
    team = await client.team_info()

    assert (me["user_id"], me["bot_id"], me["team_id"]) == (slack.bot_user_id, slack.bot_id, slack.team_id)
    assert bot["bot"]["user_id"] == slack.bot_user_id and team["team"]["id"] == slack.team_id
    assert "chat:write" in me.headers["x-oauth-scopes"]


async def test_users_carry_their_time_zone_and_its_current_offset(api):
    _, people, client, clock = api
    clock.set(clock.now().replace(year=2026, month=1, day=15))
    winter = (await client.users_info(user=people.ana.id))["user"]
    clock.set(clock.now().replace(month=7))
    summer = (await client.users_info(user=people.ana.id))["user"]

    assert winter["tz"] == "Europe/Berlin"
    assert (winter["tz_offset"], summer["tz_offset"]) == (3600, 7200)
    assert await error_of(client.users_info(user="U404")) == "user_not_found"


async def test_timestamps_are_unique_increasing_and_follow_the_clock(api):
    slack, people, client, clock = api
    first = await client.chat_postMessage(channel=people.general, text="one")
    second = await client.chat_postMessage(channel=people.general, text="two")
    clock.advance(timedelta(days=2))
    third = await client.chat_postMessage(channel=people.general, text="three")

    stamps = [first["ts"], second["ts"], third["ts"]]
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert float(stamps[0]) < float(stamps[1]) < float(stamps[2])
    assert float(stamps[2]) - float(stamps[1]) > 2 * 86400 - 60


async def test_threads_history_and_replies_read_back_what_was_posted(api):
    slack, people, client, _ = api
    root = await people.ana.post("general", "root question")
    await client.chat_postMessage(
        channel=people.general,
        thread_ts=root,
        text="answer",
        metadata={"event_type": "answer", "event_payload": {"id": 1}},
    )
    reply_to_reply = await client.chat_postMessage(channel=people.general, thread_ts=root, text="more")
    nested = await client.chat_postMessage(channel=people.general, thread_ts=reply_to_reply["ts"], text="nested")

    history = await client.conversations_history(channel=people.general)
    replies = await client.conversations_replies(channel=people.general, ts=root, include_all_metadata=True)
    plain = await client.conversations_replies(channel=people.general, ts=root)

    assert [m["text"] for m in history["messages"]] == ["root question"]
    assert history["messages"][0]["reply_count"] == 3
    assert [m["text"] for m in replies["messages"]] == ["root question", "answer", "more", "nested"]
    assert nested["message"]["thread_ts"] == root
    assert replies["messages"][1]["metadata"]["event_type"] == "answer"
    assert "metadata" not in plain["messages"][1]
    assert slack.api_calls("conversations.replies")[0].http_method == "GET"
    assert [m.text for m in slack.messages("general", thread_ts=root)][1:] == ["answer", "more", "nested"]


async def test_posting_where_the_app_cannot_gives_slacks_errors(api):
    slack, people, client, _ = api
    slack.add_channel("random", members=[people.ana], bot_member=False)
    slack.add_channel("old", members=[people.ana])
    slack.archive_channel("old")
    secret = slack.add_channel("secret", members=[people.ana], bot_member=False, private=True)

    assert await error_of(client.chat_postMessage(channel="C999", text="x")) == "channel_not_found"
    assert await error_of(client.chat_postMessage(channel=slack.channel_id("random"), text="x")) == "not_in_channel"
    assert await error_of(client.chat_postMessage(channel=slack.channel_id("old"), text="x")) == "is_archived"
    assert await error_of(client.chat_postMessage(channel=secret, text="x")) == "channel_not_found"
    with pytest.warns(UserWarning, match="`text` argument is missing"):
        assert await error_of(client.chat_postMessage(channel=people.general, text="")) == "no_text"
    assert await error_of(client.chat_postMessage(channel=people.general, text="x" * 40_001)) == "msg_too_long"
    assert await error_of(client.conversations_history(channel=slack.channel_id("random"))) == "not_in_channel"
    slack.remove_bot_from("general")
    assert await error_of(client.chat_postMessage(channel=people.general, text="x")) == "not_in_channel"
    assert slack.messages() == []
    assert slack.problems == []


async def test_tokens_are_checked(api):
    slack, people, _, _ = api
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url)
    anonymous = AsyncWebClient(base_url=slack.api_url)
    socket_only = AsyncWebClient(token=slack.app_token, base_url=slack.api_url)

    assert await error_of(wrong.chat_postMessage(channel=people.general, text="x")) == "invalid_auth"
    assert await error_of(anonymous.auth_test()) == "not_authed"
    assert await error_of(socket_only.chat_postMessage(channel=people.general, text="x")) == "not_allowed_token_type"
    assert (await socket_only.apps_connections_open(app_token=slack.app_token))["url"].startswith("ws://127.0.0.1:")


async def test_updates_and_deletes_apply_only_to_the_apps_own_messages(api):
    slack, people, client, _ = api
    posted = await client.chat_postMessage(channel=people.general, text="draft")
    human = await people.ana.post("general", "mine")

    await client.chat_update(channel=people.general, ts=posted["ts"], text="final")
    assert slack.bot_messages("general")[0].text == "final"
    assert slack.bot_messages("general")[0].edited is not None
    assert await error_of(client.chat_update(channel=people.general, ts=human, text="x")) == "cant_update_message"
    assert await error_of(client.chat_update(channel=people.general, ts="1.000001", text="x")) == "message_not_found"

    await client.chat_delete(channel=people.general, ts=posted["ts"])
    assert slack.bot_messages("general") == []
    assert await error_of(client.chat_delete(channel=people.general, ts=posted["ts"])) == "message_not_found"


async def test_ephemerals_reach_only_members(api):
    slack, people, client, _ = api
    outsider = slack.add_user("olga")

    await client.chat_postEphemeral(channel=people.general, user=people.ana.id, text="just for you")

    assert [e.text for e in slack.ephemerals(people.ana)] == ["just for you"]
    assert slack.ephemerals(people.you) == []
    error = await error_of(client.chat_postEphemeral(channel=people.general, user=outsider.id, text="x"))
    assert error == "user_not_in_channel"


async def test_reactions_and_permalinks(api):
    slack, people, client, _ = api
    ts = await people.ana.post("general", "nice")

    await client.reactions_add(channel=people.general, timestamp=ts, name="tada")
    assert await error_of(client.reactions_add(channel=people.general, timestamp=ts, name="tada")) == "already_reacted"
    got = await client.reactions_get(channel=people.general, timestamp=ts)
    assert got["message"]["reactions"] == [{"name": "tada", "users": [slack.bot_user_id], "count": 1}]
    await client.reactions_remove(channel=people.general, timestamp=ts, name="tada")
    assert await error_of(client.reactions_remove(channel=people.general, timestamp=ts, name="tada")) == "no_reaction"

    link = await client.chat_getPermalink(channel=people.general, message_ts=ts)
    assert link["permalink"].endswith(f"/archives/{people.general}/p{ts.replace('.', '')}")


async def test_conversations_open_gives_the_dm_a_person_writes_in(api):
    _, people, client, _ = api
    opened = await client.conversations_open(users=people.ana.id)
    info = await client.conversations_info(channel=opened["channel"]["id"])

    assert opened["channel"]["id"] == people.ana.dm_channel
    assert info["channel"]["is_im"] and info["channel"]["user"] == people.ana.id
    members = await client.conversations_members(channel=people.general)
    assert set(members["members"]) == {people.you.id, people.ana.id, api[0].bot_user_id}


async def test_a_file_upload_keeps_its_bytes_and_is_shared_in_the_thread(api):
    slack, people, client, _ = api
    root = await people.ana.post("general", "draw my loop")

    uploaded = await client.files_upload_v2(
        channel=people.general,
        thread_ts=root,
        content=PNG,
        filename="loop.png",
        title="Your loop",
        initial_comment="Here is your loop",
    )

    record = await slack.wait_for_file(channel="general", name="loop.png")
    assert record.content == PNG and record.title == "Your loop"
    assert uploaded["file"]["id"] == record.id
    share = slack.bot_messages("general", thread_ts=root)[-1]
    assert share.text == "Here is your loop" and share.files == [record.id] and share.subtype == "file_share"
    async with aiohttp.ClientSession() as session, session.get(record.to_api(slack.base_url)["url_private"]) as got:
        assert await got.read() == PNG
    upload_call = slack.api_calls("files.getUploadURLExternal")[0]
    assert int(upload_call.params["length"]) == len(PNG)


async def test_a_multipart_upload_works_and_a_short_upload_is_refused(api):
    slack, people, client, _ = api
    reserved = await client.files_getUploadURLExternal(filename="notes.txt", length=5)
    form = aiohttp.FormData()
    form.add_field("file", b"hello", filename="notes.txt")
    async with aiohttp.ClientSession() as session, session.post(reserved["upload_url"], data=form) as answer:
        assert answer.status == 200
    await client.files_completeUploadExternal(
        files=[{"id": reserved["file_id"], "title": "Notes"}], channel_id=people.general
    )
    assert slack.files("general")[0].content == b"hello"

    short = await client.files_getUploadURLExternal(filename="short.txt", length=10)
    async with aiohttp.ClientSession() as session, session.post(short["upload_url"], data=b"abc") as answer:
        assert answer.status == 200
    error = await error_of(
        client.files_completeUploadExternal(files=[{"id": short["file_id"]}], channel_id=people.general)
    )
    assert error == "file_upload_size_mismatch"
    assert slack.clear_problems() == [
        f"files.completeUploadExternal: {short['file_id']} declared 10 bytes but 3 were uploaded"
    ]


async def test_chat_stream_is_assembled_into_one_message(api):
    slack, people, client, _ = api
    root = await people.ana.post(people.ana.dm_channel, "explain the flywheel")

    streamer = await client.chat_stream(channel=people.ana.dm_channel, thread_ts=root, buffer_size=8)
    await streamer.append(markdown_text="Data comes in, ")
    partial = slack.bot_messages(people.ana.dm_channel)
    assert partial and partial[0].streaming
    await streamer.append(markdown_text="models improve, ")
    await streamer.stop(
        markdown_text="users return.",
        blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": "sources: 2"}]}],
    )

    message = await slack.wait_for_message(channel=people.ana.dm_channel, thread_ts=root)
    assert message.text == "Data comes in, models improve, users return."
    assert "sources: 2" in message.all_text()
    assert len(slack.bot_messages(people.ana.dm_channel)) == 1
    assert {c.method for c in slack.api_calls()} >= {"chat.startStream", "chat.appendStream", "chat.stopStream"}
    error = await error_of(client.chat_appendStream(channel=people.ana.dm_channel, ts=message.ts, markdown_text="x"))
    assert error == "message_not_in_streaming_state"


async def test_streaming_in_a_channel_needs_a_recipient(api):
    _, people, client, _ = api
    root = await people.ana.post("general", "question")

    error = await error_of(client.chat_startStream(channel=people.general, thread_ts=root, markdown_text="x"))

    assert error == "missing_recipient_team_id"
    await client.chat_startStream(
        channel=people.general,
        thread_ts=root,
        markdown_text="x",
        recipient_team_id=api[0].team_id,
        recipient_user_id=people.ana.id,
    )


async def test_a_scheduled_message_is_posted_when_the_clock_gets_there(api):
    slack, people, client, clock = api
    post_at = int((clock.now() + timedelta(days=1)).timestamp())

    scheduled = await client.chat_scheduleMessage(channel=people.general, post_at=post_at, text="check-in time")
    pending = await client.chat_scheduledMessages_list(channel=people.general)
    assert [s["id"] for s in pending["scheduled_messages"]] == [scheduled["scheduled_message_id"]]
    assert slack.messages("general") == []

    slack.advance(timedelta(days=1, seconds=1))
    message = await slack.wait_for_message(channel="general", contains="check-in time")
    assert float(message.ts) >= post_at
    past = int((clock.now() - timedelta(hours=1)).timestamp())
    assert await error_of(client.chat_scheduleMessage(channel=people.general, post_at=past, text="x")) == "time_in_past"


async def test_views_need_a_fresh_trigger_and_a_current_hash(api):
    slack, people, client, _ = api
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "v1"}}]}
    first = await client.views_publish(user_id=people.ana.id, view=home)
    await client.views_publish(user_id=people.ana.id, view=home, hash=first["view"]["hash"])

    stale = await error_of(client.views_publish(user_id=people.ana.id, view=home, hash=first["view"]["hash"]))
    assert stale == "hash_conflict"
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Hi"},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "x"}}],
    }
    assert await error_of(client.views_open(trigger_id="12345.98765.abcd", view=modal)) == "invalid_trigger_id"
    assert slack.home_view(people.ana).hash != first["view"]["hash"]
