"""Many workspaces, one coach: installed through the real OAuth flow, each served with its own token, kept apart,
learning from each other's votes, and forgotten completely when one of them uninstalls."""

from __future__ import annotations

import asyncio
import html
import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot.clock import ManualClock
from bot.config import load_settings
from bot.emulator import LocalSlack, Team
from bot.emulator.humans import Human
from bot.manifest import build_manifest
from bot.runtime import Coach, open_coach, serving_http
from tests.conftest import ChromaServer
from tests.e2e.conftest import CoachFactory

FLYWHEEL = Path(sys.executable).with_name("flywheel-coach")
SECRET_WORD = "quokkabrine"
SECRET_QUESTION = "what is the quokkabrine rule for releases?"
# Asked in the other workspace: it names no secret, so any trace of the secret there would be Beta's.
PLAIN_QUESTION = "which release rule makes a release wait a full day in staging?"
TEAM_DOC = (
    f"# Release Rules\n\n## The {SECRET_WORD} rule\n\n"
    f"Every {SECRET_WORD} release waits one full day in staging before it ships.\n"
)
SHARED_TEXT = "Reviewing one metric every Friday keeps a product loop honest about what actually worked."
SHARED_QUESTION = "why review one metric every friday?"


def _next_ship_time(clock: ManualClock) -> datetime:
    """A minute after the next Tuesday 10:00 UTC: when the default ship prompt of a UTC team is due."""
    moment = clock.now().astimezone(UTC).replace(hour=10, minute=1, second=0, microsecond=0)
    while moment.weekday() != 1 or moment <= clock.now():
        moment += timedelta(days=1)
    return moment


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def material(tmp_path: Path) -> Path:
    """Small shared material: two near-twin passages, so votes decide which comes first."""
    folder = tmp_path / "material"
    folder.mkdir()
    (folder / "review-a.md").write_text(f"# Review Habits\n\n## Friday Review\n\n{SHARED_TEXT}\n")
    (folder / "review-b.md").write_text(f"# Review Routines\n\n## Friday Review\n\n{SHARED_TEXT}\n")
    return folder


def _environment(slack: LocalSlack, *, data_dir: Path, port: int, knowledge: Path, chroma: str) -> dict[str, str]:
    return {
        "CHROMA_URL": chroma,
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "SLACK_REDIRECT_URI": f"http://127.0.0.1:{port}/slack/oauth_redirect",
        "FLYWHEEL_DATA_DIR": str(data_dir),
        "KNOWLEDGE_DIR": str(knowledge),
    }


@asynccontextmanager
async def multi_workspace_coach(
    slack: LocalSlack, clock: ManualClock, tmp_path: Path, material: Path, chroma: ChromaServer
) -> AsyncIterator[tuple[Coach, str, dict[str, str]]]:
    """The coach in any-workspace mode, served over HTTP: (coach, its base URL, its environment).

    Its vectors live in a Chroma server, as they do for replicas: the CLI indexes from another process.
    """
    port = _free_port()
    environment = _environment(slack, data_dir=tmp_path / "data", port=port, knowledge=material, chroma=chroma.url)
    settings = load_settings(**environment)
    assert settings.multi_workspace
    async with open_coach(settings, clock=clock) as coach, serving_http(coach, host="127.0.0.1", port=port):
        slack.set_request_url(f"http://127.0.0.1:{port}/slack/events")
        try:
            yield coach, f"http://127.0.0.1:{port}", environment
            await slack.wait_idle()
        finally:
            slack.set_request_url(None)


async def install_with_browser(slack: LocalSlack, base_url: str, installer: Human) -> str:
    """What a person does: open Add to Slack, allow in Slack, come back to the coach; the page they see."""
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{base_url}/slack/install") as page:
            assert page.status == 200
            links = re.findall(r'href="([^"]+)"', await page.text())
            # The state cookie is `Secure`: browsers keep it for http://127.0.0.1 too, aiohttp's jar does not.
            cookie = page.headers["Set-Cookie"].split(";")[0]
        authorize = next(html.unescape(link) for link in links if link.startswith(slack.authorize_url))
        redirect = await slack.consent(authorize, installer=installer)
        assert redirect.startswith(f"{base_url}/slack/oauth_redirect?")
        async with browser.get(redirect, headers={"Cookie": cookie}) as done:
            assert done.status == 200, await done.text()
            return await done.text()


async def install_team(slack: LocalSlack, base_url: str, name: str) -> tuple[Team, Human, str]:
    """A workspace with one person and a #general the coach is in, installed by that person."""
    team = slack.add_workspace(name)
    person = team.add_user(f"admin-{name.lower()}")
    page = await install_with_browser(slack, base_url, person)
    assert f"installed in {name}" in page
    general = team.add_channel("general", members=[person])
    team.add_bot_to(general)
    return team, person, general


async def ask(team: Team, person: Human, channel: str, question: str) -> str:
    """Mention the coach with a question; the text of its answer in the thread."""
    asked = await person.mention(channel, question)
    answer = await team.wait_for_message(channel=channel, thread_ts=asked, timeout=30)
    assert answer.bot_id == team.bot_id, "answered with another workspace's bot"
    return answer.all_text()


