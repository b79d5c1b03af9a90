"""The in-process preview: the latest frame and a ring of recent audio, for the page and WebRTC.

Readers never block the Stage: they read the newest frame (or wait for the next one) and copy
audio out of the ring by absolute Stage sample position.
"""

from __future__ import annotations

import asyncio
import contextlib

import numpy as np

from integrations.outputs.base import Sink
from pipeline.frames import MediaTick, VideoFrame


class AudioRing:
    """The last ``capacity`` samples of Stage audio, addressed by absolute sample index."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._buf = np.zeros(capacity, dtype=np.float32)
        self.end = 0  # absolute index one past the newest sample

    def write(self, start: int, pcm: np.ndarray) -> None:
        if start != self.end:
            self.end = start  # a gap (flush or restart): continue from the new position
        n = pcm.size
        if n >= self.capacity:
            pcm, start = pcm[-self.capacity :], start + n - self.capacity
            n = self.capacity
        pos = start % self.capacity
        first = min(n, self.capacity - pos)
        self._buf[pos : pos + first] = pcm[:first]
        self._buf[: n - first] = pcm[first:]
        self.end = start + n

    @property
    def start(self) -> int:
        return max(0, self.end - self.capacity)

    def read(self, start: int, count: int) -> np.ndarray:
        """Samples ``start .. start+count``; what fell out of the ring or is not here yet is silence."""
        out = np.zeros(count, dtype=np.float32)
        lo, hi = max(start, self.start), min(start + count, self.end)
        if lo >= hi:
            return out
        pos, n = lo % self.capacity, hi - lo
        first = min(n, self.capacity - pos)
        out[lo - start : lo - start + first] = self._buf[pos : pos + first]
        out[lo - start + first : lo - start + n] = self._buf[: n - first]
        return out


class PreviewSink(Sink):
    """Keeps the newest frame and ``seconds`` of audio; wakes waiters on every tick."""

    name = "preview"

    def __init__(self, sample_rate: int = 48_000, seconds: float = 2.0) -> None:
        self.sample_rate = sample_rate
        self.audio = AudioRing(int(sample_rate * seconds))
        self.latest: VideoFrame | None = None
        self.speaking = False
        self._new = asyncio.Condition()

    async def write(self, tick: MediaTick) -> None:
        self.audio.write(tick.audio.start, tick.audio.pcm)
        self.latest = tick.video
        self.speaking = tick.speaking
        async with self._new:
            self._new.notify_all()

    async def next_frame(self, after: int = -1, timeout: float = 1.0) -> VideoFrame | None:
        """The first frame with index > ``after`` (waiting up to ``timeout``), or the latest one."""
        if self.latest is not None and self.latest.index > after:
            return self.latest
        async with self._new:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._new.wait_for(lambda: self.latest is not None and self.latest.index > after), timeout
                )
        return self.latest
