"""The sink contract and the runner that keeps a slow or failing sink from touching anyone else.

Every enabled sink gets its own bounded queue.  The Stage never waits on a sink: when a queue is
full its oldest tick is dropped (and counted).  A sink that raises is closed, and reopened with
exponential backoff while its queue keeps dropping, so the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

from pipeline.frames import MediaTick

log = logging.getLogger(__name__)


class Sink(ABC):
    """One output.  ``write`` is awaited once per Stage tick, in order; heavy work goes to a thread."""

    name: str = "sink"

    async def open(self) -> None:  # noqa: B027  (optional hook)
        """Acquire the device, file or connection.  Raise to have the runner retry later."""

    @abstractmethod
    async def write(self, tick: MediaTick) -> None:
        """Consume one tick (a video frame and its audio)."""

    async def close(self) -> None:  # noqa: B027  (optional hook)
        """Release everything; must not raise and must finalise files."""

    def flush(self) -> None:  # noqa: B027  (optional hook)
        """Interrupt: drop any media buffered inside the sink that has not gone out yet."""


@dataclass(slots=True)
class SinkStats:
    """Counters the status API and metrics read."""

    written: int = 0
    dropped: int = 0
    failures: int = 0
    reopens: int = 0
    last_error: str | None = None
    up: bool = False


class SinkRunner:
    """Feeds one sink from a bounded drop-oldest queue, reopening it with backoff after failures."""

    def __init__(
        self,
        sink: Sink,
        queue_size: int = 8,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
    ) -> None:
        self.sink = sink
        self.stats = SinkStats()
        self._queue: asyncio.Queue[MediaTick | None] = asyncio.Queue(maxsize=queue_size)
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.sink.name

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"sink:{self.name}")

    def offer(self, tick: MediaTick) -> None:
        """Queue a tick without waiting; drops the oldest when the sink is behind."""
        while self._queue.full():
            try:
                dropped = self._queue.get_nowait()
            except asyncio.QueueEmpty:  # pragma: no cover - single consumer
                break
            if dropped is not None:
                self.stats.dropped += 1
        self._queue.put_nowait(tick)

    def flush(self) -> None:
        """Drop every queued tick and ask the sink to drop what it buffered (interrupt)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self.sink.flush()

    async def stop(self, timeout: float = 1.5) -> None:
        """Let the sink drain what is queued, then close it (finalising files)."""
        if self._task is None:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)
        if self._queue.full():
            # make room for the end marker: finishing on time beats the last few frames
            self._queue.get_nowait()
            self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await self._close()

    async def _close(self) -> None:
        if self.stats.up:
            self.stats.up = False
            try:
                await self.sink.close()
            except Exception:  # a sink's close must not break shutdown
                log.exception("sink %s failed to close", self.name)

    async def _run(self) -> None:
        delay = self._backoff_initial
        while True:
            if not self.stats.up:
                try:
                    await self.sink.open()
                except Exception as exc:
                    self._note_failure(exc, "open")
                    if await self._sleep_or_stop(delay):
                        return
                    delay = min(delay * 2, self._backoff_max)
                    continue
                self.stats.up = True
                if self.stats.failures:
                    self.stats.reopens += 1
                    log.info("sink %s is back", self.name)
            tick = await self._queue.get()
            if tick is None:
                await self._close()
                return
            try:
                await self.sink.write(tick)
            except Exception as exc:
                self._note_failure(exc, "write")
                await self._close()
                if await self._sleep_or_stop(delay):
                    return
                delay = min(delay * 2, self._backoff_max)
                continue
            self.stats.written += 1
            delay = self._backoff_initial

    def _note_failure(self, exc: BaseException, stage: str) -> None:
        self.stats.failures += 1
        self.stats.last_error = f"{stage}: {exc}"
        log.warning("sink %s failed to %s: %s (retrying)", self.name, stage, exc)

    async def _sleep_or_stop(self, delay: float) -> bool:
        """Wait out a backoff while still draining (dropping) ticks; True when told to stop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while (remaining := deadline - loop.time()) > 0:
            try:
                tick = await asyncio.wait_for(self._queue.get(), remaining)
            except TimeoutError:
                break
            if tick is None:
                return True
            self.stats.dropped += 1
        return False
