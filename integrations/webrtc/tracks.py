"""aiortc tracks fed by one viewer's ``Subscription``: the Stage sets the pace, not a timer.

Timestamps come from the Stage clock (frame index, audio sample), rebased to the viewer's first
frame, so the browser sees the Stage's own timing, gaps included.
"""

from __future__ import annotations

import fractions

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from integrations.webrtc.fanout import Subscription

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000
AUDIO_PTIME = 0.020  # one Opus frame; aiortc sends every encoder call with one RTP timestamp


class StageVideoTrack(MediaStreamTrack):
    """Video frames from the Stage, RGB in, 90 kHz timestamps out."""

    kind = "video"

    def __init__(self, sub: Subscription, fps: int) -> None:
        super().__init__()
        self._sub, self._fps = sub, fps
        self._first: int | None = None
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._sub.next_video()
        if frame is None:
            self.stop()
            raise MediaStreamError
        if self._first is None:
            self._first = frame.index
        out = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame.image), format="rgb24")
        out.pts = (frame.index - self._first) * VIDEO_CLOCK // self._fps
        out.time_base = self._time_base
        return out


class StageAudioTrack(MediaStreamTrack):
    """The Stage's float mono audio, re-cut into 20 ms s16 frames for Opus."""

    kind = "audio"

    def __init__(self, sub: Subscription) -> None:
        super().__init__()
        self._sub = sub
        self._samples = int(AUDIO_RATE * AUDIO_PTIME)
        self._buf = np.zeros(0, np.int16)
        self._buf_start = 0  # Stage sample of _buf[0]
        self._first: int | None = None
        self._time_base = fractions.Fraction(1, AUDIO_RATE)

    def _append(self, start: int, sample_rate: int, pcm: np.ndarray) -> None:
        if sample_rate != AUDIO_RATE:  # the Stage runs at 48 kHz; convert the clock if it ever does not
            n = max(1, round(len(pcm) * AUDIO_RATE / sample_rate))
            pcm = np.interp(np.arange(n) * sample_rate / AUDIO_RATE, np.arange(len(pcm)), pcm)
            start = round(start * AUDIO_RATE / sample_rate)
        data = (np.clip(pcm, -1.0, 1.0) * 32767).astype(np.int16)
        if self._first is None:
            self._first = self._buf_start = start
        expected = self._buf_start + len(self._buf)
        if start != expected:  # chunks were dropped (or the clock jumped): restart the frame there
            self._buf, self._buf_start = np.zeros(0, np.int16), start
        self._buf = np.concatenate([self._buf, data]) if len(self._buf) else data

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        while len(self._buf) < self._samples:
            chunk = await self._sub.next_audio()
            if chunk is None:
                self.stop()
                raise MediaStreamError
            self._append(chunk.start, chunk.sample_rate, np.asarray(chunk.pcm, np.float32).reshape(-1))
        data, self._buf = self._buf[: self._samples], self._buf[self._samples :]
        frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        assert self._first is not None
        frame.pts = self._buf_start - self._first
        frame.time_base = self._time_base
        self._buf_start += self._samples
        return frame
