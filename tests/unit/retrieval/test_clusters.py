"""Chunk vectors scored exactly in a small scope and by nearest clusters in a large one."""

import numpy as np

from bot.retrieval.clusters import UNSCANNED, ChunkVectors, nearest_centroids, spherical_kmeans
from bot.retrieval.embedder import DIMENSION


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def _grouped(groups: int, per_group: int, spread: float, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """`groups` random unit directions and `per_group` noisy unit copies of each, shuffled."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((groups, DIMENSION)))
    rows = np.repeat(centres, per_group, axis=0) + spread * rng.standard_normal((groups * per_group, DIMENSION))
    return centres, _unit(rows)[rng.permutation(groups * per_group)]


def test_a_small_scope_is_scored_exactly():
    _, rows = _grouped(5, 20, 0.05)
    vectors = ChunkVectors(rows)
    query = rows[7]
    assert vectors.centroids is None
    np.testing.assert_allclose(vectors.scores(query), rows @ query, atol=1e-6)
    np.testing.assert_array_equal(vectors.matrix, rows)


def test_a_large_scope_scores_its_nearest_clusters_exactly_and_the_rest_lowest():
    _, rows = _grouped(40, 50, 0.03)
    vectors = ChunkVectors(rows, clustered_from=1000)
    assert vectors.centroids is not None and len(vectors.centroids) == round(np.sqrt(len(rows)))
    query = rows[123]
    scores = vectors.scores(query)
    scanned = scores != UNSCANNED
    assert 0 < scanned.sum() < len(rows)
    np.testing.assert_allclose(scores[scanned], (rows @ query)[scanned], atol=1e-5)
    assert int(np.argmax(scores)) == 123


def test_clustered_scoring_finds_the_same_top_chunks_as_exact_scoring():
    _, rows = _grouped(60, 40, 0.04, seed=5)
    vectors = ChunkVectors(rows, clustered_from=1000)
    queries = _unit(rows[::97] + 0.02 * np.random.default_rng(9).standard_normal((len(rows[::97]), DIMENSION)))
    for query in queries:
        exact = set(np.argsort(-(rows @ query))[:8])
        clustered = set(np.argsort(-vectors.scores(query))[:8])
        assert clustered == exact


def test_a_clustered_scope_gives_back_its_vectors_in_their_order():
    _, rows = _grouped(30, 40, 0.05)
    vectors = ChunkVectors(rows, clustered_from=100)
    np.testing.assert_array_equal(vectors.matrix, rows)


def test_kmeans_finds_well_separated_groups():
    centres, rows = _grouped(6, 30, 0.02, seed=11)
    centroids = spherical_kmeans(rows, 6)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, atol=1e-5)
    # every true centre has a centroid pointing its way
    assert (centres @ centroids.T).max(axis=1).min() > 0.95


def test_each_row_goes_to_its_most_similar_centroid():
    _, rows = _grouped(4, 25, 0.1)
    centroids = rows[[0, 30, 60]]
    np.testing.assert_array_equal(nearest_centroids(rows, centroids), (rows @ centroids.T).argmax(axis=1))
