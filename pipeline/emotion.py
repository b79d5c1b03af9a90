"""The emotion vocabulary shared by brain, voice and face: one definition for the whole project."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Emotion(StrEnum):
    """The eight emotions the avatar can read and show.

    ``concerned`` is a response emotion: the avatar shows care when the viewer is upset.
    """

    NEUTRAL = "neutral"
    HAPPY = "happy"
    SAD = "sad"
    ANGRY = "angry"
    SURPRISED = "surprised"
    FEARFUL = "fearful"
    DISGUSTED = "disgusted"
    CONCERNED = "concerned"


EMOTIONS: tuple[Emotion, ...] = tuple(Emotion)


@dataclass(frozen=True, slots=True)
class EmotionState:
    """An emotion with its intensity in 0..1."""

    emotion: Emotion = Emotion.NEUTRAL
    intensity: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.intensity <= 1.0:
            raise ValueError(f"intensity must be within 0..1, got {self.intensity}")

    @classmethod
    def parse(cls, name: str, intensity: float = 0.7) -> EmotionState:
        """Build from a user-facing name; raises ValueError naming the valid choices."""
        try:
            emotion = Emotion(name.strip().lower())
        except ValueError:
            choices = ", ".join(e.value for e in Emotion)
            raise ValueError(f"unknown emotion {name!r}; choose one of: {choices}") from None
        return cls(emotion, intensity if emotion is not Emotion.NEUTRAL else 0.0)
