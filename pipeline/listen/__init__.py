"""Hearing the host: microphone capture, Silero VAD, end of turn, Whisper, echo guard, barge-in."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from typing import Any

from pipeline.listen.asr import Transcript, WhisperTranscriber
from pipeline.listen.asr_worker import AsrWorker
from pipeline.listen.capture import ArraySource, AudioBlock, FrameSource, MicCapture
from pipeline.listen.echo import EchoCheck, EchoGuard
from pipeline.listen.listener import FinalTranscript, Listener, ListenSettings

__all__ = [
    "ArraySource",
    "AsrWorker",
    "AudioBlock",
    "EchoCheck",
    "EchoGuard",
    "FinalTranscript",
    "FrameSource",
    "ListenSettings",
    "Listener",
    "MicCapture",
    "Transcript",
    "WhisperTranscriber",
    "build_listener",
]


def build_listener(
    *,
    device: str | None,
    settings: ListenSettings,
    languages: Sequence[str],
    model_dir: str | os.PathLike[str],
    asr_threads: int = 2,
    echo: EchoGuard | None = None,
    source: FrameSource | None = None,
    on_speech_start: Callable[[], Any] | None = None,
    on_barge_in: Callable[[], Any] | None = None,
    on_partial: Callable[[str], Any] | None = None,
    on_final: Callable[[str, str], Any] | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Listener:
    """A ready-to-start listener on input ``device`` (loads Whisper: call it off the event loop).

    ``languages``: what the host may speak (one forces it; several are detected among).
    """
    langs = tuple(dict.fromkeys(languages)) or ("en",)
    transcriber = WhisperTranscriber(model_dir, languages=langs, cpu_threads=asr_threads)
    worker = AsrWorker(transcriber, langs[0] if len(langs) == 1 else None)
    return Listener(
        source or MicCapture(device),
        worker,
        settings=settings,
        echo=echo,
        on_speech_start=on_speech_start,
        on_barge_in=on_barge_in,
        on_partial=on_partial,
        on_final=on_final,
        loop=loop,
    )
