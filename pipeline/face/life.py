"""Idle life: blinks, breathing, a slowly drifting head and small eye saccades.

Everything is drawn from one seeded generator and scheduled on the Stage clock as time advances,
so the same seed and the same emotion changes give the same motion.  The blink rate follows the
emotion: fewer blinks when sad or staring in surprise, more when afraid or uneasy.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.blendshapes import INDEX, zeros
from pipeline.emotion import Emotion

#: Mean seconds between blinks for each emotion (people blink every 2-6 s at rest).
BLINK_INTERVAL: dict[Emotion, float] = {
    Emotion.NEUTRAL: 3.6,
    Emotion.HAPPY: 3.2,
    Emotion.SAD: 5.5,
    Emotion.ANGRY: 4.5,
    Emotion.SURPRISED: 5.0,
    Emotion.FEARFUL: 1.8,
    Emotion.DISGUSTED: 3.4,
    Emotion.CONCERNED: 2.8,
}
#: Extra downward gaze for emotions that look down.
GAZE_DOWN: dict[Emotion, float] = {Emotion.SAD: 0.2, Emotion.CONCERNED: 0.08}

BLINK_CLOSE, BLINK_HOLD, BLINK_OPEN = 0.075, 0.035, 0.16
BREATH_PERIOD = 4.2  # seconds
SACCADE_TIME = 0.045  # seconds an eye jump takes


def _blink_shape(dt: float) -> float:
    """Lid closure ``dt`` seconds into a blink: quick down, brief hold, slower up."""
    if dt < 0:
        return 0.0
    if dt < BLINK_CLOSE:
        x = dt / BLINK_CLOSE
        return x * x * (3 - 2 * x)
    dt -= BLINK_CLOSE
    if dt < BLINK_HOLD:
        return 1.0
    dt -= BLINK_HOLD
    if dt < BLINK_OPEN:
        x = 1 - dt / BLINK_OPEN
        return x * x * (3 - 2 * x)
    return 0.0


class Life:
    """Samples idle motion at monotonically increasing Stage times."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._emotion = Emotion.NEUTRAL
        # Head drift: three slow sines per axis with random phases (a smooth, non-repeating wander).
        self._sway = [
            (self._rng.uniform(0.05, 0.33, 3), self._rng.uniform(0, 2 * np.pi, 3), amp) for amp in (1.6, 1.0, 0.9)
        ]
        self._breath_phase = float(self._rng.uniform(0, 2 * np.pi))
        self._blinks: list[float] = []
        self._next_blink = float(self._rng.uniform(0.8, 2.5))
        self._gaze_from = np.zeros(2)
        self._gaze_to = np.zeros(2)
        self._gaze_at = -1.0
        self._next_saccade = float(self._rng.uniform(0.5, 1.5))

    def set_emotion(self, emotion: Emotion) -> None:
        self._emotion = emotion

    def _schedule(self, t: float) -> None:
        while self._next_blink <= t:
            start = self._next_blink
            self._blinks.append(start)
            if self._rng.random() < 0.12:  # now and then a double blink
                self._blinks.append(start + 0.28)
            mean = BLINK_INTERVAL[self._emotion]
            self._next_blink = start + max(0.6, float(self._rng.gamma(3.0, mean / 3.0)))
        horizon = t - (BLINK_CLOSE + BLINK_HOLD + BLINK_OPEN)
        self._blinks = [b for b in self._blinks if b >= horizon]
        while self._next_saccade <= t:
            self._gaze_from = self._gaze(self._next_saccade)
            if self._rng.random() < 0.4:
                target = np.zeros(2)
            else:
                target = np.array([self._rng.uniform(-0.35, 0.35), self._rng.uniform(-0.18, 0.18)])
            self._gaze_to = target
            self._gaze_at = self._next_saccade
            self._next_saccade += float(self._rng.uniform(0.6, 2.8))

    def _gaze(self, t: float) -> np.ndarray:
        if self._gaze_at < 0:
            return self._gaze_to.copy()
        x = min(max((t - self._gaze_at) / SACCADE_TIME, 0.0), 1.0)
        return self._gaze_from + (self._gaze_to - self._gaze_from) * (x * x * (3 - 2 * x))

    def blink(self, t: float) -> float:
        return max((_blink_shape(t - b) for b in self._blinks), default=0.0)

    def sample(self, t: float) -> np.ndarray:
        """Idle motion at ``t`` as a blendshape vector (blinks, gaze, head pose)."""
        self._schedule(t)
        out = zeros()
        b = self.blink(t)
        out[INDEX["eyeBlinkLeft"]] = out[INDEX["eyeBlinkRight"]] = b
        gx, gy = self._gaze(t)
        gy += GAZE_DOWN.get(self._emotion, 0.0)
        if gx >= 0:  # towards the subject's left
            out[INDEX["eyeLookOutLeft"]] = out[INDEX["eyeLookInRight"]] = gx
        else:
            out[INDEX["eyeLookInLeft"]] = out[INDEX["eyeLookOutRight"]] = -gx
        if gy >= 0:
            out[INDEX["eyeLookDownLeft"]] = out[INDEX["eyeLookDownRight"]] = gy
        else:
            out[INDEX["eyeLookUpLeft"]] = out[INDEX["eyeLookUpRight"]] = -gy
        pose = []
        for freqs, phases, amp in self._sway:
            wave = np.sin(2 * np.pi * freqs * t + phases).sum() / 3.0
            pose.append(amp * float(wave))
        breath = math.sin(2 * math.pi * t / BREATH_PERIOD + self._breath_phase)
        out[INDEX["headYaw"]] = pose[0] + 1.5 * gx
        out[INDEX["headPitch"]] = pose[1] + 0.45 * breath
        out[INDEX["headRoll"]] = pose[2]
        return out
