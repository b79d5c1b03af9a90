"""Builds a backend from plain settings (the profile's ``brain`` section, read by the daemon)."""

from __future__ import annotations

from typing import Literal

from pipeline.brain.llm import BackendError, LLMBackend


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
