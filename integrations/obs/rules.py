"""The event -> OBS action mapping: plain rules and the operations they turn into.

A rule says "when the daemon publishes EVENT, do ACTION in OBS".  Events are the daemon's own
(``speech.start``, ``speech.end``, ``speech.interrupted``, ``emotion:<name>``) plus ``connected``
(OBS came up, including after a restart).  ``speech.end`` also fires on an interruption: both mean
the avatar stopped speaking.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("scene", "show", "hide", "media", "virtualcam")
MEDIA_ACTIONS = ("play", "pause", "stop", "restart", "next", "previous")
EVENTS = ("speech.start", "speech.end", "speech.interrupted", "connected")
EMOTION_PREFIX = "emotion:"
_trigger_ids = itertools.count()


@dataclass(frozen=True, slots=True)
class Rule:
    """One mapping rule; the same fields as a profile's ``[[obs.on]]`` table."""

    event: str
    action: str
    scene: str | None = None
    source: str | None = None
    media_action: str | None = None
    min_intensity: float = 0.0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; choose one of {', '.join(ACTIONS)}")
        emotion = self.event.startswith(EMOTION_PREFIX) and self.event[len(EMOTION_PREFIX) :]
        if self.event not in EVENTS and not emotion:
            raise ValueError(f"unknown event {self.event!r}")
        if self.action == "scene" and not self.scene:
            raise ValueError("a `scene` action needs `scene`")
        if self.action in ("show", "hide", "media") and not self.source:
            raise ValueError(f"a `{self.action}` action needs `source`")
        if self.action == "media" and self.media_action not in MEDIA_ACTIONS:
            raise ValueError(f"a `media` action needs `media_action`, one of {', '.join(MEDIA_ACTIONS)}")

    def matches(self, kind: str, data: Mapping[str, Any]) -> bool:
        """Whether the daemon event (``kind``, ``data``) triggers this rule."""
        if self.event.startswith(EMOTION_PREFIX):
            if kind != "emotion" or str(data.get("emotion", "")).lower() != self.event[len(EMOTION_PREFIX):].lower():
                return False
            intensity = data.get("intensity")
            return not isinstance(intensity, int | float) or intensity >= self.min_intensity
        if self.event == "speech.end":
            return kind in ("speech.end", "speech.interrupted")
        return kind == self.event


@dataclass(slots=True)
class Op:
    """One thing to do in OBS.  Ops with the same ``key`` coalesce: only the latest is kept.

    ``state`` ops describe how OBS should look (scene, text, visibility, virtual camera) and are
    re-applied after OBS restarts; the others are one-shot triggers that expire.
    """

    kind: str
    key: Hashable
    args: dict[str, Any]
    state: bool = True
    at: float = field(default_factory=time.monotonic)


def op_for(rule: Rule) -> Op:
    """The operation a rule asks for."""
    if rule.action == "scene":
        return Op("scene", ("scene",), {"scene": rule.scene})
    if rule.action in ("show", "hide"):
        return Op("item", ("item", rule.scene, rule.source),
                  {"scene": rule.scene, "source": rule.source, "enabled": rule.action == "show"})
    if rule.action == "media":
        return Op("media", ("media", next(_trigger_ids)),
                  {"source": rule.source, "action": rule.media_action}, state=False)
    return Op("virtualcam", ("virtualcam",), {})


def subtitle_op(source: str, text: str) -> Op:
    return Op("text", ("text", source), {"source": source, "text": text})
