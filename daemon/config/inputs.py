"""Where the avatar hears from: the host's microphone and live chat."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, HttpUrl

from daemon.config.base import Section


class MicConfig(Section):
    enabled: bool = Field(False, title="Enabled", description="Listen to the host's microphone.")
    device: str | None = Field(None, title="Device", description="Input device name (default: the system's).")
    mode: Literal["converse", "mirror"] = Field(
        "converse",
        title="Mode",
        description="`converse`: the avatar answers; `mirror`: it says the host's own words in its voice.",
    )
    end_of_turn_ms: int = Field(
        400, ge=100, le=3000, title="End of turn", description="Silence that ends the host's turn, ms."
    )
    min_speech_ms: int = Field(
        250, ge=50, le=3000, title="Minimum speech", description="Shorter sounds are not a turn, ms."
    )
    barge_in: bool = Field(True, title="Barge-in", description="The host speaking interrupts the avatar.")


class ChatConfig(Section):
    kind: Literal["twitch", "websocket", "webhook", "stdin"] = Field(
        ..., title="Kind", description="Chat connector type."
    )
    channel: str | None = Field(None, max_length=100, title="Channel", description="Twitch channel name.")
    url: HttpUrl | None = Field(None, title="URL", description="WebSocket URL to read chat from (kind `websocket`).")
    token_env: str | None = Field(
        None, title="Token variable", description="Environment variable holding the chat token (never the token)."
    )


class InputsConfig(Section):
    mic: MicConfig = Field(default_factory=MicConfig, title="Microphone", description="The host's microphone.")
    chat: list[ChatConfig] = Field(default_factory=list, max_length=16, title="Chat", description="Chat sources.")
    blocked_words: list[str] = Field(
        default_factory=list, max_length=5000, title="Blocked words", description="Moderation word list."
    )
    question_max_age_s: float = Field(
        60.0, ge=1.0, le=3600.0, title="Question max age", description="Older questions are not answered."
    )
