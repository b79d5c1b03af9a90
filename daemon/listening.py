"""The host's microphone in the daemon: barge-in, converse and mirror modes, the echo tap.

The echo tap is a sink: it hands the echo guard exactly the audio the Stage sends out, stamped
with when it will be heard, so the avatar's own voice leaking into the microphone is recognised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from integrations.outputs.base import Sink
from pipeline.frames import MediaTick

if TYPE_CHECKING:
    from daemon.config.profile import Profile
    from pipeline.listen.echo import EchoGuard
    from pipeline.listen.listener import Listener

log = logging.getLogger(__name__)


class EchoTap(Sink):
    """Feeds the Stage's speech (not its silence) to the echo guard."""

    name = "echo"

    def __init__(self, guard: EchoGuard, delay_s: float) -> None:
        self.guard = guard
        self.delay_s = delay_s

    async def write(self, tick: MediaTick) -> None:
        if tick.speaking:
            self.guard.feed_playback(tick.audio.pcm, tick.audio.sample_rate, at=time.monotonic() + self.delay_s)

    def flush(self) -> None:
        self.guard.stop_playback()


def build_listener(
    profile: Profile,
    loop: asyncio.AbstractEventLoop,
    on_barge_in: Callable[[], Any],
    on_partial: Callable[[str], Any],
    on_final: Callable[[str, str], Any],
) -> tuple[Listener, EchoGuard | None]:
    """A listener on the profile's microphone (loads Whisper: call it in a worker thread)."""
    from pipeline.listen import EchoGuard, ListenSettings
    from pipeline.listen import build_listener as make
    from pipeline.listen.whisper_model import whisper_model_dir

    mic = profile.inputs.mic
    settings = ListenSettings(
        end_of_turn_ms=mic.end_of_turn_ms,
        min_speech_ms=mic.min_speech_ms,
        vad_threshold=mic.vad_threshold,
        barge_in=mic.barge_in,
        mode=mic.mode,
        partial_interval_ms=mic.partial_interval_ms,
        max_turn_s=mic.max_turn_s,
        echo_threshold=mic.echo_threshold,
    )
    guard = EchoGuard(threshold=mic.echo_threshold) if mic.echo_guard else None
    languages = [profile.language.code, *profile.language.also_understand]
    listener = make(
        device=mic.device,
        settings=settings,
        languages=languages,
        model_dir=whisper_model_dir("base"),
        asr_threads=mic.asr_threads,
        echo=guard,
        on_barge_in=on_barge_in,
        on_partial=on_partial,
        on_final=on_final,
        loop=loop,
    )
    return listener, guard
