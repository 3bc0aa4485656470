"""Retrieval: embedders, the Chroma vector index, BM25, and rank fusion."""
