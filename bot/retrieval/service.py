"""Answers against storage: asking, recording what was answered, votes, sharing and gaps (no Slack here).

This is the one retrieval module that touches the database (through `bot.store.answers`); the knowledge
base stays a pure index-and-answer engine. Slack and the CLI both go through here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.retrieval.knowledge_base import AnswerStream, KnowledgeBase
from bot.retrieval.models import Answer, Passage
from bot.store import answers as store
from bot.store.answers import Gap, RetrievedPassage
from bot.store.db import Database
from bot.store.material import VOTE_PRIOR, bump_versions, read_versions
from bot.store.models.answers import DOWN, UP, AnswerRecord
from bot.store.threads import claim_thread

ANSWER_THREAD = "answer"
"""The thread kind of a thread an answer was posted in: replies there are follow-ups."""
HOME_GAPS = 5
POST_WINDOW = timedelta(minutes=10)
"""How late an answer left unposted by a process that died is still posted: Slack gives up redelivering an
event after minutes, and an answer arriving later than this reads as a stray rather than a reply (dropped)."""
POST_LEASE = timedelta(minutes=2)
"""A claim to post an answer older than this belongs to a process that died (posting takes seconds)."""


class Surface(StrEnum):
    """Where a question was asked."""

    MENTION = "mention"
    DM = "dm"
    COMMAND = "command"
    THREAD = "thread"


@dataclass(frozen=True, slots=True)
class Question:
    """A question asked in a workspace: who asked it, where, and the thread its answer goes in (None: privately).

    `follows_up` marks a question asked inside an existing thread: the thread's earlier questions are its context.
    """

    text: str
    team_id: str
    channel_id: str
    user_id: str
    surface: Surface
    thread_ts: str | None = None
    follows_up: bool = False


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """An answer as given, and the id it was stored under (its votes and sharing point at it)."""

    id: int
    answer: Answer


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer read back from storage, to post again (sharing a private answer in its channel)."""

    id: int
    question: str
    text: str
    grounded: bool
    generated: bool
    channel_id: str
    sources: list[RetrievedPassage]
    closest: bool = False


@dataclass(frozen=True, slots=True)
class UnpostedAnswer:
    """An answer recorded for a thread but never posted (its process died); this process has claimed it.

    `streamed_ts` is the message it was being streamed into, to finish in place instead of posting anew.
    """

    team_id: str
    thread_ts: str
    streamed_ts: str | None
    stored: StoredAnswer


@dataclass(frozen=True, slots=True)
class AnswerFigures:
    """The answers part of the Home tab: how many questions a workspace asked, and those answered badly."""

    answered: int
    gaps: list[str]


def retrieved_passages(answer: Answer) -> list[RetrievedPassage]:
    """What is stored of an answer's passages: every one retrieved, in rank order, then any cited one besides."""
    cited = {p.id for p in answer.sources}
    retrieved = list(answer.passages) + [p for p in answer.sources if all(p.id != q.id for q in answer.passages)]
    return [_stored(passage, cited=passage.id in cited) for passage in retrieved]


def _stored_answer(row: AnswerRecord, sources: list[RetrievedPassage]) -> StoredAnswer:
    return StoredAnswer(
        id=row.id or 0,
        question=row.question,
        text=row.answer_text,
        grounded=row.grounded,
        generated=row.generated,
        channel_id=row.channel_id,
        sources=sources,
        closest=row.closest,
    )


def _stored(passage: Passage, *, cited: bool) -> RetrievedPassage:
    return RetrievedPassage(
        passage_id=passage.id, label=passage.label, source=passage.source, score=passage.score, cited=cited
    )


async def _claim_answer_thread(session: AsyncSession, question: Question, *, answer_id: int | None = None) -> None:
    """Mark the question's thread (if it has one) as an answer's, so replies there are follow-ups."""
    if question.thread_ts is None:
        return
    await claim_thread(
        session,
        team_id=question.team_id,
        channel_id=question.channel_id,
        thread_ts=question.thread_ts,
        kind=ANSWER_THREAD,
        ref_id=None if answer_id is None else str(answer_id),
    )


