"""H.264 + AAC encoding of Stage ticks with PyAV, shared by the RTMP push and the mp4 recorder.

The encoder is synchronous and not thread-safe: a sink runs every call of one encoder in its own
worker thread (see ``EncoderThread``) so the event loop never waits on x264 or on a socket.

Timestamps come from the Stage clock, rebased to the first tick written: video pts is the frame
index, audio pts the sample position.  When ticks were dropped upstream the video simply skips
those frame times and the audio gap is filled with silence, so picture and sound stay in sync.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fractions
import os
from collections.abc import Callable
from typing import Any, TypeVar

import av
import numpy as np

from pipeline.frames import MediaTick

T = TypeVar("T")

AAC_FRAME = 1024
"""Samples per AAC frame (the encoder's fixed frame size)."""

MAX_AUDIO_GAP_S = 2.0
"""A larger jump in the Stage's audio clock is treated as a restart rather than padded with silence."""


class AVEncoder:
    """Encodes ``MediaTick``s into an H.264 + AAC container (a file path or a URL such as rtmp://).

    ``container`` is a path/URL (opened here; ``fmt`` picks the muxer, e.g. ``"flv"``) or an
    already opened PyAV output container.  ``close()`` flushes the encoders and closes it.
    """

    def __init__(
        self,
        container: str | os.PathLike[str] | av.container.OutputContainer,
        width: int,
        height: int,
        fps: int,
        sample_rate: int = 48000,
        video_bitrate: int = 2_500_000,
        audio_bitrate: int = 128_000,
        keyframe_s: float = 2.0,
        *,
        fmt: str | None = None,
        preset: str = "veryfast",
        channels: int = 2,
        container_options: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"H.264 (yuv420p) needs an even frame size, got {width}x{height}")
        self.width, self.height, self.fps = width, height, fps
        self.sample_rate, self.channels = sample_rate, channels
        if isinstance(container, (str, os.PathLike)):
            self._out = av.open(
                os.fspath(container), mode="w", format=fmt, options=container_options or {}, timeout=timeout
            )
        else:
            self._out = container
        try:
            gop = max(1, round(keyframe_s * fps))
            self._video = self._out.add_stream("libx264", rate=fps)
            self._video.width, self._video.height, self._video.pix_fmt = width, height, "yuv420p"
            self._video.bit_rate = int(video_bitrate)
            kbps = max(1, int(video_bitrate) // 1000)
            self._video.options = {
                "preset": preset,
                "tune": "zerolatency",
                "g": str(gop),
                "keyint_min": str(gop),
                "sc_threshold": "0",  # keyframes exactly every keyframe_s: ingest servers expect it
                "maxrate": f"{kbps}k",
                "bufsize": f"{2 * kbps}k",
            }
            self._video.codec_context.time_base = fractions.Fraction(1, fps)
            self._audio = self._out.add_stream("aac", rate=sample_rate)
            self._audio.layout = "stereo" if channels == 2 else "mono"
            self._audio.bit_rate = int(audio_bitrate)
        except Exception:
            self._out.close()
            raise
        self._video_tb = fractions.Fraction(1, fps)
        self._audio_tb = fractions.Fraction(1, sample_rate)
        self._first_index: int | None = None
        self._first_sample: int | None = None
        self._last_pts = -1
        self._pending = np.zeros(0, np.float32)
        self._audio_written = 0  # samples handed to the AAC encoder (rebased)
        self._closed = False
        self.frames = 0
        self.bytes_out = 0

    @property
    def video_frames(self) -> int:
        """Video frames encoded so far."""
        return self.frames

    def start(self) -> None:
        """Open the output and write the header now (for a URL: connect) instead of at the first tick."""
        self._out.start_encoding()

    def encode(self, tick: MediaTick) -> None:
        """Encode one tick's picture and audio and mux the resulting packets."""
        if self._closed:
            raise RuntimeError("encoder is closed")
        self._encode_video(tick)
        self._encode_audio(tick)

    def _encode_video(self, tick: MediaTick) -> None:
        if self._first_index is None:
            self._first_index = tick.video.index
        pts = tick.video.index - self._first_index
        if pts <= self._last_pts:  # a repeated or rewound frame index: keep pts strictly increasing
            pts = self._last_pts + 1
        self._last_pts = pts
        image = np.ascontiguousarray(tick.video.image)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        if image.shape[1] != self.width or image.shape[0] != self.height:
            frame = frame.reformat(width=self.width, height=self.height)
        frame.pts, frame.time_base = pts, self._video_tb
        self._mux(self._video.encode(frame))
        self.frames += 1

    def _encode_audio(self, tick: MediaTick) -> None:
        chunk = tick.audio
        pcm = np.asarray(chunk.pcm, dtype=np.float32).reshape(-1)
        if chunk.sample_rate != self.sample_rate:
            pcm = resample_linear(pcm, chunk.sample_rate, self.sample_rate)
            start = round(chunk.start * self.sample_rate / chunk.sample_rate)
        else:
            start = chunk.start
        if self._first_sample is None:
            self._first_sample = start
        expected = self._audio_written + len(self._pending)
        pos = start - self._first_sample
        if pos > expected:
            gap = pos - expected
            if gap > MAX_AUDIO_GAP_S * self.sample_rate:
                self._first_sample = start - expected  # restart: keep counting from where we are
            else:
                pcm = np.concatenate([np.zeros(gap, np.float32), pcm])
        elif pos < expected:  # overlap with what was already queued: drop the repeated part
            pcm = pcm[min(len(pcm), expected - pos) :]
        self._pending = np.concatenate([self._pending, pcm]) if len(self._pending) else pcm
        while len(self._pending) >= AAC_FRAME:
            self._encode_audio_frame(self._pending[:AAC_FRAME])
            self._pending = self._pending[AAC_FRAME:]

    def _encode_audio_frame(self, mono: np.ndarray) -> None:
        planes = np.clip(mono, -1.0, 1.0).reshape(1, -1)
        if self.channels == 2:
            planes = np.repeat(planes, 2, axis=0)
        layout = "stereo" if self.channels == 2 else "mono"
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planes), format="fltp", layout=layout)
        frame.sample_rate = self.sample_rate
        frame.pts, frame.time_base = self._audio_written, self._audio_tb
        self._audio_written += planes.shape[1]
        self._mux(self._audio.encode(frame))

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self.bytes_out += packet.size
            self._out.mux(packet)

    def close(self) -> None:
        """Flush both encoders and finalise the container; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            if len(self._pending):
                tail = np.zeros(AAC_FRAME, np.float32)
                tail[: len(self._pending)] = self._pending
                self._pending = np.zeros(0, np.float32)
                self._encode_audio_frame(tail)
            self._mux(self._video.encode(None))
            self._mux(self._audio.encode(None))
        finally:
            self._out.close()

    def abort(self) -> None:
        """Close without flushing (the connection is already broken)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):  # the transport is gone; nothing more to report
            self._out.close()


def resample_linear(pcm: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear-interpolation resampling: good enough for speech when rates differ slightly."""
    if src_rate == dst_rate or len(pcm) == 0:
        return pcm.astype(np.float32, copy=False)
    n_out = max(1, round(len(pcm) * dst_rate / src_rate))
    x = np.arange(n_out, dtype=np.float64) * (src_rate / dst_rate)
    return np.interp(x, np.arange(len(pcm)), pcm).astype(np.float32)


class EncoderThread:
    """One dedicated worker thread per sink: FFmpeg objects stay on one thread, calls run in order,
    and the shared default executor (used by model calls) is never tied up by encoding."""

    def __init__(self, name: str) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the worker thread and await its result."""
        return await self.submit(fn, *args)

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue ``fn(*args)`` on the worker thread now; the returned future can be awaited later."""
        return asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def shutdown(self) -> None:
        """Stop the worker once queued calls finish (does not wait)."""
        self._pool.shutdown(wait=False, cancel_futures=False)
