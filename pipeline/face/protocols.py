"""What the Stage needs from the face: a performer that says which blendshapes to show at a time,
and an animator that turns blendshapes into a picture.  Both are called from a render thread."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pipeline.emotion import EmotionState
from pipeline.utterance import Utterance


class Animator(Protocol):
    """Turns a blendshape vector (``pipeline.blendshapes``) into an RGB picture."""

    @property
    def size(self) -> tuple[int, int]:
        """Output (width, height) in pixels."""
        ...

    def render(self, weights: np.ndarray) -> np.ndarray:
        """An H x W x 3 uint8 RGB image for ``weights``."""
        ...


class Performer(Protocol):
    """The performance timeline: expression, lip sync and idle life, sampled at any Stage time."""

    def set_emotion(self, state: EmotionState, at: float) -> None:
        """Ease towards ``state`` starting at Stage time ``at`` seconds."""
        ...

    def speak(self, utterance: Utterance, at: float) -> None:
        """Lip-sync ``utterance`` whose first sample plays at Stage time ``at`` seconds."""
        ...

    def stop_speaking(self, at: float) -> None:
        """Drop the current utterance (interrupt): the mouth returns to rest from ``at``."""
        ...

    def weights_at(self, t: float) -> np.ndarray:
        """The blendshape vector to show at Stage time ``t`` seconds (monotonic calls)."""
        ...
