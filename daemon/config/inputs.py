"""Where the avatar hears from: the host's microphone and live chat."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, WebsocketUrl

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
    vad_threshold: float = Field(
        0.5, ge=0.1, le=0.95, title="VAD threshold", description="Speech probability that counts as speech."
    )
    partial_interval_ms: int = Field(
        700,
        ge=200,
        le=5000,
        title="Partial interval",
        description="How often the words so far are re-transcribed while the host talks, ms.",
    )
    max_turn_s: float = Field(
        30.0, ge=2.0, le=120.0, title="Longest turn", description="A turn is cut after this long, seconds."
    )
    echo_guard: bool = Field(
        True,
        title="Echo guard",
        description="Ignore the avatar's own voice coming back through the microphone.",
    )
    echo_threshold: float = Field(
        0.65,
        ge=0.3,
        le=0.95,
        title="Echo threshold",
        description="Share of microphone energy explained by the avatar's playback above which sound is echo.",
    )
    asr_threads: int = Field(2, ge=1, le=16, title="ASR threads", description="CPU threads for Whisper.")


class ChatConfig(Section):
    kind: Literal["twitch", "websocket", "webhook", "stdin"] = Field(
        ..., title="Kind", description="Chat connector type."
    )
    channel: str | None = Field(None, max_length=100, title="Channel", description="Twitch channel name.")
    url: WebsocketUrl | None = Field(
        None, title="URL", description="WebSocket URL (`ws://` or `wss://`) to read chat from (kind `websocket`)."
    )
    token_env: str | None = Field(
        None, title="Token variable", description="Environment variable holding the chat token (never the token)."
    )
    nick: str | None = Field(
        None, max_length=25, title="Nick", description="Twitch login name used with a token (kind `twitch`)."
    )
    host: str | None = Field(
        None, max_length=255, title="Host", description="IRC server (kind `twitch`; default irc.chat.twitch.tv)."
    )
    port: int | None = Field(None, ge=1, le=65535, title="Port", description="IRC port (default 6697 TLS, 6667 plain).")
    tls: bool = Field(True, title="TLS", description="Encrypt the IRC connection (kind `twitch`).")
    platform: str | None = Field(
        None, max_length=40, title="Platform", description="Label for messages from this source (e.g. `douyin`)."
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
    inbox_capacity: int = Field(
        200, ge=10, le=10000, title="Inbox size", description="Turns waiting for the avatar; the lowest go first."
    )
    viewer_burst: int = Field(
        3, ge=1, le=100, title="Viewer burst", description="Messages a viewer may send at once before rate limiting."
    )
    viewer_per_minute: float = Field(
        15.0, ge=0.5, le=600.0, title="Viewer rate", description="Sustained messages per minute per viewer."
    )
    max_message_chars: int = Field(
        300, ge=20, le=2000, title="Message length", description="Longer chat messages are cut."
    )
    guard_injection: bool = Field(
        True, title="Injection guard", description="Block chat that tries to steer or extract the model's prompt."
    )
    scrub_contacts: bool = Field(
        True, title="Scrub contacts", description="Replace phone numbers, e-mails, addresses and links in chat."
    )
