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
from daemon.cpu import one_blas_thread
from pipeline.face.protocols import Animator, Performer
from pipeline.face.still import RestPerformer, StillAnimator
from pipeline.models import moodcam_cache_dir

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Components:
    """The loaded models of one profile."""

    animator: Animator
    performer: Performer
    voice: object
    reader: object
    split: Callable[[str], list[str]]
    brain: object | None = None


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
    """The profile's TTS engine (piper, an OpenAI-compatible server, or XTTS)."""
    from pipeline.voice.factory import build_engine

    options = profile.voice.model_dump()
    # two threads voice a first clause in 0.11 s instead of 0.17 s (idle); the runtime does not spin
    options["threads"] = options.get("threads") or min(2, os.cpu_count() or 1)
    return build_engine(**options, language=profile.language.code)


def build_reader(profile: Profile) -> object:
    from pipeline.brain.embedder import shared_embedder
    from pipeline.brain.emotion_reader import EmotionReader

    return EmotionReader(shared_embedder(), cache_dir=moodcam_cache_dir())


def build_brain(profile: Profile) -> object:
    """The responder: LLM backend, emotion reader and policy, knowledge, templates, idle script."""
    from pipeline.brain.factory import build_responder, make_backend

    b = profile.brain
    lang = profile.language.code
    key = os.environ.get(b.api_key_env) if b.api_key_env else None
    backend = make_backend(**b.backend_options(), api_key=key)  # type: ignore[arg-type]
    responder = build_responder(
        b.settings(lang, profile.persona.name, profile.persona.description),
        backend,
        policy=profile.emotion.build_policy(),
        knowledge_path=b.knowledge,
        templates=b.event_templates(lang),
        idle_script=b.idle_script,
        idle_after_s=b.idle_after_s,
        cache_dir=moodcam_cache_dir(),
    )
    responder.warm_up()
    return responder


def build_components(profile: Profile, size: tuple[int, int] | None = None) -> Components:
    """Load every model the profile needs (seconds); raises with the reason when one cannot load."""
    animator, performer = _timed("face", lambda: build_face(profile, size))  # type: ignore[misc]
    voice = _timed("voice", lambda: build_voice(profile))
    brain = _timed("brain", lambda: build_brain(profile))
    reader = brain.reader  # type: ignore[attr-defined]
    from pipeline.voice.sentences import split_sentences

    # after the models have loaded their own BLAS libraries (a reload may bring in a new engine's)
    log.debug("BLAS libraries limited to one thread: %d", one_blas_thread())
    return Components(animator, performer, voice, reader, split_sentences, brain)
