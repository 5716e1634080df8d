"""Indexing into real Chroma: incremental by content hash, bad files skipped by name, scopes kept apart."""

from pathlib import Path

import chromadb
import pytest

from bot.errors import ConfigError
from bot.retrieval.chroma_store import COLLECTION_NAME
from bot.retrieval.indexing import IndexProgress
from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.models import Outcome


def _sources(results) -> list[str]:
    return sorted(r.source for r in results)


async def test_first_run_indexes_every_file(knowledge: KnowledgeBase):
    report = await knowledge.ensure_indexed(Path("docs"))  # relative: the folder is gone from the cwd
    assert report.removed == []  # a missing folder never empties the index by mistake
    assert knowledge.chunk_count() >= 6
    passages = await knowledge.search("how long does drawing a map tile take now?")
    assert passages[0].source == "docs/acme-maps.md"
    assert passages[0].title == "Case Study: Acme Maps"
    assert passages[0].section == "Faster Tile Rendering"


async def test_an_unchanged_folder_costs_nothing(knowledge: KnowledgeBase, docs: Path):
    report = await knowledge.ensure_indexed(docs)
    assert report.indexed == [] and report.removed == []
    assert _sources(report.unchanged) == [
        "docs/acme-maps.md",
        "docs/loop-basics.html",
        "docs/solar-panels.txt",
        "docs/sourdough.md",
    ]
    assert report.embedded_chunks == 0


async def test_a_changed_file_is_re_embedded_reusing_its_unchanged_chunks(knowledge: KnowledgeBase, docs: Path):
    page = docs / "sourdough.md"
    page.write_text(page.read_text() + "\n## Scoring the Crust\n\nSlash the top with a razor just before baking.\n")
    report = await knowledge.ensure_indexed(docs)
    assert _sources(report.indexed) == ["docs/sourdough.md"]
    assert report.embedded_chunks == 1 and report.reused_chunks == 2
    passages = await knowledge.search("cutting the loaf before it goes in the oven")
    assert passages[0].section == "Scoring the Crust"


async def test_a_deleted_file_leaves_the_index(knowledge: KnowledgeBase, docs: Path):
    (docs / "sourdough.md").unlink()
    report = await knowledge.ensure_indexed(docs)
    assert _sources(report.removed) == ["docs/sourdough.md"]
    passages = await knowledge.search("feeding a bread starter", k=10)
    assert all(p.source != "docs/sourdough.md" for p in passages)


async def test_bad_files_are_skipped_by_name_and_the_run_goes_on(
    knowledge: KnowledgeBase, docs: Path, make_pdf, caplog: pytest.LogCaptureFixture
):
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<< garbage")
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (docs / "notes.md").write_bytes(b"\x00\x01\x02binary pretending to be markdown")
    (docs / "empty.txt").write_text("")
    (docs / "huge.txt").write_text("lots of words " * 200)
    (docs / "manual.pdf").write_bytes(make_pdf([["Kayaks are steered with a foot-operated rudder."]]))
    knowledge.max_file_bytes = 2000
    report = await knowledge.ensure_indexed(docs)
    skipped = {r.source: r.reason for r in report.skipped}
    assert set(skipped) == {"docs/broken.pdf", "docs/photo.png", "docs/notes.md", "docs/empty.txt", "docs/huge.txt"}
    assert "broken PDF" in skipped["docs/broken.pdf"]
    assert "unsupported" in skipped["docs/photo.png"]
    assert "binary" in skipped["docs/notes.md"]
    assert "empty" in skipped["docs/empty.txt"]
    assert "too large" in skipped["docs/huge.txt"]
    assert _sources(report.indexed) == ["docs/manual.pdf"]
    assert "docs/broken.pdf" in caplog.text
    passages = await knowledge.search("how do you steer a kayak")
    assert passages[0].source == "docs/manual.pdf" and passages[0].section == "Page 1"


async def test_a_file_that_turns_bad_takes_its_old_version_out(knowledge: KnowledgeBase, docs: Path):
    (docs / "solar-panels.txt").write_bytes(b"")
    report = await knowledge.ensure_indexed(docs)
    assert "previous version left the index" in report.skipped[0].reason
    passages = await knowledge.search("photovoltaic cells", k=10)
    assert all(p.source != "docs/solar-panels.txt" for p in passages)


async def test_progress_is_reported_while_indexing(open_knowledge, docs: Path):
    events: list[IndexProgress] = []
    base = await open_knowledge()
    await base.ensure_indexed(docs, progress=events.append)
    phases = [e.phase for e in events]
    assert "scan" in phases and "embed" in phases
    last_embed = [e for e in events if e.phase == "embed"][-1]
    assert last_embed.done == last_embed.total > 0


async def test_team_material_is_searched_only_for_that_team(knowledge: KnowledgeBase, tmp_path: Path):
    own = tmp_path / "handbook"
    own.mkdir()
    (own / "oncall.md").write_text("# On-call\n\n## Pager Rotation\n\nThe pager rotates every Monday at nine.\n")
    report = await knowledge.index_paths([own], team_id="T1")
    assert _sources(report.indexed) == ["handbook/oncall.md"]
    mine = await knowledge.search("when does the pager rotation change hands", team_id="T1")
    theirs = await knowledge.search("when does the pager rotation change hands", team_id="T2", k=20)
    shared = await knowledge.search("when does the pager rotation change hands", k=20)
    assert mine[0].source == "handbook/oncall.md"
    assert all(p.source != "handbook/oncall.md" for p in theirs + shared)
    assert any(p.source == "docs/acme-maps.md" for p in await knowledge.search("map tiles", team_id="T1"))
    assert await knowledge.delete_team("T1") == 1
    assert all(p.source != "handbook/oncall.md" for p in await knowledge.search("pager", team_id="T1", k=20))


async def test_a_missing_path_is_reported(knowledge: KnowledgeBase, tmp_path: Path):
    report = await knowledge.index_paths([tmp_path / "nope"], team_id="T1")
    assert [(r.outcome, r.reason) for r in report.files] == [(Outcome.SKIPPED, "no such file or folder")]


async def test_the_index_survives_a_restart(knowledge: KnowledgeBase, open_knowledge):
    reopened = await open_knowledge()
    assert reopened.chunk_count() == knowledge.chunk_count()
    assert (await reopened.search("solar inverter"))[0].source == "docs/solar-panels.txt"


async def test_a_collection_built_with_another_model_is_refused(tmp_path: Path, open_knowledge):
    client = chromadb.PersistentClient(
        path=str(tmp_path / "data" / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    client.create_collection(COLLECTION_NAME, metadata={"embedding_model": "some-other-model"})
    with pytest.raises(ConfigError, match="some-other-model"):
        await open_knowledge()
