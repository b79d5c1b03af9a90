"""Microphone capture: a sounddevice input stream from a named device, as 16 kHz mono float32 blocks.

The audio callback only copies the block and its capture time into a bounded, thread-safe queue
(oldest dropped when the reader falls behind); resampling and mixing down happen on the reader's
side.  Devices that cannot open at 16 kHz are opened at their own rate and resampled.
``ArraySource`` feeds recorded audio through the same interface (files, benchmarks).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """Mono float32 samples at 16 kHz; ``at``: monotonic time the first sample was captured."""

    samples: np.ndarray
    at: float


class FrameSource(Protocol):
    """Where the listener gets audio from."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def read(self, timeout: float) -> AudioBlock | None:
        """The next block, or None after ``timeout`` seconds without one (or when finished)."""
        ...


def find_input_device(device: str | int | None) -> tuple[int | None, str, float]:
    """(index, name, default sample rate) of an input device by name (substring) or index."""
    import sounddevice as sd

    info = sd.query_devices(device, kind="input")
    return int(info["index"]), str(info["name"]), float(info["default_samplerate"])


class MicCapture:
    """Capture from an input device; ``read`` returns 16 kHz mono blocks."""

    def __init__(
        self,
        device: str | int | None = None,
        *,
        block_ms: int = 32,
        max_queue_s: float = 5.0,
        channels: int = 1,
    ) -> None:
        self.device = device
        self.block_ms = block_ms
        self.channels = channels
        size = max(4, int(max_queue_s * 1000 / block_ms))
        self._queue: queue.Queue[tuple[np.ndarray, float]] = queue.Queue(maxsize=size)
        self._stream = None
        self._resampler = None
        self.rate = SAMPLE_RATE
        self.device_name = ""
        self.dropped = 0
        self.overflows = 0
        self._lock = threading.Lock()
        self._origin: float | None = None  # monotonic time of the stream's first sample
        self._counted = 0  # samples delivered so far

    def start(self) -> None:
        import sounddevice as sd

        index, self.device_name, default_rate = find_input_device(self.device)
        last_error: Exception | None = None
        for rate in (SAMPLE_RATE, default_rate, 48000.0, 44100.0):
            try:
                stream = sd.InputStream(
                    device=index,
                    samplerate=rate,
                    channels=self.channels,
                    dtype="float32",
                    blocksize=int(rate * self.block_ms / 1000),
                    callback=self._callback,
                )
            except sd.PortAudioError as exc:
                last_error = exc
                continue
            self.rate = int(rate)
            if self.rate != SAMPLE_RATE:
                import soxr

                self._resampler = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="float32")
            self._stream = stream
            stream.start()
            return
        raise OSError(f"cannot open input device {self.device_name!r}: {last_error}")

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()

    def _callback(self, indata: np.ndarray, frames: int, time_info: object, status: object) -> None:
        now = time.monotonic()
        if status:
            self.overflows += 1
            self._origin = None  # samples were lost: the count no longer tells the time
        # Blocks often arrive in bursts, late but never early: the stream's start time is the
        # earliest one consistent with every callback so far (allowed to creep forward by 200 ppm
        # for clock drift), and a block's time is counted in samples from it.
        earliest = now - (self._counted + frames) / self.rate
        if self._origin is None:
            self._origin = earliest
        else:
            self._origin = min(self._origin + 2e-4 * frames / self.rate, earliest)
        at = self._origin + self._counted / self.rate
        self._counted += frames
        block = indata.mean(axis=1) if indata.shape[1] > 1 else indata[:, 0].copy()
        try:
            self._queue.put_nowait((block, at))
        except queue.Full:
            with self._lock:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass
                self._queue.put_nowait((block, at))

    def read(self, timeout: float) -> AudioBlock | None:
        try:
            block, at = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if self._resampler is not None:
            block = self._resampler.resample_chunk(block)
        return AudioBlock(np.ascontiguousarray(block, np.float32), at)


class ArraySource:
    """Recorded 16 kHz audio as a ``FrameSource``; ``realtime`` paces blocks like a live microphone."""

    def __init__(self, audio: np.ndarray, *, block: int = 512, realtime: bool = False, start_at: float | None = None):
        self.audio = np.asarray(audio, np.float32).reshape(-1)
        self.block = block
        self.realtime = realtime
        self._pos = 0
        self._t0 = start_at
        self.finished = threading.Event()

    def start(self) -> None:
        if self._t0 is None:
            self._t0 = time.monotonic()

    def stop(self) -> None:
        self._pos = self.audio.size

    def read(self, timeout: float) -> AudioBlock | None:
        if self._t0 is None:
            self.start()
        assert self._t0 is not None
        if self._pos >= self.audio.size:
            self.finished.set()
            time.sleep(min(timeout, 0.01))
            return None
        chunk = self.audio[self._pos : self._pos + self.block]
        at = self._t0 + self._pos / SAMPLE_RATE
        if self.realtime:
            delay = at + chunk.size / SAMPLE_RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self._pos += chunk.size
        if chunk.size < self.block:
            chunk = np.pad(chunk, (0, self.block - chunk.size))
        return AudioBlock(chunk, at)
