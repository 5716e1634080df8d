"""The vectors shipped for the bundled knowledge: a first start embeds nothing, and a miss is harmless."""

from pathlib import Path

import numpy as np

from bot.config import bundled_knowledge_dir
from bot.retrieval.vector_cache import VectorCache, bundled_texts, write_cache


def test_the_shipped_cache_covers_the_bundled_knowledge(embedder):
    cache = VectorCache.bundled()
    missing = [t.splitlines()[0] for t in bundled_texts(bundled_knowledge_dir(), embedder) if cache.get(t) is None]
    assert not missing, f"stale vector cache, run `python -m bot.retrieval.vector_cache`; missing: {missing[:5]}"


def test_cached_vectors_equal_fresh_ones(embedder, tmp_path: Path):
    path = tmp_path / "cache.npz"
    assert write_cache(["alpha text", "beta text", "alpha text"], embedder, path) == 2
    cache = VectorCache.load(path)
    np.testing.assert_allclose(cache.get("beta text"), embedder.embed_one("beta text"), atol=1e-5)
    assert cache.get("gamma text") is None


def test_an_unreadable_cache_is_empty(tmp_path: Path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a numpy archive")
    assert len(VectorCache.load(broken)) == 0
    assert len(VectorCache.load(tmp_path / "absent.npz")) == 0


async def test_a_first_start_with_the_cache_embeds_nothing(open_knowledge):
    base = await open_knowledge()
    report = await base.ensure_indexed(bundled_knowledge_dir())
    assert report.embedded_chunks == 0 and report.reused_chunks == base.chunk_count() > 100
