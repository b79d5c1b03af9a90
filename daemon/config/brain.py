"""The brain: which LLM answers, with what knowledge, and the live-commerce behaviour."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl

from daemon.config.base import Section
from daemon.config.paths import ExistingFile


class BrainConfig(Section):
    backend: Literal["llama_cpp", "openai"] = Field(
        "llama_cpp",
        title="Backend",
        description="`llama_cpp` (a local GGUF) or `openai` (any OpenAI-compatible chat endpoint).",
    )
    model: str = Field(
        "embedded",
        min_length=1,
        title="Model",
        description="llama_cpp: `embedded` (SmolLM2-135M) or a path to a GGUF; openai: the model name.",
    )
    url: HttpUrl | None = Field(None, title="Server URL", description="OpenAI-compatible base URL (backend `openai`).")
    api_key_env: str | None = Field(
        None, title="API key variable", description="Environment variable holding the API key (never the key)."
    )
    knowledge: ExistingFile | None = Field(
        None, title="Knowledge file", description="TOML of products, prices, stock, FAQ and persona facts."
    )
    max_sentences: int = Field(3, ge=1, le=20, title="Max sentences", description="Replies are cut after this many.")
    max_tokens: int = Field(120, ge=8, le=2048, title="Max tokens", description="Token budget of one reply.")
    temperature: float = Field(0.6, ge=0.0, le=2.0, title="Temperature", description="Sampling temperature.")
    seed: int = Field(1234, ge=0, title="Seed", description="Sampling seed (reproducible replies).")
    threads: int = Field(2, ge=1, le=64, title="Threads", description="CPU threads for the local model.")
    memory_turns: int = Field(6, ge=0, le=100, title="Memory", description="Turns remembered per viewer.")
    cache_seconds: int = Field(
        120, ge=0, le=86400, title="Answer cache", description="Identical questions within this time reuse the answer."
    )
    idle_script: list[str] = Field(
        default_factory=list,
        max_length=200,
        title="Idle script",
        description="Selling lines looped while chat is quiet.",
    )
    idle_after_s: float = Field(
        20.0, ge=2.0, le=3600.0, title="Idle after", description="Quiet seconds before the next idle-script line."
    )
