"""Build the configured TTS engine from plain settings (the fields of a profile's voice section, so
``build_engine(**voice_config.model_dump())`` works)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.voice.engine import TTSEngine


def build_engine(
    engine: str = "piper",
    model: str = "embedded",
    *,
    url: object | None = None,
    api_key: str | None = None,
    api_key_env: str | None = None,
    speaker: str | None = None,
    reference: str | Path | None = None,
    rate: float = 1.0,
    emotion_strength: float = 1.0,
    sentence_pause_ms: int = 180,
    first_chunk_chars: int = 48,
    language: str | None = None,
    threads: int | None = None,
    response_format: str = "wav",
    pcm_sample_rate: int = 24000,
    timeout_s: float = 30.0,
    **options: object,
) -> TTSEngine:
    """A ready engine (loading a local model takes about a second: call it off the event loop).

    - ``piper``: ``model`` is ``embedded`` or a path to a ``.onnx`` voice; ``speaker`` picks a speaker
      of a multi-speaker voice; ``threads`` caps its CPU threads.
    - ``openai``: ``url`` of the speech server; ``model`` and ``speaker`` (its voice name) are sent as
      is; the key is ``api_key`` or read from the environment variable named ``api_key_env``.
    - ``xtts``: ``model`` is the XTTS-v2 folder, ``reference`` the 3-10 s clip to clone.

    Extra ``options`` go to the engine class (e.g. ``device`` for xtts, ``sample_rate`` for openai).
    """
    common: dict[str, object] = {
        "rate": rate,
        "emotion_strength": emotion_strength,
        "sentence_pause_ms": sentence_pause_ms,
        "first_chunk_chars": first_chunk_chars,
    }
    if engine == "piper":
        from pipeline.voice.piper_engine import PiperEngine

        return PiperEngine(model, speaker=speaker, language=language, threads=threads, **common, **options)  # type: ignore[arg-type]
    if engine == "openai":
        from pipeline.voice.openai_engine import OpenAISpeechEngine

        if not url:
            raise ValueError("engine 'openai' needs the speech server url")
        if api_key is None and api_key_env:
            api_key = os.environ.get(api_key_env)
            if api_key is None:
                raise ValueError(f"environment variable {api_key_env} (the speech server key) is not set")
        return OpenAISpeechEngine(
            str(url),
            model,
            voice=speaker,
            api_key=api_key,
            response_format=response_format,  # type: ignore[arg-type]
            pcm_sample_rate=pcm_sample_rate,
            timeout_s=timeout_s,
            language=language or "en",
            **common,  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )
    if engine == "xtts":
        from pipeline.voice.xtts_engine import XttsEngine

        return XttsEngine(model, reference, language=language or "en", **common, **options)  # type: ignore[arg-type]
    raise ValueError(f"unknown voice engine {engine!r}; choose piper, openai or xtts")
