"""The one interface every chat connector implements, and what they share (message, backoff, pump)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.turn import TurnKind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line or event from a platform, before moderation (the text is untrusted)."""

    platform: str
    viewer: str
    text: str
    kind: TurnKind = TurnKind.CHAT
    amount: float | None = None
    id: str | None = None
    at: float = field(default_factory=time.time)


class Backoff:
    """Exponential reconnect delays with jitter: ``initial``, x``factor`` each failure, capped at ``maximum``."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0, factor: float = 2.0, jitter: float = 0.2) -> None:
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.failures = 0

    def next(self) -> float:
        """The delay before the next attempt (and count one failure)."""
        base = min(self.maximum, self.initial * self.factor**self.failures)
        self.failures += 1
        return base * (1.0 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self.failures = 0

    async def sleep(self, closed: asyncio.Event) -> bool:
        """Wait the next delay; False when ``closed`` was set meanwhile (stop instead of retrying)."""
        try:
            await asyncio.wait_for(closed.wait(), timeout=self.next())
        except TimeoutError:
            return True
        return False


class ChatSource(ABC):
    """A live-chat connection.  ``messages()`` yields until ``close()``, reconnecting with backoff on
    its own; it never blocks the event loop.  ``status()`` reports health for the status page."""

    platform: str = "chat"

    def __init__(self) -> None:
        self._closed = asyncio.Event()
        self.connected = False
        self.reconnects = 0
        self.received = 0
        self.last_error: str | None = None

    @abstractmethod
    def messages(self) -> AsyncIterator[ChatMessage]:
        """Async iterator over incoming messages (usually an async generator)."""

    async def close(self) -> None:
        self._closed.set()

    async def _next_or_closed(self, queue: asyncio.Queue[Any]) -> tuple[bool, Any]:
        """The next item of ``queue``, or (False, None) once ``close()`` is called first."""
        getter = asyncio.ensure_future(queue.get())
        closer = asyncio.ensure_future(self._closed.wait())
        done, _ = await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            return False, None
        closer.cancel()
        return True, getter.result()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def status(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "connected": self.connected,
            "reconnects": self.reconnects,
            "received": self.received,
            "last_error": self.last_error,
        }


async def pump(source: ChatSource, on_message: Callable[[ChatMessage], object]) -> None:
    """Feed every message of ``source`` to ``on_message`` (e.g. ``Inbox.offer``) until the source closes.

    A failing handler is logged and skipped: one bad message never stops the chat.
    """
    async for message in source.messages():
        try:
            on_message(message)
        except Exception:
            log.exception("chat handler failed on a %s message", message.platform)