class AnswerService:
    """Answers questions for a workspace and keeps what the coach learns from the replies."""

    def __init__(self, db: Database, knowledge: KnowledgeBase) -> None:
        self.db = db
        self.knowledge = knowledge
        self._prior_version = -1  # no prior loaded yet: the first sync loads it whatever the version
        self.started_at = datetime.now(UTC)

    # ---- answering

    async def sync(self, team_id: str | None) -> None:
        """Catch up with what other processes changed: material indexed or deleted, votes cast anywhere.

        One small read per question: the versions of the shared material, the workspace's own, and the votes.
        """
        scopes = self.knowledge.scopes_for(team_id)
        async with self.db.session() as session:
            versions = await read_versions(session, names=[*scopes, VOTE_PRIOR])
            prior = versions.get(VOTE_PRIOR, 0)
            if prior != self._prior_version:
                self.knowledge.set_vote_counts(await store.vote_counts(session))
                self._prior_version = prior
        await self.knowledge.sync(team_id, versions)

    async def answer(self, text: str, *, team_id: str | None = None) -> Answer:
        """Answer from the material (the workspace's own too, when given) without keeping anything."""
        await self.sync(team_id)
        return await self.knowledge.answer(text, team_id=team_id)

    async def stream(self, question: Question) -> AnswerStream:
        """Start answering: retrieval happens now, the text streams (from the model when one is set)."""
        history: list[str] = []
        if question.follows_up and question.thread_ts is not None:
            history = await self._thread_questions(
                team_id=question.team_id, channel_id=question.channel_id, thread_ts=question.thread_ts
            )
        await self.sync(question.team_id)
        return await self.knowledge.stream_answer(question.text, team_id=question.team_id, history=history)

    async def ask(self, question: Question) -> RecordedAnswer:
        """Answer a question whole and record it."""
        stream = await self.stream(question)
        return await self.record(question, await stream.complete())

    async def claim_thread(self, question: Question) -> None:
        """Own the question's thread before an answer is streamed into it: a quick follow-up must find its owner."""
        async with self.db.session() as session:
            await _claim_answer_thread(session, question)

    async def record(self, question: Question, answer: Answer, *, streamed_ts: str | None = None) -> RecordedAnswer:
        """Store the answer and, before it is posted, claim its thread: a quick follow-up must find its owner.

        An answer for a thread is recorded as owed to it until `remember_post`: if this process dies first,
        the next one to start posts it (or finishes `streamed_ts`, the message it was streamed into).
        """
        async with self.db.session() as session:
            row = await store.record_answer(
                session,
                team_id=question.team_id,
                channel_id=question.channel_id,
                user_id=question.user_id,
                question=question.text,
                text=answer.text,
                grounded=answer.grounded,
                closest=answer.closest,
                generated=answer.generated,
                confidence=answer.confidence,
                passages=retrieved_passages(answer),
                surface=question.surface,
                thread_ts=question.thread_ts,
                post_claim=None if question.thread_ts is None else uuid.uuid4().hex,
                streamed_ts=streamed_ts,
            )
            answer_id = row.id or 0
            await _claim_answer_thread(session, question, answer_id=answer_id)
        return RecordedAnswer(id=answer_id, answer=answer)

    async def remember_post(
        self, *, team_id: str, channel_id: str, answer_id: int, message_ts: str | None, thread_ts: str
    ) -> None:
        """Remember where an answer was posted, and own its thread (replies there are follow-ups)."""
        async with self.db.session() as session:
            await store.set_answer_message(
                session, team_id=team_id, answer_id=answer_id, message_ts=message_ts, thread_ts=thread_ts
            )
            await claim_thread(
                session,
                team_id=team_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                kind=ANSWER_THREAD,
                ref_id=str(answer_id),
            )

    async def claim_unposted(self) -> list[UnpostedAnswer]:
        """Claim the recent answers, in every workspace, that a process which died recorded but never posted.

        Only answers recorded within `POST_WINDOW` are returned; older ones stay unposted for good. A claim
        made before this process started, or longer ago than `POST_LEASE`, belongs to a dead process.
        """
        now = datetime.now(UTC)
        async with self.db.session() as session:
            rows = await store.claim_unposted_answers(
                session,
                since=now - POST_WINDOW,
                stale_before=max(self.started_at, now - POST_LEASE),
                token=uuid.uuid4().hex,
                now=now,
            )
            unposted = []
            for row in rows:
                sources = await store.answer_sources(session, team_id=row.team_id, answer_id=row.id or 0)
                unposted.append(
                    UnpostedAnswer(
                        team_id=row.team_id,
                        thread_ts=row.thread_ts or "",
                        streamed_ts=row.message_ts,
                        stored=_stored_answer(row, sources),
                    )
                )
        return unposted

    async def _thread_questions(self, *, team_id: str, channel_id: str, thread_ts: str) -> list[str]:
        """The thread's last questions, oldest first: a follow-up's context."""
        async with self.db.session() as session:
            return await store.thread_questions(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)

    # ---- feedback and sharing

    async def vote(self, *, team_id: str, user_id: str, answer_id: int, helpful: bool) -> None:
        """Record a person's 👍 (helpful) or 👎 on an answer and move the shared ranking prior of what it cited."""
        vote = UP if helpful else DOWN
        async with self.db.session() as session:
            previous = await store.cast_vote(session, team_id=team_id, answer_id=answer_id, user_id=user_id, vote=vote)
            cited = [s.passage_id for s in await store.answer_sources(session, team_id=team_id, answer_id=answer_id)]
            if previous != vote:
                await bump_versions(session, names=[VOTE_PRIOR], team_id=None)
        if previous != vote:  # a changed vote moves one count down and the other up
            up_change = int(vote == UP) - int(previous == UP)
            down_change = int(vote == DOWN) - int(previous == DOWN)
            self.knowledge.add_votes(cited, up=up_change, down=down_change)

    async def explain_vote(self, *, team_id: str, user_id: str, answer_id: int, reason: str) -> None:
        """Keep the reason a person gave for a thumbs-down with their vote."""
        async with self.db.session() as session:
            await store.set_vote_reason(session, team_id=team_id, answer_id=answer_id, user_id=user_id, reason=reason)

    async def stored(self, *, team_id: str, answer_id: int) -> StoredAnswer:
        """An answer of this workspace as it was stored, with the sources it cited."""
        async with self.db.session() as session:
            row = await store.get_answer(session, team_id=team_id, answer_id=answer_id)
            sources = await store.answer_sources(session, team_id=team_id, answer_id=answer_id)
        return _stored_answer(row, sources)

    # ---- what the coach learned

    async def figures(self, *, team_id: str) -> AnswerFigures:
        """How many questions this workspace asked, and the ones its answers served badly (most asked first)."""
        async with self.db.session() as session:
            answered = await store.answer_count(session, team_id=team_id)
            gaps = await store.knowledge_gaps(session, team_id=team_id, limit=HOME_GAPS)
        return AnswerFigures(answered=answered, gaps=[gap.question for gap in gaps])

    async def gaps(self, *, team_id: str | None = None, limit: int = 20) -> list[Gap]:
        """Questions answered badly (no grounded answer or a thumbs-down): one workspace's, or every one's merged."""
        async with self.db.session() as session:
            return await store.knowledge_gaps(session, team_id=team_id, limit=limit)
