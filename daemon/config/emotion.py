"""How viewer and reply emotions combine into what the avatar shows."""

from __future__ import annotations

from pydantic import Field

from daemon.config.base import Section
from pipeline.emotion import Emotion


class EmotionRule(Section):
    """When the viewer feels ``viewer`` and the reply would show ``reply``, show ``show`` instead."""

    name: str = Field(..., min_length=1, max_length=64, title="Rule name", description="Shown when the rule fires.")
    viewer: list[Emotion] = Field(
        default_factory=list, title="Viewer emotions", description="Matches these viewer emotions (empty: any)."
    )
    reply: list[Emotion] = Field(
        default_factory=list, title="Reply emotions", description="Matches these reply emotions (empty: any)."
    )
    show: Emotion = Field(..., title="Show", description="The emotion shown when the rule matches.")
    intensity: float | None = Field(
        None, ge=0.0, le=1.0, title="Intensity", description="Intensity to show (default: the reply's)."
    )


class EmotionConfig(Section):
    default: Emotion = Field(Emotion.NEUTRAL, title="Resting emotion", description="Shown when nothing is going on.")
    max_intensity: float = Field(
        1.0, ge=0.1, le=1.0, title="Max intensity", description="Cap on any shown intensity (a calmer persona)."
    )
    ease_ms: int = Field(
        220, ge=50, le=2000, title="Ease", description="Time an expression change takes to settle, ms."
    )
    rules: list[EmotionRule] = Field(
        default_factory=list,
        max_length=64,
        title="Rules",
        description="Extra rules, tried before the built-in safe defaults (first match wins).",
    )
