"""The eight emotions as blendshape presets, easing between them, and how they meet speech.

Each preset is the full-intensity face; intensity scales it (head pose included).  Presets lean on
the cues people read first: the mouth corners (up for happy, down for sad), the brows (inner ends up
for sad and worried, pulled down for angry, all up for surprise) and the eyes (wide, narrowed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.blendshapes import INDEX, MOUTH_NAMES, SIZE, clamp, from_mapping, zeros
from pipeline.emotion import Emotion, EmotionState


def _both(name: str, value: float) -> dict[str, float]:
    return {f"{name}Left": value, f"{name}Right": value}


PRESETS: dict[Emotion, dict[str, float]] = {
    Emotion.NEUTRAL: {},
    Emotion.HAPPY: {
        **_both("mouthSmile", 1.0),
        **_both("cheekSquint", 0.8),
        **_both("eyeSquint", 0.35),
        **_both("mouthDimple", 0.2),
        **_both("mouthUpperUp", 0.4),
        "jawOpen": 0.12,
        **_both("browOuterUp", 0.15),
        "headPitch": -2.0,
        "headRoll": 2.0,
    },
    Emotion.SAD: {
        "browInnerUp": 0.95,
        **_both("browDown", 0.25),
        **_both("mouthFrown", 1.0),
        "mouthShrugLower": 0.5,
        **_both("mouthPress", 0.25),
        **_both("eyeBlink", 0.22),
        **_both("eyeLookDown", 0.3),
        "headPitch": 5.0,
        "headRoll": -2.5,
    },
    Emotion.ANGRY: {
        **_both("browDown", 1.0),
        **_both("eyeSquint", 0.45),
        **_both("eyeWide", 0.25),
        **_both("mouthPress", 0.8),
        **_both("mouthFrown", 0.35),
        **_both("noseSneer", 0.35),
        "mouthRollLower": 0.15,
        **_both("cheekSquint", 0.2),
        "headPitch": 4.0,
    },
    Emotion.SURPRISED: {
        "browInnerUp": 0.9,
        **_both("browOuterUp", 0.95),
        **_both("eyeWide", 0.9),
        "jawOpen": 0.42,
        "mouthFunnel": 0.3,
        **_both("mouthLowerDown", 0.2),
        "headPitch": -3.5,
    },
    Emotion.FEARFUL: {
        "browInnerUp": 1.0,
        **_both("browOuterUp", 0.3),
        **_both("browDown", 0.3),
        **_both("eyeWide", 0.95),
        **_both("mouthStretch", 0.75),
        "jawOpen": 0.18,
        **_both("mouthLowerDown", 0.35),
        **_both("mouthFrown", 0.2),
        "headPitch": 2.5,
        "headYaw": -3.0,
    },
    Emotion.DISGUSTED: {
        **_both("noseSneer", 0.9),
        "mouthUpperUpLeft": 0.75,
        "mouthUpperUpRight": 0.55,
        **_both("browDown", 0.55),
        **_both("eyeSquint", 0.45),
        **_both("cheekSquint", 0.55),
        **_both("mouthFrown", 0.4),
        "mouthShrugLower": 0.35,
        "headRoll": -3.0,
        "headYaw": 4.0,
        "headPitch": 1.5,
    },
    Emotion.CONCERNED: {
        "browInnerUp": 0.65,
        **_both("browDown", 0.2),
        **_both("mouthFrown", 0.3),
        **_both("mouthPress", 0.3),
        **_both("eyeSquint", 0.12),
        "headRoll": 6.0,
        "headPitch": 2.5,
    },
}

#: How much each expression mouth channel yields while speaking (1 = speech takes it over).
#: Shape-of-mouth postures (smile, frown, sneer) mostly stay, so a smile while talking stays a
#: smile; jaw, lip closure and rounding belong to speech.
SPEECH_YIELD = np.zeros(SIZE, dtype=np.float32)
for _name in MOUTH_NAMES:
    SPEECH_YIELD[INDEX[_name]] = 0.2
for _name, _share in {
    "jawOpen": 0.85,
    "mouthClose": 1.0,
    "mouthFunnel": 0.8,
    "mouthPucker": 0.8,
    "mouthRollLower": 1.0,
    "mouthRollUpper": 1.0,
    "mouthPressLeft": 0.85,
    "mouthPressRight": 0.85,
    "mouthShrugLower": 0.6,
    "mouthShrugUpper": 0.6,
    "mouthLowerDownLeft": 0.5,
    "mouthLowerDownRight": 0.5,
    "tongueOut": 1.0,
}.items():
    SPEECH_YIELD[INDEX[_name]] = _share


def expression(state: EmotionState) -> np.ndarray:
    """The blendshape vector of ``state`` (the preset scaled by its intensity)."""
    vec = from_mapping(PRESETS[state.emotion])
    return vec * np.float32(state.intensity)


def combine(expr: np.ndarray, speech: np.ndarray, speaking: float) -> np.ndarray:
    """Expression with speech on top: speech drives the mouth, the expression keeps the rest.

    ``speaking`` (0..1) is how much speech is under way; the expression's mouth yields to it
    channel by channel (see ``SPEECH_YIELD``).
    """
    out = expr * (1.0 - SPEECH_YIELD * np.float32(speaking)) + speech
    return clamp(out.astype(np.float32))


def _smootherstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * x * (x * (6.0 * x - 15.0) + 10.0)


@dataclass(slots=True)
class Ease:
    """A vector easing from where it is to a new target over ``duration`` seconds (no snaps)."""

    duration: float = 0.22
    start: float = 0.0
    origin: np.ndarray | None = None
    target: np.ndarray | None = None

    def value(self, t: float) -> np.ndarray:
        if self.target is None:
            return zeros()
        if self.origin is None or self.duration <= 0:
            return self.target.copy()
        k = np.float32(_smootherstep((t - self.start) / self.duration))
        return self.origin + (self.target - self.origin) * k

    def go(self, target: np.ndarray, at: float) -> None:
        """Head for ``target`` from whatever is showing at ``at``."""
        self.origin = self.value(at)
        self.target = np.asarray(target, dtype=np.float32).copy()
        self.start = at
