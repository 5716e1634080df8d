"""Benchmarks and the answer-quality eval: they drive the whole coach, so they sit above it, never inside a core."""
