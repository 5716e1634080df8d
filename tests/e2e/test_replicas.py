"""Two real `serve` processes on one database and one Chroma server behave as one coach.

Each event, redelivered to the other replica, has one effect; material indexed from a third process is
answered by both at once; and their check-in schedulers, both running on the real clock, post a prompt once.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.bench.slack import FLYWHEEL, InstalledWorkspace, Replica, install_workspace, serving_replicas
from bot.blocks import checkins as blocks
from bot.emulator import LocalSlack
from tests.conftest import ChromaServer

MENTIONS = 8
SECRET_WORD = "quokkabrine"
SECRET_QUESTION = "what is the quokkabrine rule for releases?"
PLAIN_QUESTION = "which release rule makes a release wait a full day in staging?"
TEAM_DOC = (
    f"# Release Rules\n\n## The {SECRET_WORD} rule\n\n"
    f"Every {SECRET_WORD} release waits one full day in staging before it ships.\n"
)
SHARED_QUESTION = "why review one metric every friday?"
ERROR_WORDS = ("Something went wrong", "Sorry")
SHIP_PROMPT = "What ships this week?"
# Every scheduler re-reads schedules made elsewhere and runs a catch-up pass this often (REFRESH_SECONDS).
SCHEDULER_REFRESH_SECONDS = 30


@pytest.fixture
def tiny_knowledge(tmp_path: Path) -> Path:
    """One short file, so each replica's first start indexes in a moment."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "review.md").write_text(
        "# Review Habits\n\n## Friday Review\n\n"
        "Reviewing one metric every Friday keeps a product loop honest about what actually worked.\n"
    )
    return folder


def _cli(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own console script)
        [str(FLYWHEEL), *arguments],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


async def _answer(workspace: InstalledWorkspace, question: str) -> str:
    asked = await workspace.person.mention(workspace.channel, question)
    answer = await workspace.team.wait_for_message(channel=workspace.channel, thread_ts=asked, timeout=30)
    assert answer.bot_id == workspace.team.bot_id, "answered with another workspace's bot"
    return answer.all_text()


def _zone_with_room_today(now: datetime) -> tuple[str, datetime]:
    """A fixed-offset zone where the moment two minutes from now is Monday..Saturday before 20:00.

    The week's cycle must run ship < measure < reminder < digest within Monday..Sunday, so the ship prompt
    goes today and the others on Sunday evening; some offset always gives today that room.
    """
    for hours in range(-12, 15):
        # Etc/GMT zones count the other way round: Etc/GMT-3 is three hours ahead of UTC.
        name = "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
        local = (now + timedelta(minutes=2)).astimezone(ZoneInfo(name))
        if local.weekday() != 6 and local.hour < 20:
            return name, local
    raise AssertionError("no time zone has room for a ship prompt today")


async def test_two_replicas_answer_each_event_once_see_new_material_and_post_each_checkin_once(
    slack: LocalSlack, shared_database_url: str, chroma_server: ChromaServer, tmp_path: Path, tiny_knowledge: Path
) -> None:
    async with serving_replicas(
        slack,
        2,
        database_url=shared_database_url,
        chroma_url=chroma_server.url,
        workdir=tmp_path,
        knowledge_dir=tiny_knowledge,
    ) as replicas:
        first, second = replicas
        slack.set_request_url([replica.events_url for replica in replicas])
        # The install page comes from one replica and the way back lands on the other: the state is in the database.
        acme = await install_workspace(slack, "Acme", install_from=first.base_url, redirect_to=second.base_url)
        beta = await install_workspace(slack, "Beta", install_from=second.base_url, redirect_to=first.base_url)
        for workspace in (acme, beta):
            welcome = await workspace.team.wait_for_message(
                channel=workspace.team.dm_channel(workspace.person), contains="Thanks for installing"
            )
            assert welcome.bot_id == workspace.team.bot_id

        await _each_event_once_across_replicas(slack, [acme, beta], replicas)
        await _indexed_material_reaches_every_replica_at_once(
            slack, acme, beta, replicas, tmp_path, database_url=shared_database_url, chroma_url=chroma_server.url
        )
        slack.set_request_url([replica.events_url for replica in replicas])
        await _schedulers_post_each_checkin_once(slack, acme)
        await slack.wait_idle()
        for replica in replicas:
            assert replica.process.returncode is None, replica.log.read_text()


