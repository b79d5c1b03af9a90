"""Build the models a profile asks for: face, voice, emotion reader (and later brain, listener).

Everything here is slow (model loads) and runs in a worker thread at start-up and on reload.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from daemon.config.profile import Profile
from pipeline.face.protocols import Animator, Performer
from pipeline.face.still import RestPerformer, StillAnimator

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Components:
    """The loaded models of one profile."""

    animator: Animator
    performer: Performer
    voice: object
    reader: object
    split: Callable[[str], list[str]]


def _timed(label: str, build: Callable[[], object]) -> object:
    t0 = time.perf_counter()
    value = build()
    log.info("%s ready in %.2f s", label, time.perf_counter() - t0)
    return value


def build_face(profile: Profile, size: tuple[int, int] | None = None) -> tuple[Animator, Performer]:
    f = profile.face
    size = size or (f.width, f.height)
    if not f.animate:
        return StillAnimator(f.portrait, size), RestPerformer()
    from pipeline.face.animator import PortraitAnimator
    from pipeline.face.performer import FacePerformer

    animator = PortraitAnimator.load(f.portrait, size=size, framing=f.framing, background=f.background)
    return animator, FacePerformer(seed=f.seed, ease_ms=f.ease_ms, life=f.idle_motion)


def build_voice(profile: Profile) -> object:
    v = profile.voice
    common = {
        "language": profile.language.code,
        "rate": v.rate,
        "emotion_strength": v.emotion_strength,
        "sentence_pause_ms": v.sentence_pause_ms,
    }
    if v.engine == "piper":
        from pipeline.voice.piper_engine import PiperEngine

        return PiperEngine(v.model, speaker=v.speaker, threads=1, **common)
    if v.engine == "openai":
        from pipeline.voice.openai_engine import OpenAISpeechEngine

        key = os.environ.get(v.api_key_env) if v.api_key_env else None
        return OpenAISpeechEngine(str(v.url), model=v.model, voice=v.speaker, api_key=key, **common)
    from pipeline.voice.xtts_engine import XTTSEngine

    return XTTSEngine(v.model, reference=v.reference, **common)


def build_reader(profile: Profile) -> object:
    from pathlib import Path

    from pipeline.brain.embedder import Embedder
    from pipeline.brain.emotion_reader import EmotionReader

    return EmotionReader(Embedder(), cache_dir=Path.home() / ".cache" / "moodcam")


def build_components(profile: Profile, size: tuple[int, int] | None = None) -> Components:
    """Load every model the profile needs (seconds); raises with the reason when one cannot load."""
    animator, performer = _timed("face", lambda: build_face(profile, size))  # type: ignore[misc]
    voice = _timed("voice", lambda: build_voice(profile))
    reader = _timed("emotion reader", lambda: build_reader(profile))
    return Components(animator, performer, voice, reader, voice.plan)  # type: ignore[attr-defined]
