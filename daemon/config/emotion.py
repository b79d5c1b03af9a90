"""How viewer and reply emotions combine into what the avatar shows."""

from __future__ import annotations

from pydantic import Field

from daemon.config.base import Section
from pipeline.brain.policy import EmotionPolicy, PolicyRule
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
    reads: list[Emotion] = Field(
        default_factory=list,
        title="Reply text reads",
        description="Matches when the reply sentence's own text reads as one of these (empty: any).",
    )
    show: Emotion = Field(..., title="Show", description="The emotion shown when the rule matches.")
    intensity: float | None = Field(
        None, ge=0.0, le=1.0, title="Intensity", description="Intensity to show (default: the reply's)."
    )

    def as_policy_rule(self) -> PolicyRule:
        """The plain rule the pipeline's policy takes."""
        return PolicyRule(
            name=self.name,
            show=self.show,
            viewer=frozenset(self.viewer),
            reply=frozenset(self.reply),
            reads=frozenset(self.reads),
            intensity=self.intensity,
            why="profile rule",
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
    intensity_step: float = Field(
        0.35,
        ge=0.05,
        le=1.0,
        title="Intensity step",
        description="Most an expression's intensity changes from one sentence to the next (a ramp, not a jump).",
    )
    switch_min: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        title="Switch threshold",
        description="A reply emotion weaker than this does not replace the one already shown within a reply.",
    )
    hold_sentences: int = Field(
        2,
        ge=0,
        le=10,
        title="Hold",
        description="Sentences an emotion is held before the face may switch back to the previous one.",
    )

    def build_policy(self) -> EmotionPolicy:
        """The pipeline's emotion policy: these rules first, then the built-in safe defaults."""
        return EmotionPolicy(
            [r.as_policy_rule() for r in self.rules],
            rest=self.default,
            max_intensity=self.max_intensity,
            step=self.intensity_step,
            switch_min=self.switch_min,
            hold_sentences=self.hold_sentences,
        )
