"""The voice: which TTS engine speaks, with which voice, and how much emotion colours it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, HttpUrl

from daemon.config.base import Section


class VoiceConfig(Section):
    engine: Literal["piper", "openai", "xtts"] = Field(
        "piper",
        title="Engine",
        description="`piper` (local, embedded English voice), `openai` (an OpenAI-compatible "
        "/v1/audio/speech server), `xtts` (coqui XTTS-v2 voice cloning, optional extra).",
    )
    model: str = Field(
        "embedded",
        min_length=1,
        title="Voice model",
        description="piper: `embedded` or a path to a `.onnx` voice; xtts: the model folder; "
        "openai: the model name sent to the server.",
    )
    url: HttpUrl | None = Field(
        None, title="Server URL", description="Base URL of the OpenAI-compatible speech server (engine `openai`)."
    )
    api_key_env: str | None = Field(
        None,
        title="API key variable",
        description="Name of the environment variable that holds the server's API key (never the key itself).",
    )
    speaker: str | None = Field(None, max_length=200, title="Speaker", description="Voice/speaker name on the server.")
    reference: Path | None = Field(
        None,
        title="Reference clip",
        description="3-10 s WAV of the voice to clone (xtts); read locally, never copied or sent.",
    )
    rate: float = Field(1.0, ge=0.5, le=2.0, title="Rate", description="Base speaking rate (1 = the voice's own).")
    emotion_strength: float = Field(
        1.0, ge=0.0, le=2.0, title="Emotion strength", description="How strongly emotion shapes prosody (0 = flat)."
    )
    sentence_pause_ms: int = Field(
        180, ge=0, le=2000, title="Sentence pause", description="Silence between sentences, ms."
    )
    first_chunk_chars: int = Field(
        48,
        ge=0,
        le=400,
        title="First chunk length",
        description="A first sentence longer than this many characters is spoken clause by clause so "
        "the first audio comes sooner (0 = never split).",
    )
    threads: int | None = Field(
        None,
        ge=1,
        le=64,
        title="Synthesis threads",
        description="CPU threads for the local voice model (piper); empty = two (one on a one-core machine).",
    )
    response_format: Literal["wav", "pcm"] = Field(
        "wav",
        title="Server audio format",
        description="Audio the speech server returns (engine `openai`): `wav`, or `pcm` = raw 16-bit mono.",
    )
    pcm_sample_rate: int = Field(
        24000,
        ge=8000,
        le=96000,
        title="Server PCM rate",
        description="Sample rate of `pcm` replies from the speech server, Hz.",
    )
    timeout_s: float = Field(
        30.0, gt=0, le=300, title="Server timeout", description="Seconds to wait for the speech server."
    )
