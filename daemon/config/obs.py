"""OBS Studio over obs-websocket v5: connection and the event -> request mapping."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from daemon.config.base import Section
from pipeline.emotion import Emotion

PLAIN_EVENTS = ("speech.start", "speech.end", "speech.interrupted", "connected")
EMOTION_EVENTS = tuple(f"emotion:{e.value}" for e in Emotion)


class OBSRule(Section):
    """One `[[obs.on]]` rule: when EVENT happens, do ACTION in OBS."""

    event: str = Field(
        ...,
        min_length=1,
        max_length=40,
        title="Event",
        description="`speech.start`, `speech.end` (also after an interruption), `speech.interrupted`, "
        "`emotion:<name>` (one of the eight emotions) or `connected` (OBS came up or restarted).",
    )
    action: Literal["scene", "show", "hide", "media", "virtualcam"] = Field(
        ...,
        title="Action",
        description="`scene`: switch the program scene; `show`/`hide`: a source in a scene; "
        "`media`: control a media source; `virtualcam`: start OBS's virtual camera.",
    )
    scene: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        title="Scene",
        description="Scene to switch to (`scene`), or the scene holding the source (`show`/`hide`; "
        "default: the current program scene).",
    )
    source: str | None = Field(
        None, min_length=1, max_length=256, title="Source", description="Source name for `show`, `hide`, `media`."
    )
    media_action: Literal["play", "pause", "stop", "restart", "next", "previous"] | None = Field(
        None, title="Media action", description="What `media` does to the source."
    )
    min_intensity: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        title="Minimum intensity",
        description="For `emotion:` events: only fire when the emotion is at least this strong.",
    )

    @field_validator("event")
    @classmethod
    def _known_event(cls, value: str) -> str:
        if value not in PLAIN_EVENTS and value not in EMOTION_EVENTS:
            choices = ", ".join((*PLAIN_EVENTS, "emotion:<" + "|".join(e.value for e in Emotion) + ">"))
            raise ValueError(f"unknown event {value!r}; choose one of: {choices}")
        return value

    @model_validator(mode="after")
    def _fields_for_action(self) -> Self:
        needs = {
            "scene": {"scene"},
            "show": {"source"},
            "hide": {"source"},
            "media": {"source", "media_action"},
            "virtualcam": set(),
        }[self.action]
        allowed = needs | ({"scene"} if self.action in ("show", "hide") else set())
        for name in ("scene", "source", "media_action"):
            value = getattr(self, name)
            if name in needs and value is None:
                raise ValueError(f"action `{self.action}` needs `{name}`")
            if name not in allowed and value is not None:
                raise ValueError(f"`{name}` has no meaning for action `{self.action}`")
        if self.min_intensity and not self.event.startswith("emotion:"):
            raise ValueError("`min_intensity` only applies to `emotion:` events")
        return self


class OBSConfig(Section):
    enabled: bool = Field(False, title="Enabled", description="Steer OBS over obs-websocket v5.")
    host: str = Field("127.0.0.1", title="Host", description="obs-websocket host.")
    port: int = Field(4455, ge=1, le=65535, title="Port", description="obs-websocket port.")
    password_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        title="Password variable",
        description="Environment variable holding the obs-websocket password.",
    )
    subtitle_source: str | None = Field(
        None, title="Subtitle source", description="Text source that shows the live subtitle."
    )
    speaking_scene: str | None = Field(None, title="Speaking scene", description="Scene while the avatar speaks.")
    idle_scene: str | None = Field(None, title="Idle scene", description="Scene while the avatar is silent.")
    on: list[OBSRule] = Field(
        default_factory=list,
        max_length=64,
        title="Rules",
        description="`[[obs.on]]` tables mapping daemon events to OBS actions, applied in order.",
    )
    request_timeout_s: float = Field(
        2.0, ge=0.1, le=30.0, title="Request timeout", description="Seconds to wait for OBS to answer a request."
    )
    reconnect_min_s: float = Field(
        0.5, ge=0.05, le=30.0, title="First reconnect delay", description="Seconds before the first reconnect."
    )
    reconnect_max_s: float = Field(
        10.0, ge=0.5, le=300.0, title="Longest reconnect delay", description="Cap of the doubling reconnect delay."
    )
    queue: int = Field(
        64,
        ge=4,
        le=1024,
        title="Queue",
        description="Pending OBS changes kept while OBS is slow or away (latest per target; oldest dropped).",
    )
    resync_on_connect: bool = Field(
        True,
        title="Re-apply on connect",
        description="After OBS (re)starts, re-apply the current scene, subtitle and source visibility.",
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> Self:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("`reconnect_max_s` must be at least `reconnect_min_s`")
        return self

    def rules(self) -> list[OBSRule]:
        """Every rule, with `speaking_scene` / `idle_scene` as the first two when set."""
        implicit = []
        if self.speaking_scene:
            implicit.append(OBSRule(event="speech.start", action="scene", scene=self.speaking_scene))
        if self.idle_scene:
            implicit.append(OBSRule(event="speech.end", action="scene", scene=self.idle_scene))
        return [*implicit, *self.on]
