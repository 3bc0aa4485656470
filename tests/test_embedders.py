import numpy as np
import pytest

from retrieval.embedders import SentenceTransformerEmbedder, USEEmbedder, create_embedder, minilm_path
from xiaoer.settings import get_settings


def test_use_puts_chinese_and_english_paraphrases_close():
    e = USEEmbedder()
    v = e.embed(["退货运费谁出？", "Who pays for return shipping?", "这件外套有什么颜色"])
    assert v.shape == (3, 512)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_minilm_loads_from_the_package_by_path(tmp_path):
    path = minilm_path(tmp_path)
    assert (path / "modules.json").exists()
    assert minilm_path(tmp_path) == path  # extracted once
    e = SentenceTransformerEmbedder(path, name="minilm")
    v = e.embed(["where is my parcel", "track my order", "what colour is the hat"])
    assert v.shape == (3, 384)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_st_embedder_needs_a_path_and_rejects_a_folder_without_a_model(tmp_path):
    with pytest.raises(ValueError, match="XIAOER_ST_MODEL_PATH"):
        create_embedder("st", get_settings().model_copy(update={"st_model_path": None}))
    with pytest.raises(FileNotFoundError):
        create_embedder(f"st:{tmp_path}")
    with pytest.raises(ValueError, match="unknown embedder"):
        create_embedder("word2vec")
