"""Synthetic Stage output for sink tests: a known picture and a known sound, tick by tick."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import numpy as np

from pipeline.frames import AudioChunk, MediaTick, VideoFrame

SR = 48000


def tone_with_bursts(seconds: float, seed: int = 0, lead_in: float = 0.0) -> np.ndarray:
    """A 440 Hz tone with noise bursts every 0.25 s: unique under cross-correlation, so a lost or
    repeated stretch shows up as a misalignment."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    sig = 0.3 * np.sin(2 * np.pi * 440 * t)
    rng = np.random.default_rng(seed)
    for start in range(0, n, SR // 4):
        sig[start : start + 2400] += 0.2 * rng.standard_normal(min(2400, n - start))
    sig = np.clip(sig, -1, 1).astype(np.float32)
    return np.concatenate([np.zeros(int(lead_in * SR), np.float32), sig])


def pattern(index: int, width: int, height: int) -> np.ndarray:
    """Left half pure red, right half pure blue, a white bar whose length moves with ``index``."""
    img = np.zeros((height, width, 3), np.uint8)
    img[:, : width // 2] = (255, 0, 0)
    img[:, width // 2 :] = (0, 0, 255)
    img[: max(2, height // 45), : (index * 8) % width] = 255
    return img


def ticks(
    audio: np.ndarray, fps: int, width: int, height: int, first_index: int = 0
) -> Iterator[MediaTick]:
    """Cut ``audio`` into Stage ticks (``SR / fps`` samples each) with the test pattern as picture."""
    per = SR // fps
    for k in range(len(audio) // per):
        i = first_index + k
        yield MediaTick(
            video=VideoFrame(index=i, pts=i / fps, image=pattern(i, width, height)),
            audio=AudioChunk(start=i * per, sample_rate=SR, pcm=audio[k * per : (k + 1) * per]),
        )


async def paced(source: Iterator[MediaTick], fps: int) -> AsyncIterator[MediaTick]:
    """Yield ticks at the Stage's real-time rate (absolute deadlines, so no drift)."""
    t0 = time.monotonic()
    for k, tick in enumerate(source):
        delay = t0 + k / fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield tick


def align(recorded: np.ndarray, reference: np.ndarray) -> tuple[int, np.ndarray]:
    """Lag of ``reference`` inside ``recorded`` (FFT cross-correlation) and the aligned segment."""
    n = len(recorded) + len(reference)
    c = np.fft.irfft(np.fft.rfft(recorded, n) * np.conj(np.fft.rfft(reference, n)), n)
    lag = int(np.argmax(c[: len(recorded)]))
    return lag, recorded[lag : lag + len(reference)]
