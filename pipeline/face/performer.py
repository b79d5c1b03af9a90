"""The performance timeline: emotion, lip sync and idle life, sampled at any Stage time."""

from __future__ import annotations

import threading

import numpy as np

from pipeline.blendshapes import INDEX, POSE_SLICE, clamp, zeros
from pipeline.emotion import EmotionState
from pipeline.face.expressions import Ease, combine, expression
from pipeline.face.life import Life
from pipeline.face.visemes_map import VisemeTrack
from pipeline.utterance import Utterance

#: After an interrupt the mouth is back at rest within this many seconds (two frames at 50 fps).
STOP_FADE = 0.035
#: Speech nods the head a little with the jaw (degrees of pitch at full jaw opening).
SPEECH_NOD = 2.0

_BLINKS = (INDEX["eyeBlinkLeft"], INDEX["eyeBlinkRight"])
_LOOKS = np.array([INDEX[f"eyeLook{d}{s}"] for d in ("Down", "In", "Out", "Up") for s in ("Left", "Right")])


VISUAL_LEAD_S = 0.04
"""Mouth shapes form this much before their sound: lips lead the voice in natural speech, and
phoneme alignments trail the vocoder's audio slightly; measured, this centres mouth on sound."""

class FacePerformer:
    """Implements the Performer protocol.

    ``set_emotion``, ``speak`` and ``stop_speaking`` may be called from the event loop while a
    render thread calls ``weights_at``; a lock keeps each call atomic.  Times are Stage seconds
    and ``weights_at`` expects them in increasing order (idle life is scheduled as time passes).
    """

    def __init__(self, seed: int = 0, ease_ms: float = 220.0, life: bool = True) -> None:
        self._lock = threading.Lock()
        self._ease = Ease(duration=ease_ms / 1000.0)
        self._life = Life(seed) if life else None
        self._track: VisemeTrack | None = None
        self._stop_at: float | None = None
        self.emotion = EmotionState()

    def set_emotion(self, state: EmotionState, at: float) -> None:
        with self._lock:
            self.emotion = state
            self._ease.go(expression(state), at)
            if self._life is not None:
                self._life.set_emotion(state.emotion)

    def speak(self, utterance: Utterance, at: float) -> None:
        track = VisemeTrack(utterance.visemes, utterance.sample_rate, at - VISUAL_LEAD_S, utterance.duration)
        with self._lock:
            self._track = track
            self._stop_at = None

    def stop_speaking(self, at: float) -> None:
        with self._lock:
            if self._track is not None and (self._stop_at is None or at < self._stop_at):
                self._stop_at = at

    def speaking(self, t: float) -> bool:
        """Whether an utterance's mouth is still moving at ``t``."""
        with self._lock:
            return self._speech(t)[1] > 0.0

    def _speech(self, t: float) -> tuple[np.ndarray, float]:
        track = self._track
        if track is None:
            return zeros(), 0.0
        amount = track.speaking(t)
        if self._stop_at is not None and t >= self._stop_at:
            amount *= max(0.0, 1.0 - (t - self._stop_at) / STOP_FADE)
        if amount <= 0.0:
            if t > track.end or self._stop_at is not None:
                self._track = None
                self._stop_at = None
            return zeros(), 0.0
        mouth = track.sample(t)
        if self._stop_at is not None and t >= self._stop_at:
            mouth *= np.float32(amount)
        return mouth, amount

    def weights_at(self, t: float) -> np.ndarray:
        with self._lock:
            expr = self._ease.value(t)
            mouth, speaking = self._speech(t)
            life = self._life.sample(t) if self._life is not None else zeros()
        out = combine(expr, mouth, speaking)
        # Life adds to what the expression holds: blinks close what is left of the eye, gaze and
        # head drift on top of the emotion's own look and posture.
        for i in _BLINKS:
            out[i] = 1.0 - (1.0 - out[i]) * (1.0 - life[i])
        out[_LOOKS] = np.maximum(out[_LOOKS], life[_LOOKS])
        out[POSE_SLICE] = expr[POSE_SLICE] + life[POSE_SLICE]
        out[INDEX["headPitch"]] += SPEECH_NOD * float(mouth[INDEX["jawOpen"]])
        return clamp(out)
