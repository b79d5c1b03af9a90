"""Builds the brain from plain settings (the profile's sections, read by the daemon)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pipeline.brain.commerce import EventResponder, EventTemplates, IdleScript
from pipeline.brain.embedder import Embedder, shared_embedder
from pipeline.brain.emotion_reader import EmotionReader
from pipeline.brain.knowledge import KnowledgeIndex, load_knowledge
from pipeline.brain.llm import BackendError, LLMBackend
from pipeline.brain.policy import EmotionPolicy
from pipeline.brain.responder import BrainSettings, Responder


def make_backend(
    kind: Literal["llama_cpp", "openai"],
    model: str = "embedded",
    *,
    url: str | None = None,
    api_key: str | None = None,
    threads: int = 1,
    context: int = 2048,
    server_grammar: bool = False,
    timeout_s: float = 30.0,
) -> LLMBackend:
    """A ready backend; raises BackendError with the reason when it cannot be made."""
    if kind == "llama_cpp":
        from pipeline.brain.llama_backend import LlamaBackend

        return LlamaBackend(model, threads=threads, n_ctx=context)
    if kind == "openai":
        if not url:
            raise BackendError("backend `openai` needs a server URL")
        from pipeline.brain.openai_backend import OpenAIBackend

        return OpenAIBackend(
            url, model, api_key=api_key, constraint="grammar" if server_grammar else "none", timeout_s=timeout_s
        )
    raise BackendError(f"unknown backend {kind!r}")


def build_responder(
    settings: BrainSettings,
    backend: LLMBackend,
    *,
    policy: EmotionPolicy | None = None,
    knowledge_path: Path | None = None,
    templates: EventTemplates | None = None,
    idle_script: Sequence[str] = (),
    idle_after_s: float = 20.0,
    embedder: Embedder | None = None,
    cache_dir: Path | None = None,
) -> Responder:
    """A ready Responder: loads the embedder, trains the emotion reader (about 2 s, or read from
    ``cache_dir``) and indexes the knowledge file. Raises KnowledgeError for a bad knowledge file."""
    embedder = embedder or shared_embedder()
    facts = load_knowledge(knowledge_path) if knowledge_path is not None else None  # a bad file fails first
    reader = EmotionReader(embedder, cache_dir=cache_dir, names=[settings.persona.name])
    knowledge = KnowledgeIndex(facts, embedder, settings.language) if facts is not None else None
    return Responder(
        backend,
        reader,
        policy or EmotionPolicy(),
        settings,
        knowledge=knowledge,
        events=EventResponder(templates, seed=settings.seed) if templates is not None else None,
        idle=IdleScript(idle_script, idle_after_s),
    )
