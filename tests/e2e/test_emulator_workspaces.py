"""Many workspaces in one local Slack: per-token rules, OAuth installs, token rotation, org-wide installs,
uninstalls, and deliveries spread over replicas. Real AsyncWebClient over loopback, real signed requests."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import ManualClock
from bot.emulator import LocalSlack, Team
from bot.emulator.checks import minimal_manifest

SCOPES = ["chat:write", "app_mentions:read", "im:history", "users:read"]
EVENTS = ["app_mention", "message.im", "app_uninstalled", "tokens_revoked"]
REDIRECT = "https://coach.example/slack/oauth_redirect"
MANIFEST = {
    **minimal_manifest(scopes=SCOPES, events=EVENTS),
    "oauth_config": {"scopes": {"bot": SCOPES}, "redirect_urls": [REDIRECT]},
}


@dataclass
class Replica:
    """A stand-in for one app process: checks each request's signature and remembers the body."""

    url: str = ""
    bodies: list[dict] = field(default_factory=list)
    retries: list[str | None] = field(default_factory=list)


@asynccontextmanager
async def replicas(slack: LocalSlack, count: int) -> AsyncIterator[list[Replica]]:
    verifier = SignatureVerifier(slack.signing_secret)
    runners, found = [], []
    for _ in range(count):
        replica = Replica()

        async def receive(request: web.Request, replica: Replica = replica) -> web.Response:
            body = await request.read()
            if not verifier.is_valid_request(body, dict(request.headers)):
                return web.Response(status=401)
            replica.bodies.append(json.loads(body))
            replica.retries.append(request.headers.get("X-Slack-Retry-Num"))
            return web.Response(status=200)

        app = web.Application()
        app.router.add_post("/slack/events", receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        replica.url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        runners.append(runner)
        found.append(replica)
    slack.set_request_url([r.url for r in found])
    try:
        yield found
    finally:
        slack.set_request_url(None)
        for runner in runners:
            await runner.cleanup()


def install_link(slack: LocalSlack, *, scope: str = ",".join(SCOPES), state: str = "s-1") -> str:
    query = {"state": state, "client_id": slack.client_id, "scope": scope, "user_scope": ""}
    return f"{slack.authorize_url}?{urlencode(query)}"


def code_of(redirect: str) -> str:
    return parse_qs(urlsplit(redirect).query)["code"][0]


async def install(slack: LocalSlack, team: Team, *, org_install: bool = False) -> dict:
    installer = team.add_user(f"admin-{team.team_id.lower()}")
    redirect = await slack.consent(install_link(slack), installer=installer, org_install=org_install)
    answer = await AsyncWebClient(base_url=slack.api_url).oauth_v2_access(
        client_id=slack.client_id, client_secret=slack.client_secret, code=code_of(redirect)
    )
    return answer.data


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    async with LocalSlack(manifest=MANIFEST, clock=ManualClock()) as local_slack:
        yield local_slack


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as failure:
        await call
    return failure.value.response["error"]


async def test_each_token_sees_only_its_own_workspace(slack: LocalSlack) -> None:
    acme = slack.add_workspace("Acme", installed=True)
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana])
    bob = acme.add_user("bob")
    acme_general = acme.add_channel("general", members=[bob])
    assert acme.team_id != slack.team_id and acme_general != general and bob.id != ana.id

    acme_client = AsyncWebClient(token=acme.bot_token, base_url=slack.api_url)
    who = await acme_client.auth_test()
    assert (who["team_id"], who["user_id"], who["bot_id"]) == (acme.team_id, acme.bot_user_id, acme.bot_id)
    assert who["is_enterprise_install"] is False
    assert await error_of(acme_client.chat_postMessage(channel=general, text="hi")) == "channel_not_found"
    assert await error_of(acme_client.users_info(user=ana.id)) == "user_not_found"
    await acme_client.chat_postMessage(channel=acme_general, text="hello Acme")
    assert [m.text for m in acme.bot_messages(acme_general)] == ["hello Acme"]
    assert slack.bot_messages(general) == []
    assert [c.method for c in acme.api_calls()] == ["auth.test", "chat.postMessage", "users.info", "chat.postMessage"]
    assert await error_of(AsyncWebClient(token="xoxb-nobody", base_url=slack.api_url).auth_test()) == "invalid_auth"


