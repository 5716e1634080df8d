"""The same knowledge base on a real Chroma server (`chroma run`), as CHROMA_URL configures it."""

import os
import uuid
from pathlib import Path

import pytest

from bot.retrieval.knowledge_base import KnowledgeBase

pytestmark = [
    pytest.mark.chroma_server,
    pytest.mark.skipif(not os.environ.get("TEST_CHROMA_URL"), reason="TEST_CHROMA_URL is not set (no Chroma server)"),
]


async def test_indexing_and_search_through_a_chroma_server(tmp_path: Path, embedder, docs: Path):
    from types import SimpleNamespace

    settings = SimpleNamespace(
        data_dir=tmp_path / "data", chroma_url=os.environ["TEST_CHROMA_URL"], llm_model="", llm_timeout_s=20.0
    )
    name = f"test_{uuid.uuid4().hex[:12]}"
    knowledge = await KnowledgeBase.open(settings, embedder=embedder, collection_name=name)
    try:
        report = await knowledge.ensure_indexed(docs)
        assert len(report.indexed) == 4
        assert (await knowledge.search("how long does drawing a map tile take now?"))[0].source == "docs/acme-maps.md"
        reopened = await KnowledgeBase.open(settings, embedder=embedder, collection_name=name)
        assert reopened.chunk_count() == knowledge.chunk_count()
        assert (await reopened.ensure_indexed(docs)).embedded_chunks == 0
        answer = await reopened.answer("How fast are Acme's map tiles drawn since the rebuild?")
        assert "40 ms" in answer.text
        assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded locally when a server is set
    finally:
        knowledge.store.client.delete_collection(name)