async def cli(environment: dict[str, str], *arguments: str) -> str:
    """Run the real CLI in its own process; its standard output."""
    process = await asyncio.create_subprocess_exec(
        str(FLYWHEEL),
        *arguments,
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def rows_of(coach: Coach, team_id: str) -> dict[str, int]:
    """How many rows each table holds for a workspace."""
    counts = {}
    async with coach.services.db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if "team_id" in table.c:
                found = await connection.scalar(
                    select(func.count()).select_from(table).where(table.c.team_id == team_id)
                )
                if found:
                    counts[table.name] = found
    return counts


def files_containing(folder: Path, needle: str) -> list[str]:
    """Every file under `folder` whose bytes contain `needle` (the database, its log, the Chroma store)."""
    return [str(path) for path in folder.rglob("*") if path.is_file() and needle.encode() in path.read_bytes()]


async def test_two_installed_workspaces_are_served_apart_and_one_leaves_without_a_trace(
    slack: LocalSlack, clock: ManualClock, tmp_path: Path, material: Path, chroma_server: ChromaServer
) -> None:
    async with multi_workspace_coach(slack, clock, tmp_path, material, chroma_server) as (coach, base_url, environment):
        acme, ana, acme_general = await install_team(slack, base_url, "Acme")
        beta, bo, beta_general = await install_team(slack, base_url, "Beta")
        welcome = await acme.wait_for_message(channel=acme.dm_channel(ana), contains="Thanks for installing")
        assert welcome.bot_id == acme.bot_id
        assert (await beta.wait_for_message(channel=beta.dm_channel(bo), contains="Thanks for installing")).bot_id

        assert "Friday" in await ask(acme, ana, acme_general, SHARED_QUESTION)
        assert "Friday" in await ask(beta, bo, beta_general, SHARED_QUESTION)

        # Check-ins for Acme, posted by `checkins run-due` with Acme's token.
        turned_on = await ana.slash("/flywheel", "checkins on", channel=acme_general)
        assert turned_on.error is None
        await acme.wait_for_message(channel=acme_general, contains="check-ins")
        pass_report = await cli(environment, "checkins", "run-due", "--now", _next_ship_time(clock).isoformat())
        assert "posted" in pass_report
        prompts = [m for m in acme.bot_messages(acme_general) if "ship" in m.all_text().lower()]
        assert prompts and all(m.bot_id == acme.bot_id for m in prompts)
        assert not [m for m in beta.bot_messages(beta_general) if "ship" in m.all_text().lower()]

        # Beta indexes its own material from another process; the running coach answers from it at once, for Beta only.
        handbook = tmp_path / "beta-handbook"
        handbook.mkdir()
        (handbook / "releases.md").write_text(TEAM_DOC)
        await cli(environment, "index", str(handbook), "--team", beta.team_id)
        assert SECRET_WORD in await ask(beta, bo, beta_general, SECRET_QUESTION)
        assert SECRET_WORD not in await ask(acme, ana, acme_general, PLAIN_QUESTION)

        # Beta leaves: nothing of it is left anywhere, and Acme goes on.
        assert await rows_of(coach, beta.team_id)
        await slack.uninstall(beta)
        for _ in range(100):
            if not await rows_of(coach, beta.team_id):
                break
            await asyncio.sleep(0.1)
        assert await rows_of(coach, beta.team_id) == {}
        stored = coach.services.knowledge.store.collection.get(where={"team_id": beta.team_id})
        assert stored["ids"] == []
        for folder in (Path(environment["FLYWHEEL_DATA_DIR"]), chroma_server.path):
            assert files_containing(folder, SECRET_WORD) == []
        assert SECRET_WORD not in await ask(acme, ana, acme_general, PLAIN_QUESTION)
        assert "Friday" in await ask(acme, ana, acme_general, SHARED_QUESTION)


async def test_votes_in_one_workspace_rerank_answers_in_another(
    slack: LocalSlack, clock: ManualClock, tmp_path: Path, material: Path, chroma_server: ChromaServer
) -> None:
    async with multi_workspace_coach(slack, clock, tmp_path, material, chroma_server) as (
        coach,
        base_url,
        _environment,
    ):
        acme, ana, acme_general = await install_team(slack, base_url, "Acme")
        beta, bo, beta_general = await install_team(slack, base_url, "Beta")

        async def first_source(team: Team, person: Human, channel: str) -> tuple[str, object]:
            asked = await person.mention(channel, SHARED_QUESTION)
            answer = await team.wait_for_message(channel=channel, thread_ts=asked, timeout=30)
            titles = re.findall(r"Review (Habits|Routines)", answer.all_text())
            assert titles, answer.all_text()
            return titles[0], answer

        before, _ = await first_source(beta, bo, beta_general)
        top, answer = await first_source(acme, ana, acme_general)
        assert top == before
        voters = [ana, *(acme.add_user(f"voter{n}") for n in range(4))]
        for voter in voters:
            acme.join(acme_general, voter)
            await voter.give_feedback(positive=False, message=answer)
        await slack.wait_idle()

        after, _ = await first_source(beta, bo, beta_general)
        assert after != before
        # What crossed over is counts per passage id: Beta holds no vote, Acme holds all five.
        assert "answer_vote" not in await rows_of(coach, beta.team_id)
        assert (await rows_of(coach, acme.team_id))["answer_vote"] == len(voters)


async def test_rotating_tokens_are_refreshed_for_listeners_and_for_scheduled_work(
    clock: ManualClock, tmp_path: Path, material: Path, chroma_server: ChromaServer
) -> None:
    # Tokens that expire within Bolt's refresh window: every use refreshes them first.
    async with (
        LocalSlack(
            clock=clock, manifest=build_manifest(), token_rotation=True, token_lifetime=timedelta(minutes=90)
        ) as slack,
        multi_workspace_coach(slack, clock, tmp_path, material, chroma_server) as (coach, base_url, env),
    ):
        acme, ana, general = await install_team(slack, base_url, "Acme")
        first_token = acme.bot_token
        assert "Friday" in await ask(acme, ana, general, SHARED_QUESTION)
        refreshed = [c for c in slack.api_calls("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"]
        assert refreshed
        assert acme.bot_token != first_token
        assert (await ana.slash("/flywheel", "checkins on", channel=general)).error is None
        await cli(env, "checkins", "run-due", "--now", _next_ship_time(clock).isoformat())
        assert [m for m in acme.bot_messages(general) if "ship" in m.all_text().lower()]
        assert slack.problems == []


async def test_an_org_wide_install_serves_every_workspace_of_the_organisation(
    slack: LocalSlack, clock: ManualClock, tmp_path: Path, material: Path, chroma_server: ChromaServer
) -> None:
    async with multi_workspace_coach(slack, clock, tmp_path, material, chroma_server) as (coach, base_url, env):
        north = slack.add_workspace("North", enterprise_id="E0NORTHWIND")
        south = slack.add_workspace("South", enterprise_id="E0NORTHWIND")
        admin = north.add_user("admin")
        async with aiohttp.ClientSession() as browser:
            async with browser.get(f"{base_url}/slack/install") as page:
                cookie = page.headers["Set-Cookie"].split(";")[0]
                links = re.findall(r'href="([^"]+)"', await page.text())
            authorize = next(html.unescape(link) for link in links if link.startswith(slack.authorize_url))
            redirect = await slack.consent(authorize, installer=admin, org_install=True)
            async with browser.get(redirect, headers={"Cookie": cookie}) as done:
                assert done.status == 200, await done.text()
        for team in (north, south):
            person = team.add_user(f"person-{team.name.lower()}")
            channel = team.add_channel("general", members=[person])
            team.add_bot_to(channel)
            assert "Friday" in await ask(team, person, channel, SHARED_QUESTION)
        person = south.user("person-south")
        assert (await person.slash("/flywheel", "checkins on", channel=south.channel_id("general"))).error is None
        await cli(env, "checkins", "run-due", "--now", _next_ship_time(clock).isoformat())
        assert [m for m in south.bot_messages(south.channel_id("general")) if "ship" in m.all_text().lower()]


async def test_a_workspace_deleted_from_the_cli_stops_being_served_by_the_running_coach_at_once(
    slack: LocalSlack, coach_factory: CoachFactory, tmp_path: Path, material: Path, chroma_server: ChromaServer
) -> None:
    environment = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.api_url,
        "FLYWHEEL_DATA_DIR": str(tmp_path / "data"),
        "KNOWLEDGE_DIR": str(material),
        "CHROMA_URL": chroma_server.url,
    }
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana])
    async with coach_factory(
        "http", data_dir=tmp_path / "data", KNOWLEDGE_DIR=str(material), CHROMA_URL=chroma_server.url
    ):
        handbook = tmp_path / "handbook"
        handbook.mkdir()
        (handbook / "releases.md").write_text(TEAM_DOC)
        await cli(environment, "index", str(handbook), "--team", slack.team_id)
        assert SECRET_WORD in await ask(slack, ana, general, SECRET_QUESTION)
        deleted = await cli(environment, "workspace", "delete", slack.team_id, "--yes")
        assert "indexed material chunks 1" in deleted
        assert SECRET_WORD not in await ask(slack, ana, general, SECRET_QUESTION)


async def test_uninstalling_a_single_workspace_coach_deletes_its_data_too(
    slack: LocalSlack, coach_factory: CoachFactory, material: Path
) -> None:
    ana = slack.add_user("ana")
    general = slack.add_channel("general", members=[ana])
    async with coach_factory("http", KNOWLEDGE_DIR=str(material)) as coach:
        assert "Friday" in await ask(slack, ana, general, SHARED_QUESTION)
        assert (await rows_of(coach, slack.team_id)).get("answer") == 1
        await slack.uninstall(slack)
        await slack.wait_idle()
        assert await rows_of(coach, slack.team_id) == {}
