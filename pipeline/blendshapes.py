"""The blendshape vector: ARKit's 52 names plus head pose, the one currency of every face stage.

Expressions, visemes and idle motion all produce it; every renderer consumes it; VMC/OSC can
export it unchanged.  A vector is a float32 numpy array of length ``SIZE``; the 52 ARKit weights
are in 0..1, head pose is in degrees.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)  # fmt: skip
POSE_NAMES: tuple[str, ...] = ("headYaw", "headPitch", "headRoll")
NAMES: tuple[str, ...] = ARKIT_NAMES + POSE_NAMES
SIZE = len(NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
POSE_SLICE = slice(len(ARKIT_NAMES), SIZE)

assert len(ARKIT_NAMES) == 52

#: Channels the mouth owns: visemes drive these, expressions only bias them.
MOUTH_NAMES: frozenset[str] = frozenset(
    n for n in ARKIT_NAMES if n.startswith(("jaw", "mouth", "tongue"))
)


def zeros() -> np.ndarray:
    """A neutral vector (all weights 0, head straight)."""
    return np.zeros(SIZE, dtype=np.float32)


def from_mapping(weights: Mapping[str, float]) -> np.ndarray:
    """Build a vector from ``{name: weight}``; unknown names raise KeyError with the name."""
    vec = zeros()
    for name, value in weights.items():
        if name not in INDEX:
            raise KeyError(f"unknown blendshape {name!r}")
        vec[INDEX[name]] = value
    return vec


def to_mapping(vec: np.ndarray, *, skip_zero: bool = True) -> dict[str, float]:
    """The inverse of :func:`from_mapping`, for logs, the API and VMC/OSC export."""
    return {n: float(v) for n, v in zip(NAMES, vec, strict=True) if not (skip_zero and v == 0.0)}


def clamp(vec: np.ndarray) -> np.ndarray:
    """Clip the ARKit weights into 0..1 (head pose is left alone), in place; returns ``vec``."""
    np.clip(vec[: len(ARKIT_NAMES)], 0.0, 1.0, out=vec[: len(ARKIT_NAMES)])
    return vec
