"""A Turn: one thing someone said or did that the avatar may answer (chat, host speech, events)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class TurnKind(StrEnum):
    """What kind of input a turn is; decides how the brain handles it."""

    CHAT = "chat"
    """A live-chat message."""
    QUESTION = "question"
    """A chat message recognised as a question (cacheable, may hit the FAQ)."""
    GIFT = "gift"
    """A viewer sent a gift; ``text`` names it."""
    FOLLOW = "follow"
    """A viewer followed the channel."""
    JOIN = "join"
    """A viewer entered the room."""
    HOST = "host"
    """The host spoke (transcribed speech)."""
    OPERATOR = "operator"
    """A line the operator typed for the avatar to say as it is."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One input to the brain. ``priority``: higher goes first; ``received`` is a monotonic time."""

    viewer: str
    platform: str
    text: str
    kind: TurnKind = TurnKind.CHAT
    priority: int = 0
    received: float = field(default_factory=time.monotonic)
