"""Visemes as mouth blendshapes, and co-articulated sampling of a viseme track.

Speech is not a string of poses: each mouth shape starts before its sound and lingers after it,
and some shapes (lips shut for m/b/p, lip to teeth for f/v) win over their neighbours.  Each key
gets a dominance that is full over its own span and decays outside it; the mouth at time t is the
dominance-weighted mean of the shapes around it (after Cohen and Massaro), so short consonants
still close the lips and vowels blend into each other without snapping.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from pipeline.blendshapes import from_mapping, zeros
from pipeline.visemes import Viseme, VisemeKey


def _both(name: str, value: float) -> dict[str, float]:
    return {f"{name}Left": value, f"{name}Right": value}


#: Every viseme's mouth, as blendshape weights.
VISEME_SHAPES: dict[Viseme, dict[str, float]] = {
    Viseme.SILENCE: {},
    Viseme.AA: {
        "jawOpen": 0.5,
        **_both("mouthLowerDown", 0.3),
        **_both("mouthUpperUp", 0.1),
        **_both("mouthStretch", 0.1),
    },
    Viseme.E: {
        "jawOpen": 0.3,
        **_both("mouthStretch", 0.35),
        **_both("mouthSmile", 0.12),
        **_both("mouthLowerDown", 0.25),
        **_both("mouthUpperUp", 0.15),
    },
    Viseme.I: {
        "jawOpen": 0.14,
        **_both("mouthStretch", 0.45),
        **_both("mouthSmile", 0.18),
        **_both("mouthUpperUp", 0.2),
        **_both("mouthLowerDown", 0.15),
    },
    Viseme.O: {"jawOpen": 0.38, "mouthFunnel": 0.7, "mouthPucker": 0.3},
    Viseme.U: {"jawOpen": 0.14, "mouthPucker": 0.8, "mouthFunnel": 0.4},
    Viseme.FV: {"jawOpen": 0.06, "mouthRollLower": 0.65, **_both("mouthUpperUp", 0.3), "mouthShrugLower": 0.2},
    Viseme.MBP: {**_both("mouthPress", 0.6), "mouthRollLower": 0.2, "mouthRollUpper": 0.2, "mouthClose": 0.6},
    Viseme.L: {"jawOpen": 0.28, **_both("mouthStretch", 0.1), **_both("mouthUpperUp", 0.1), "tongueOut": 0.15},
    Viseme.WQ: {"jawOpen": 0.08, "mouthPucker": 0.95, "mouthFunnel": 0.3},
    Viseme.CH: {"jawOpen": 0.14, "mouthFunnel": 0.5, **_both("mouthUpperUp", 0.25), **_both("mouthLowerDown", 0.25)},
    Viseme.TH: {"jawOpen": 0.16, "tongueOut": 0.45, **_both("mouthUpperUp", 0.1)},
    Viseme.DD: {
        "jawOpen": 0.2,
        **_both("mouthStretch", 0.2),
        **_both("mouthUpperUp", 0.15),
        **_both("mouthLowerDown", 0.1),
    },
}
SHAPES: dict[Viseme, np.ndarray] = {v: from_mapping(m) for v, m in VISEME_SHAPES.items()}

#: (dominance, decay seconds): lips-shut and lip-to-teeth shapes must be reached; vowels blend.
DOMINANCE: dict[Viseme, tuple[float, float]] = {v: (1.0, 0.07) for v in Viseme}
DOMINANCE.update(
    {
        Viseme.MBP: (4.0, 0.04),
        Viseme.FV: (3.0, 0.045),
        Viseme.WQ: (1.6, 0.08),
        Viseme.U: (1.3, 0.08),
        Viseme.SILENCE: (0.7, 0.06),
        Viseme.TH: (1.5, 0.05),
        Viseme.CH: (1.4, 0.06),
    }
)
#: Keys further than this from t are ignored (their dominance is negligible).
HORIZON = 0.35


@dataclass(frozen=True, slots=True)
class _Key:
    start: float
    end: float
    shape: np.ndarray
    dominance: float
    decay: float


class VisemeTrack:
    """An utterance's visemes on the Stage clock, sampled at any time with co-articulation."""

    def __init__(self, keys: list[VisemeKey], sample_rate: int, at: float, duration: float) -> None:
        self.start = at
        self.end = at + duration
        ordered = sorted(keys, key=lambda k: k.start)
        self._keys = [
            _Key(
                at + k.start / sample_rate,
                at + k.end / sample_rate,
                SHAPES[k.viseme] * np.float32(k.weight),
                *DOMINANCE[k.viseme],
            )
            for k in ordered
        ]
        # Silence holds the mouth at rest before the first key and after the last one.
        rest_dom, rest_decay = DOMINANCE[Viseme.SILENCE]
        first = self._keys[0].start if self._keys else self.end
        last = self._keys[-1].end if self._keys else at
        self._keys.insert(0, _Key(at - 10.0, min(first, at), zeros(), rest_dom, rest_decay))
        self._keys.append(_Key(max(last, self.end), self.end + 10.0, zeros(), rest_dom, rest_decay))
        self._starts = [k.start for k in self._keys]
        # Running maximum of the ends: monotonic, so the first key still in reach is a bisection.
        self._reach = np.maximum.accumulate([k.end for k in self._keys]).tolist()

    def sample(self, t: float) -> np.ndarray:
        """The mouth (a blendshape vector) at Stage time ``t``."""
        lo = bisect.bisect_left(self._reach, t - HORIZON)
        hi = bisect.bisect_right(self._starts, t + HORIZON)
        total = 0.0
        acc = zeros()
        for key in self._keys[lo:hi]:
            if key.end < t - HORIZON:
                continue
            outside = max(key.start - t, t - key.end, 0.0)
            d = key.dominance * float(np.exp(-((outside / key.decay) ** 1.5)))
            if d < 1e-4:
                continue
            total += d
            acc += key.shape * np.float32(d)
        return acc / np.float32(total) if total > 0 else acc

    def speaking(self, t: float) -> float:
        """How much speech is under way at ``t`` (0..1), easing in and out over about 0.15 s."""
        edge = 0.15
        if t <= self.start - edge or t >= self.end + edge:
            return 0.0
        rise = min(1.0, (t - (self.start - edge)) / edge)
        fall = min(1.0, ((self.end + edge) - t) / edge)
        return float(min(rise, fall))
