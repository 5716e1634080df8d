"""Retrieval: load, chunk, embed, index, search and answer from the material, offline."""
