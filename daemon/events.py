"""A tiny publish/subscribe hub for live events (speech, subtitles, emotions, moderation, state).

Subscribers get their own bounded queue; a slow subscriber loses its oldest events, never blocks
the publisher.  The control API's WebSocket and the OBS bridge both listen here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """One live event: a ``kind`` (e.g. ``speech.start``, ``subtitle``, ``emotion``) and its data."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        """The event for the WebSocket; a data field named like ours is kept under ``data_``."""
        out: dict[str, Any] = {f"{k}_" if k in ("kind", "at") else k: v for k, v in self.data.items()}
        return {"kind": self.kind, "at": self.at, **out}


class Subscription:
    """An async iterator over events, with drop-oldest overflow."""

    def __init__(self, bus: EventBus, size: int) -> None:
        self._bus = bus
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def put(self, event: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()


class EventBus:
    """Fan-out of events to every subscriber; publish is synchronous and never waits."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()

    def subscribe(self, size: int = 256) -> Subscription:
        sub = Subscription(self, size)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(self, kind: str, /, **data: Any) -> Event:
        event = Event(kind, data)
        for sub in list(self._subs):
            sub.put(event)
        return event
