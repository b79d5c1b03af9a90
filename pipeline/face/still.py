"""The simplest animator: the portrait itself, fitted to the output size, never moving.

Used when the profile turns animation off (``face.animate = false``) and as the fallback picture
while a real animator is loading, so the Stage always has something to show.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.blendshapes import zeros
from pipeline.emotion import EmotionState
from pipeline.utterance import Utterance


def load_rgb(path: Path) -> np.ndarray:
    """Read an image file as RGB uint8; raises ValueError with the path when it is not an image."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def fit(image: np.ndarray, size: tuple[int, int], background: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Scale ``image`` to fit (width, height), centred, letterboxed with ``background``."""
    width, height = size
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interp)
    out = np.empty((height, width, 3), dtype=np.uint8)
    out[:] = background
    x, y = (width - nw) // 2, (height - nh) // 2
    out[y : y + nh, x : x + nw] = resized
    return out


class StillAnimator:
    """Shows the portrait unchanged whatever the blendshapes say."""

    def __init__(self, portrait: Path, size: tuple[int, int]) -> None:
        self._size = size
        self._image = fit(load_rgb(portrait), size)
        self._image.setflags(write=False)

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def render(self, weights: np.ndarray) -> np.ndarray:
        return self._image


class RestPerformer:
    """A performer that always shows the rest pose (pairs with :class:`StillAnimator`)."""

    def set_emotion(self, state: EmotionState, at: float) -> None:
        pass

    def speak(self, utterance: Utterance, at: float) -> None:
        pass

    def stop_speaking(self, at: float) -> None:
        pass

    def weights_at(self, t: float) -> np.ndarray:
        return zeros()
