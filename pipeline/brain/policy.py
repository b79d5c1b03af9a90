"""The emotion policy: what the face and voice show, given how the viewer feels and the reply's tag.

Rules are tried in order (the profile's own first, then the safe defaults); the first match
decides. Between sentences the shown emotion is smoothed: intensity ramps, a weak change is not
followed, and an emotion does not flip back right after a change. Safety rules always win at once.
Every decision says which rule fired and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.emotion import Emotion, EmotionState

log = logging.getLogger(__name__)
E = Emotion
NEGATIVE = frozenset({E.SAD, E.ANGRY, E.FEARFUL, E.DISGUSTED})


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """When viewer, reply (the tag) and reads (the reply text itself) match, show ``show``.

    An empty set matches anything. ``intensity`` None keeps the reply's (or the viewer's).
    """

    name: str
    show: Emotion
    viewer: frozenset[Emotion] = frozenset()
    reply: frozenset[Emotion] = frozenset()
    reads: frozenset[Emotion] = frozenset()
    intensity: float | None = None
    why: str = ""

    def matches(self, viewer: Emotion, reply: Emotion, reads: Emotion | None) -> bool:
        if self.viewer and viewer not in self.viewer:
            return False
        if self.reply and reply not in self.reply:
            return False
        return not (self.reads and (reads is None or reads not in self.reads))


DEFAULT_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(
        "calm_care_for_anger", E.CONCERNED, viewer=frozenset({E.ANGRY}),
        reply=frozenset({E.CONCERNED, E.SAD, E.FEARFUL}), intensity=0.5,
        why="an angry viewer gets calm care, never a mirrored or cheerful face",
    ),
    PolicyRule(
        "calm_for_anger", E.NEUTRAL, viewer=frozenset({E.ANGRY}), intensity=0.0,
        why="an angry viewer gets a calm face",
    ),
    PolicyRule(
        "no_joy_at_complaint", E.CONCERNED, viewer=frozenset({E.DISGUSTED}), intensity=0.5,
        why="a complaint is never met with joy",
    ),
    PolicyRule(
        "care_for_upset", E.CONCERNED, viewer=frozenset({E.SAD, E.FEARFUL}),
        why="a sad or worried viewer gets concern",
    ),
    PolicyRule(
        "no_joy_at_bad_news", E.CONCERNED, reply=frozenset({E.HAPPY, E.SURPRISED}), reads=NEGATIVE,
        intensity=0.5, why="bad news is never told with a happy face",
    ),
    PolicyRule(
        "never_angry_on_air", E.NEUTRAL, reply=frozenset({E.ANGRY}), intensity=0.0,
        why="the host never shows anger to the audience",
    ),
)
SAFETY_RULES = frozenset(r.name for r in DEFAULT_RULES)


@dataclass(frozen=True, slots=True)
class Decision:
    """What is shown and why: ``rule`` is the rule that fired (None: the reply's own emotion)."""

    shown: EmotionState
    viewer: EmotionState
    reply: EmotionState
    rule: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        """For logs and the control API."""
        return {
            "shown": {"emotion": self.shown.emotion.value, "intensity": self.shown.intensity},
            "viewer": {"emotion": self.viewer.emotion.value, "intensity": self.viewer.intensity},
            "reply": {"emotion": self.reply.emotion.value, "intensity": self.reply.intensity},
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(slots=True)
class _Track:
    shown: EmotionState | None = None
    before: Emotion | None = None  # what was shown before the last change
    since_change: int = 0
    history: list[Decision] = field(default_factory=list)


class EmotionPolicy:
    """Decides the shown emotion per reply sentence; keeps the smoothing state between them."""

    def __init__(
        self,
        rules: Iterable[PolicyRule] = (),
        *,
        use_defaults: bool = True,
        rest: Emotion = E.NEUTRAL,
        max_intensity: float = 1.0,
        step: float = 0.35,
        switch_min: float = 0.3,
        hold_sentences: int = 2,
        history: int = 50,
    ) -> None:
        self.rules: tuple[PolicyRule, ...] = (*rules, *(DEFAULT_RULES if use_defaults else ()))
        self.rest = rest
        self.max_intensity = max_intensity
        self.step = step
        self.switch_min = switch_min
        self.hold_sentences = hold_sentences
        self._track = _Track()
        self._history = history

    @property
    def last(self) -> Decision | None:
        return self._track.history[-1] if self._track.history else None

    @property
    def recent(self) -> list[Decision]:
        """The latest decisions, oldest first (for the control API)."""
        return list(self._track.history)

    def resting(self) -> EmotionState:
        """What the idle face shows."""
        return EmotionState(self.rest, 0.0 if self.rest is E.NEUTRAL else min(0.3, self.max_intensity))

    def decide(
        self,
        viewer: EmotionState,
        reply: EmotionState,
        reads: EmotionState | None = None,
        *,
        new_reply: bool = False,
    ) -> Decision:
        """Combine viewer and reply emotions for one sentence; ``reads``: the sentence text's own reading."""
        rule = next((r for r in self.rules if r.matches(viewer.emotion, reply.emotion, reads and reads.emotion)), None)
        if rule is None:
            target = reply
            reason = f"reply {reply.emotion.value} shown as it is"
        else:
            level = rule.intensity
            if level is None:
                level = reply.intensity or viewer.intensity or 0.5
            target = EmotionState(rule.show, 0.0 if rule.show is E.NEUTRAL else level)
            reason = f"{rule.name}: {rule.why}" if rule.why else f"rule {rule.name}"
        target = self._cap(target)
        shown, note = self._smooth(target, forced=rule is not None, new_reply=new_reply)
        detail = f"viewer {_fmt(viewer)}, reply {_fmt(reply)}"
        if reads is not None:
            detail += f", text reads {_fmt(reads)}"
        decision = Decision(shown, viewer, reply, rule.name if rule else None, f"{reason} ({detail}){note}")
        self._record(decision)
        log.info("emotion %s: %s", _fmt(shown), decision.reason)
        return decision

    def reset(self) -> None:
        """Forget the smoothing state (a new stream)."""
        self._track = _Track()

    def _cap(self, state: EmotionState) -> EmotionState:
        if state.emotion is E.NEUTRAL:
            return EmotionState(E.NEUTRAL, 0.0)
        return EmotionState(state.emotion, round(min(state.intensity, self.max_intensity), 3))

    def _smooth(self, target: EmotionState, forced: bool, new_reply: bool) -> tuple[EmotionState, str]:
        track = self._track
        last = track.shown
        if last is None:
            return self._switch(target, None), ""
        if target.emotion is last.emotion:
            level = _toward(last.intensity, target.intensity, self.step)
            track.since_change += 1
            shown = EmotionState(target.emotion, 0.0 if target.emotion is E.NEUTRAL else level)
            track.shown = shown
            return shown, "" if level == target.intensity else f"; ramping {last.intensity:.2f}->{level:.2f}"
        if not forced and not new_reply:
            weak = target.emotion is not E.NEUTRAL and target.intensity < self.switch_min
            flip = target.emotion is track.before and track.since_change + 1 < self.hold_sentences
            if weak or flip:
                track.since_change += 1
                why = "change too weak" if weak else f"no flip back to {target.emotion.value} so soon"
                return last, f"; held {last.emotion.value} ({why})"
        return self._switch(target, last), ""

    def _switch(self, target: EmotionState, last: EmotionState | None) -> EmotionState:
        track = self._track
        level = target.intensity if target.emotion is E.NEUTRAL else min(target.intensity, 0.25 + self.step)
        shown = EmotionState(target.emotion, round(level, 3))
        track.before = last.emotion if last is not None else None
        track.since_change = 0
        track.shown = shown
        return shown

    def _record(self, decision: Decision) -> None:
        history = self._track.history
        history.append(decision)
        if len(history) > self._history:
            del history[0]


def _toward(current: float, target: float, step: float) -> float:
    if abs(target - current) <= step:
        return round(target, 3)
    return round(current + step if target > current else current - step, 3)


def _fmt(state: EmotionState) -> str:
    return f"{state.emotion.value} {state.intensity:.2f}"