async def test_oauth_install_exchanges_a_code_once_and_the_new_bot_token_works(slack: LocalSlack) -> None:
    acme = slack.add_workspace("Acme")
    assert not acme.installed
    installer = acme.add_user("admin")
    redirect = await slack.consent(install_link(slack, state="xyz"), installer=installer)
    assert redirect.startswith(REDIRECT + "?") and parse_qs(urlsplit(redirect).query)["state"] == ["xyz"]
    client = AsyncWebClient(base_url=slack.api_url)

    wrong = client.oauth_v2_access(client_id=slack.client_id, client_secret="nope", code=code_of(redirect))
    assert await error_of(wrong) == "bad_client_secret"
    answer = (
        await client.oauth_v2_access(
            client_id=slack.client_id, client_secret=slack.client_secret, code=code_of(redirect)
        )
    ).data
    assert answer["ok"] is True and answer["token_type"] == "bot" and answer["app_id"] == slack.app_id
    assert answer["team"] == {"id": acme.team_id, "name": "Acme"} and answer["enterprise"] is None
    assert answer["authed_user"] == {"id": installer.id} and answer["is_enterprise_install"] is False
    assert set(answer["scope"].split(",")) == set(SCOPES) and "expires_in" not in answer
    assert acme.installed and answer["access_token"] == acme.bot_token
    assert answer["bot_user_id"] == acme.bot_user_id

    again = client.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret, code=code_of(redirect))
    assert await error_of(again) == "invalid_code"
    who = await AsyncWebClient(token=answer["access_token"], base_url=slack.api_url).auth_test()
    assert who["team_id"] == acme.team_id and who["bot_id"] == acme.bot_id
    slack.assert_no_problems()


async def test_consent_reports_an_install_link_with_other_scopes_or_another_client(slack: LocalSlack) -> None:
    acme = slack.add_workspace("Acme")
    admin = acme.add_user("admin")
    await slack.consent(install_link(slack, scope="chat:write"), installer=admin)
    assert any("bot scopes" in problem for problem in slack.clear_problems())
    wrong_client = install_link(slack).replace(slack.client_id, "123.456")
    with pytest.raises(Exception, match="client_id"):
        await slack.consent(wrong_client, installer=admin)


async def test_rotating_tokens_expire_by_the_clock_and_refresh_tokens_work_once() -> None:
    clock = ManualClock()
    async with LocalSlack(manifest=MANIFEST, clock=clock, token_rotation=True) as slack:
        acme = slack.add_workspace("Acme")
        answer = await install(slack, acme)
        assert answer["expires_in"] == 12 * 3600 and answer["refresh_token"].startswith("xoxe-1-")
        token = answer["access_token"]
        assert token.startswith("xoxe.xoxb-")
        await AsyncWebClient(token=token, base_url=slack.api_url).auth_test()
        slack.advance(timedelta(hours=13))
        assert await error_of(AsyncWebClient(token=token, base_url=slack.api_url).auth_test()) == "token_expired"

        client = AsyncWebClient(base_url=slack.api_url)
        fresh = (
            await client.oauth_v2_access(
                client_id=slack.client_id,
                client_secret=slack.client_secret,
                grant_type="refresh_token",
                refresh_token=answer["refresh_token"],
            )
        ).data
        assert fresh["token_type"] == "bot" and fresh["access_token"] != token
        assert fresh["refresh_token"] != answer["refresh_token"] and fresh["team"]["id"] == acme.team_id
        who = await AsyncWebClient(token=fresh["access_token"], base_url=slack.api_url).auth_test()
        assert who["team_id"] == acme.team_id
        reused = client.oauth_v2_access(
            client_id=slack.client_id,
            client_secret=slack.client_secret,
            grant_type="refresh_token",
            refresh_token=answer["refresh_token"],
        )
        assert await error_of(reused) == "invalid_refresh_token"