async def _each_event_once_across_replicas(
    slack: LocalSlack, workspaces: list[InstalledWorkspace], replicas: list[Replica]
) -> None:
    """Mentions round-robin over the replicas, each redelivered to the other one: one answer per mention."""
    already = {d.seq for d in slack.deliveries("event")}
    threads: list[tuple[InstalledWorkspace, str]] = []
    for number in range(MENTIONS):
        workspace = workspaces[number % len(workspaces)]
        asked = await workspace.person.mention(workspace.channel, SHARED_QUESTION)
        threads.append((workspace, asked))
        if number % 2 == 0:
            # Half are retried while the first delivery is still being answered, as Slack does after a slow ack.
            for delivery in [d for d in slack.deliveries("event") if d.seq not in already]:
                already.add(delivery.seq)
                retry = await slack.redeliver(delivery.event_id or "")
                assert retry.url != delivery.url and retry.acked
    for workspace, asked in threads:
        await workspace.team.wait_for_message(channel=workspace.channel, thread_ts=asked, timeout=30)
    # The rest are retried after their answer is out.
    for delivery in [d for d in slack.deliveries("event") if d.seq not in already and not d.retry_num]:
        retry = await slack.redeliver(delivery.event_id or "")
        assert retry.url != delivery.url and retry.acked
    await slack.wait_idle(timeout=30)

    first_attempts = [d for d in slack.deliveries("event") if not d.retry_num and d.label == "app_mention"]
    assert {d.url for d in first_attempts} == {replica.events_url for replica in replicas}
    for workspace, asked in threads:
        answers = workspace.team.bot_messages(workspace.channel, asked)
        assert len(answers) == 1, [m.all_text()[:80] for m in answers]
        assert "Friday" in answers[0].all_text()
        assert answers[0].bot_id == workspace.team.bot_id
    for workspace in workspaces:
        said = " ".join(m.all_text() for m in workspace.team.bot_messages())
        assert not [word for word in ERROR_WORDS if word in said]


async def _indexed_material_reaches_every_replica_at_once(
    slack: LocalSlack,
    acme: InstalledWorkspace,
    beta: InstalledWorkspace,
    replicas: list[Replica],
    tmp_path: Path,
    *,
    database_url: str,
    chroma_url: str,
) -> None:
    """`index --team` from a third process; each replica, asked directly, answers from it for Beta only."""
    handbook = tmp_path / "beta-handbook"
    handbook.mkdir()
    (handbook / "releases.md").write_text(TEAM_DOC)
    environment = {
        "DATABASE_URL": database_url,
        "CHROMA_URL": chroma_url,
        "FLYWHEEL_DATA_DIR": str(tmp_path / "indexer"),
        "KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
    }
    indexed = await asyncio.to_thread(_cli, environment, "index", str(handbook), "--team", beta.team.team_id)
    assert indexed.returncode == 0, indexed.stderr
    for replica in replicas:
        slack.set_request_url(replica.events_url)
        assert SECRET_WORD in await _answer(beta, SECRET_QUESTION)
        assert SECRET_WORD not in await _answer(acme, PLAIN_QUESTION)
        assert [d.url for d in slack.deliveries("event")][-1] == replica.events_url


async def _schedulers_post_each_checkin_once(slack: LocalSlack, acme: InstalledWorkspace) -> None:
    """A ship prompt set two minutes ahead: both replicas' schedulers (on the real clock) race; one post."""
    person, channel = acme.person, acme.channel
    await person.slash("/flywheel", "checkins on", channel=channel)
    await acme.team.wait_for_ephemeral(person, contains="Check-ins are *on*")
    zone, ship_at = _zone_with_room_today(datetime.now(UTC))
    await person.click(blocks.ACTION_OPEN_SETTINGS)
    await acme.team.wait_for_modal(person)
    sunday = str(6)
    saved = await person.submit_modal(
        {
            blocks.BLOCK_TIMEZONE: zone,
            blocks.day_block(blocks.Prompt.SHIP): str(ship_at.weekday()),
            blocks.time_block(blocks.Prompt.SHIP): ship_at.strftime("%H:%M"),
            blocks.day_block(blocks.Prompt.MEASURE): sunday,
            blocks.time_block(blocks.Prompt.MEASURE): "21:00",
            blocks.day_block(blocks.Prompt.REMINDER): sunday,
            blocks.time_block(blocks.Prompt.REMINDER): "22:00",
            blocks.day_block(blocks.Prompt.DIGEST): sunday,
            blocks.time_block(blocks.Prompt.DIGEST): "23:00",
            blocks.BLOCK_ENABLED: ["ship"],
        }
    )
    assert saved.action == "closed", saved.errors
    await acme.team.wait_for_ephemeral(person, contains="Saved.")
    await acme.team.wait_for_message(channel=channel, contains=SHIP_PROMPT, timeout=240)
    # Give the other replica's scheduler a full refresh period to find the same prompt due, then count.
    await asyncio.sleep(SCHEDULER_REFRESH_SECONDS + 5)
    prompts = [m for m in acme.team.bot_messages(channel) if SHIP_PROMPT in m.all_text()]
    assert len(prompts) == 1
