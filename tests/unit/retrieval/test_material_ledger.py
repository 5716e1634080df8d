"""A workspace's material is sealed in Chroma with its own key; without the key nothing of it is readable."""

from pathlib import Path

from bot.retrieval.knowledge_base import KnowledgeBase
from bot.retrieval.ledger import DatabaseLedger, Seal
from bot.store.db import Database


def test_a_seal_opens_only_what_its_own_key_closed() -> None:
    mine, theirs = Seal(Seal.new_key()), Seal(Seal.new_key())
    sealed = mine.close("the pager rotation changes hands on Mondays")
    assert "pager" not in sealed
    assert mine.open(sealed) == "the pager rotation changes hands on Mondays"
    assert theirs.open(sealed) == ""


async def test_team_material_is_stored_sealed_and_unreadable_once_its_key_is_gone(
    knowledge: KnowledgeBase, tmp_path: Path
) -> None:
    own = tmp_path / "handbook"
    own.mkdir()
    (own / "oncall.md").write_text("# On-call\n\nThe zebrafish pager rotation changes hands every Monday at nine.\n")
    await knowledge.index_paths([own], team_id="T1")
    stored = knowledge.store.collection.get(where={"scope": "team:T1"}, include=["documents", "metadatas"])
    assert stored["ids"]
    assert not any("zebrafish" in document for document in stored["documents"] or [])
    assert not any("oncall" in str(meta) for meta in stored["metadatas"] or [])
    assert any("zebrafish" in p.text for p in await knowledge.search("zebrafish pager", team_id="T1"))


async def test_keys_and_versions_live_in_the_database_and_leave_with_the_workspace(database: Database) -> None:
    ledger = DatabaseLedger(database)
    assert await ledger.key("T1", create=False) is None
    key = await ledger.key("T1", create=True)
    assert key is not None
    assert await ledger.key("T1", create=True) == key
    await ledger.bump("team:T1", "T1")
    await ledger.bump("team:T1", "T1")
    assert await ledger.versions(["team:T1", "global"]) == {"team:T1": 2}
    from bot.store.workspaces import delete_workspace_data

    async with database.session() as session:
        counts = await delete_workspace_data(session, team_id="T1")
    assert counts == {"material_key": 1, "knowledge_version": 1}
    assert await ledger.key("T1", create=False) is None
    assert await ledger.versions(["team:T1"]) == {}
