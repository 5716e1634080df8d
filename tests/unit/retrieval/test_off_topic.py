"""Questions the coach is not for: declined on the bundled material, unless a team's own material answers them."""

from pathlib import Path

import numpy as np
import pytest

from bot.config import bundled_knowledge_dir
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.off_topic import OffTopic, off_topic_questions
from bot.retrieval.vector_cache import VectorCache

HANDBOOK = (
    "# Acme People Handbook\n\n## Vacation\n\n"
    "Every full-time employee gets 25 vacation days a year, plus public holidays. "
    "Request time off in the HR portal at least two weeks ahead; your manager approves it.\n"
)


@pytest.fixture
async def bundled(open_knowledge) -> KnowledgeBase:
    base = await open_knowledge()
    await base.ensure_indexed(bundled_knowledge_dir())
    yield base
    await base.close()


def test_a_question_like_the_examples_reads_more_off_topic_than_one_about_flywheels(embedder):
    fresh = OffTopic(embedder, VectorCache({}))
    shipped = OffTopic(embedder, VectorCache.bundled())
    assert len(off_topic_questions()) >= 100 and not any(q.startswith("#") for q in off_topic_questions())
    like = embedder.embed_one("any advice on running 1:1s with a quiet new engineer?")
    unlike = embedder.embed_one("how do we stop our data flywheel from spinning backward?")
    assert fresh.likeness(like) > fresh.likeness(unlike) + 0.1
    assert np.isclose(shipped.likeness(like), fresh.likeness(like), atol=1e-4)


async def test_a_training_question_in_the_materials_words_is_declined_and_a_flywheel_one_answered(
    bundled: KnowledgeBase,
):
    hyperparameters = await bundled.answer("which optimizer and learning rate work best for fine-tuning a small model?")
    assert not hyperparameters.grounded
    learning = await bundled.answer("what makes learning from one user improve the product for every user?")
    assert learning.grounded and learning.sources


async def test_a_teams_own_material_answers_what_the_shared_material_is_not_for(bundled: KnowledgeBase, tmp_path: Path):
    folder = tmp_path / "handbook"
    folder.mkdir()
    (folder / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    await bundled.index_paths([folder], team_id="T1")
    question = "how many vacation days do we get"
    assert not (await bundled.answer(question)).grounded
    answer = await bundled.answer(question, team_id="T1")
    assert answer.grounded and "25 vacation days" in answer.text
