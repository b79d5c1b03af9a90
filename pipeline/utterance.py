"""The Utterance: what the voice hands the Stage, and what the face lip-syncs to."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from pipeline.emotion import EmotionState
from pipeline.visemes import VisemeKey

_ids = itertools.count(1)


def next_utterance_id() -> str:
    """Process-unique id, readable in logs."""
    return f"u{next(_ids)}"


@dataclass(frozen=True, slots=True)
class WordTiming:
    """A word (or a CJK character run) shown as subtitle from ``start`` to ``end`` samples."""

    start: int
    end: int
    text: str


@dataclass(slots=True)
class Utterance:
    """Text, feeling, float32 mono audio, its sample rate, and the viseme track on the same clock.

    Time inside an utterance is counted in samples of its own audio.  ``continues`` marks the next
    piece of the same reply streamed on its own (a clause, or a sentence whose pause is already in
    its audio): it follows the previous utterance directly, without the gap between replies.
    """

    text: str
    emotion: EmotionState
    audio: np.ndarray
    sample_rate: int
    visemes: list[VisemeKey] = field(default_factory=list)
    words: list[WordTiming] = field(default_factory=list)
    id: str = field(default_factory=next_utterance_id)
    continues: bool = False

    def __post_init__(self) -> None:
        if self.audio.ndim != 1:
            raise ValueError("utterance audio must be mono (1-D)")
        if self.audio.dtype != np.float32:
            self.audio = self.audio.astype(np.float32)
        if self.sample_rate <= 0:
            raise ValueError("sample_rate must be positive")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.audio) / self.sample_rate
