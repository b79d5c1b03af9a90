"""Shared, expensive brain fixtures: the real embedded embedder, emotion reader and LLM, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.brain.embedder import Embedder
from pipeline.brain.emotion_reader import EmotionReader
from pipeline.brain.knowledge import KnowledgeIndex, load_knowledge

ROOT = Path(__file__).resolve().parents[3]
LABELLED = ROOT / "tests" / "data" / "emotion_labelled.tsv"
SHOP_EN = ROOT / "profiles" / "knowledge" / "shop_en.toml"
SHOP_ZH = ROOT / "profiles" / "knowledge" / "shop_zh.toml"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def reader(embedder: Embedder) -> EmotionReader:
    return EmotionReader(embedder)


@pytest.fixture(scope="session")
def shop_en(embedder: Embedder) -> KnowledgeIndex:
    return KnowledgeIndex(load_knowledge(SHOP_EN), embedder, "en")


@pytest.fixture(scope="session")
def shop_zh(embedder: Embedder) -> KnowledgeIndex:
    return KnowledgeIndex(load_knowledge(SHOP_ZH), embedder, "zh")


@pytest.fixture(scope="session")
def llama():
    from pipeline.brain.llama_backend import LlamaBackend

    backend = LlamaBackend("embedded", threads=1, n_ctx=2048)
    yield backend
    backend.close()