async def test_an_org_wide_install_serves_every_workspace_of_the_enterprise(slack: LocalSlack) -> None:
    north = slack.add_workspace("North", enterprise_id="E0001", enterprise_name="Globex")
    south = slack.add_workspace("South", enterprise_id="E0001")
    answer = await install(slack, north, org_install=True)
    assert answer["team"] is None and answer["is_enterprise_install"] is True
    assert answer["enterprise"] == {"id": "E0001", "name": "Globex"}
    assert north.installed and south.installed and north.bot_user_id == south.bot_user_id

    client = AsyncWebClient(token=answer["access_token"], base_url=slack.api_url)
    who = await client.auth_test()
    assert who["is_enterprise_install"] is True and who["enterprise_id"] == "E0001"
    sam = south.add_user("sam")
    south_room = south.add_channel("room", members=[sam])
    await client.chat_postMessage(channel=south_room, text="hello South")
    assert [m.text for m in south.bot_messages(south_room)] == ["hello South"]

    async with replicas(slack, 1) as [replica]:
        await sam.mention(south_room, "hi")
        await slack.wait_idle()
    [body] = [b for b in replica.bodies if b["event"]["type"] == "app_mention"]
    assert body["team_id"] == south.team_id and body["enterprise_id"] == "E0001"
    assert body["authorizations"][0]["is_enterprise_install"] is True
    assert body["authorizations"][0]["team_id"] is None


async def test_people_act_with_their_own_workspace_in_every_payload(slack: LocalSlack) -> None:
    acme = slack.add_workspace("Acme", enterprise_id="E0002", installed=True)
    bob = acme.add_user("bob")
    room = acme.add_channel("room", members=[bob])
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana])
    async with replicas(slack, 1) as [replica]:
        await bob.mention(room, "from Acme")
        await ana.mention(general, "from the default workspace")
        await slack.wait_idle()
    teams = {b["event"]["text"].split("> ")[1]: b for b in replica.bodies if b["event"]["type"] == "app_mention"}
    assert teams["from Acme"]["team_id"] == acme.team_id
    assert teams["from Acme"]["authorizations"][0]["enterprise_id"] == "E0002"
    assert teams["from Acme"]["authorizations"][0]["user_id"] == acme.bot_user_id
    assert teams["from the default workspace"]["team_id"] == slack.team_id
    assert "enterprise_id" not in teams["from the default workspace"]
    assert [d.label for d in acme.deliveries("event")] == ["app_mention"]


async def test_uninstall_revokes_the_tokens_and_tells_the_app_with_signed_events(slack: LocalSlack) -> None:
    acme = slack.add_workspace("Acme")
    answer = await install(slack, acme)
    bystander = slack.bot_token
    async with replicas(slack, 1) as [replica]:
        deliveries = await slack.uninstall(acme)
    assert [d.label for d in deliveries] == ["tokens_revoked", "app_uninstalled"] and all(d.acked for d in deliveries)
    revoked, uninstalled = replica.bodies
    assert revoked["event"]["tokens"] == {"oauth": [], "bot": [answer["bot_user_id"]]}
    assert revoked["team_id"] == uninstalled["team_id"] == acme.team_id
    assert uninstalled["event"]["type"] == "app_uninstalled"
    client = AsyncWebClient(token=answer["access_token"], base_url=slack.api_url)
    assert await error_of(client.auth_test()) == "token_revoked"
    assert not acme.installed
    await AsyncWebClient(token=bystander, base_url=slack.api_url).auth_test()


async def test_apps_uninstall_from_the_web_api_has_the_same_effect(slack: LocalSlack) -> None:
    acme = slack.add_workspace("Acme")
    answer = await install(slack, acme)
    client = AsyncWebClient(token=answer["access_token"], base_url=slack.api_url)
    async with replicas(slack, 1) as [replica]:
        await client.apps_uninstall(client_id=slack.client_id, client_secret=slack.client_secret)
        await slack.wait_idle()
    assert [b["event"]["type"] for b in replica.bodies] == ["tokens_revoked", "app_uninstalled"]
    assert await error_of(client.auth_test()) == "token_revoked"


async def test_deliveries_go_round_robin_and_a_redelivery_lands_on_the_other_replica(slack: LocalSlack) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana])
    async with replicas(slack, 2) as (first, second):
        for n in range(4):
            await ana.mention(general, f"question {n}")
        mentions = slack.deliveries("app_mention")
        assert [d.url for d in mentions] == [first.url, second.url, first.url, second.url]
        again = await slack.redeliver(mentions[1].event_id, retry_num=1)
        assert again.url == first.url and again.acked
    assert [b["event_id"] for b in first.bodies][-1] == mentions[1].event_id
    assert first.retries[-1] == "1"
    per_event = {
        d.event_id: len([x for x in slack.deliveries("app_mention") if x.event_id == d.event_id]) for d in mentions
    }
    assert per_event[mentions[1].event_id] == 2 and sorted(per_event.values()) == [1, 1, 1, 2]
