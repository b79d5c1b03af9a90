"""Small dataclasses for everything that flows through the daemon.

Whether a barge-in cancels a frame is a property of its type (``interruptible``): speech and
replies in flight are dropped, control and media timing frames survive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from pipeline.emotion import EmotionState
from pipeline.utterance import Utterance


@dataclass(slots=True, kw_only=True)
class Frame:
    """Base of everything that flows; ``created`` is a monotonic timestamp for latency metrics."""

    interruptible: ClassVar[bool] = False
    created: float = field(default_factory=time.monotonic)


@dataclass(slots=True, kw_only=True)
class VideoFrame(Frame):
    """One RGB picture (H x W x 3 uint8) shown at ``pts`` seconds on the Stage clock (index ``index``)."""

    index: int
    pts: float
    image: np.ndarray


@dataclass(slots=True, kw_only=True)
class AudioChunk(Frame):
    """Float32 mono PCM starting at sample ``start`` of the Stage clock."""

    start: int
    sample_rate: int
    pcm: np.ndarray

    @property
    def pts(self) -> float:
        return self.start / self.sample_rate


@dataclass(slots=True, kw_only=True)
class MediaTick(Frame):
    """What the Stage emits each frame period: a picture and exactly the audio that goes with it."""

    video: VideoFrame
    audio: AudioChunk
    speaking: bool = False
    utterance_id: str | None = None


@dataclass(slots=True, kw_only=True)
class TextInput(Frame):
    """A line to respond to (chat, transcript, operator)."""

    interruptible: ClassVar[bool] = True
    text: str
    source: str = "operator"
    viewer: str | None = None


@dataclass(slots=True, kw_only=True)
class SpeakRequest(Frame):
    """Text to be spoken as is, with an emotion (operator ``say``, scripted lines)."""

    interruptible: ClassVar[bool] = True
    text: str
    emotion: EmotionState | None = None


@dataclass(slots=True, kw_only=True)
class UtteranceFrame(Frame):
    """A synthesised utterance on its way to the Stage."""

    interruptible: ClassVar[bool] = True
    utterance: Utterance


@dataclass(slots=True, kw_only=True)
class EmotionOverride(Frame):
    """Operator sets the face's emotion directly (``None`` returns control to the brain)."""

    emotion: EmotionState | None


@dataclass(slots=True, kw_only=True)
class Interrupt(Frame):
    """Barge-in or operator stop: flush every interruptible frame down to the sinks."""

    reason: str = "operator"


@dataclass(slots=True, kw_only=True)
class Subtitle(Frame):
    """The words being said now; empty text clears the subtitle."""

    text: str
    utterance_id: str | None = None
