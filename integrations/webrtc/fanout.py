"""One Stage, many viewers: every viewer gets its own small drop-oldest queues.

The fan-out is a ``Sink``: the Stage's runner hands it each tick and it copies references into
every subscriber's queues without ever waiting.  A viewer whose encoder or network falls behind
loses its own oldest frames (counted); nobody else notices.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque

from integrations.outputs.base import Sink
from pipeline.frames import AudioChunk, MediaTick, VideoFrame


class Subscription:
    """One viewer's view of the Stage: the newest few video frames and a bounded run of audio."""

    def __init__(self, ident: int, video_slots: int = 2, audio_chunks: int = 15) -> None:
        self.id = ident
        self._video: deque[VideoFrame] = deque(maxlen=video_slots)
        self._audio: deque[AudioChunk] = deque(maxlen=audio_chunks)
        self._video_ready = asyncio.Event()
        self._audio_ready = asyncio.Event()
        self.closed = False
        self.dropped_video = 0
        self.dropped_audio = 0
        self.delivered_video = 0
        self.delivered_audio = 0

    def put(self, tick: MediaTick) -> None:
        """Queue one tick's picture and sound; drops this viewer's oldest when it is behind."""
        if self.closed:
            return
        if len(self._video) == self._video.maxlen:
            self.dropped_video += 1
        self._video.append(tick.video)
        if len(self._audio) == self._audio.maxlen:
            self.dropped_audio += 1
        self._audio.append(tick.audio)
        self._video_ready.set()
        self._audio_ready.set()

    def flush_audio(self) -> None:
        """Interrupt: audio not yet handed to the encoder is not worth sending."""
        self._audio.clear()

    async def next_video(self) -> VideoFrame | None:
        """The oldest queued frame, waiting for one; None once closed."""
        while not self._video:
            if self.closed:
                return None
            self._video_ready.clear()
            await self._video_ready.wait()
        self.delivered_video += 1
        return self._video.popleft()

    async def next_audio(self) -> AudioChunk | None:
        """The oldest queued audio chunk, waiting for one; None once closed."""
        while not self._audio:
            if self.closed:
                return None
            self._audio_ready.clear()
            await self._audio_ready.wait()
        self.delivered_audio += 1
        return self._audio.popleft()

    def close(self) -> None:
        self.closed = True
        self._video.clear()
        self._audio.clear()
        self._video_ready.set()
        self._audio_ready.set()


class MediaFanout(Sink):
    """The WebRTC output as the Stage sees it: one sink that feeds any number of viewers."""

    name = "webrtc"

    def __init__(self, fps: int, video_slots: int = 2, audio_s: float = 0.5) -> None:
        self.fps = fps
        self._video_slots = video_slots
        self._audio_chunks = max(2, round(audio_s * fps))
        self._subs: dict[int, Subscription] = {}
        self._ids = itertools.count(1)
        self.ticks = 0
        self.last: MediaTick | None = None

    @property
    def subscribers(self) -> list[Subscription]:
        return list(self._subs.values())

    def subscribe(self) -> Subscription:
        sub = Subscription(next(self._ids), self._video_slots, self._audio_chunks)
        self._subs[sub.id] = sub
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.pop(sub.id, None)
        sub.close()

    async def write(self, tick: MediaTick) -> None:
        self.ticks += 1
        self.last = tick
        for sub in list(self._subs.values()):
            sub.put(tick)

    def flush(self) -> None:
        for sub in list(self._subs.values()):
            sub.flush_audio()

    async def close(self) -> None:
        """The Stage stopped: end every viewer's tracks."""
        for sub in list(self._subs.values()):
            self.unsubscribe(sub)
