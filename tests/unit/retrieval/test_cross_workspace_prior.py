"""The coach's own flywheel: votes in one workspace re-rank answers in another, and leave with their workspace."""

from pathlib import Path

from bot.config import load_settings
from bot.retrieval.models import Answer
from bot.retrieval.service import retrieved_passages
from bot.services import build_services
from bot.store.answers import cast_vote, record_answer
from bot.store.models.answers import DOWN, UP
from bot.store.workspaces import delete_workspace_data

TEXT = "Reviewing one metric every Friday keeps a product loop honest about what worked."
QUESTION = "why review a metric every friday?"


async def _ranking(settings) -> list[str]:  # noqa: ANN001
    services = await build_services(settings)
    try:
        await services.knowledge.ensure_indexed(settings.knowledge_dir)
        return [p.source for p in await services.knowledge.search(QUESTION, team_id="T_OTHER", k=2)]
    finally:
        await services.aclose()


async def test_votes_in_one_workspace_change_the_ranking_in_another(tmp_path: Path):
    material = tmp_path / "material"
    material.mkdir()
    (material / "review-a.md").write_text(f"# Review Habits\n\n## Friday Review\n\n{TEXT}\n")
    (material / "review-b.md").write_text(f"# Review Routines\n\n## Friday Review\n\n{TEXT}\n")
    settings = load_settings(FLYWHEEL_DATA_DIR=str(tmp_path / "data"), KNOWLEDGE_DIR=str(material))
    before = await _ranking(settings)
    assert sorted(before) == ["material/review-a.md", "material/review-b.md"]
    first, second = before

    services = await build_services(settings)
    try:
        passages = await services.knowledge.search(QUESTION, k=2)
        by_source = {p.source: p for p in passages}
        async with services.db.session() as session:
            for cited, vote in ((second, UP), (first, DOWN)):
                answer = Answer("An answer [1].", True, [by_source[cited]], passages=passages)
                row = await record_answer(
                    session,
                    team_id="T_VOTER",
                    channel_id="C1",
                    user_id="U1",
                    question=QUESTION,
                    text=answer.text,
                    grounded=answer.grounded,
                    generated=answer.generated,
                    confidence=answer.confidence,
                    passages=retrieved_passages(answer),
                    surface="mention",
                )
                for user in ("U1", "U2", "U3", "U4"):
                    await cast_vote(session, team_id="T_VOTER", answer_id=row.id, user_id=user, vote=vote)
    finally:
        await services.aclose()

    assert await _ranking(settings) == [second, first]

    services = await build_services(settings)
    try:
        async with services.db.session() as session:
            await delete_workspace_data(session, team_id="T_VOTER")
    finally:
        await services.aclose()

    assert await _ranking(settings) == before
