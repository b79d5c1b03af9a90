"""The audio device sink playing into a real PulseAudio null sink, recorded back from its monitor."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable

import numpy as np
import pytest

from integrations.outputs.audio_device import (
    AudioDeviceSink,
    AudioDeviceUnavailable,
    JitterBuffer,
    StreamResampler,
    probe_audio_device,
)
from tests.integrations.outputs.media import SR, align, paced, ticks, tone_with_bursts

FPS, W, H = 30, 32, 24
SINK = "moodcam_voice"


def _read_left(path) -> np.ndarray:  # type: ignore[no-untyped-def]
    raw = np.fromfile(path, np.float32)
    return raw[0::2]


async def _running(sink: AudioDeviceSink) -> None:
    """Wait until the device pulls audio at its steady rate (a fresh PulseAudio null sink can take
    up to about 2 s to start asking for data)."""
    await _steady(lambda: sink.device_frames, "the audio device")


async def _steady(frames: Callable[[], int], what: str) -> None:
    """Wait for two consecutive 0.2 s windows in which ``frames()`` advanced at about real time."""
    deadline, good = time.monotonic() + 8, 0
    while time.monotonic() < deadline and good < 2:
        before = frames()
        await asyncio.sleep(0.2)
        good = good + 1 if frames() - before >= SR * 0.2 * 0.8 else 0
    assert good >= 2, f"{what} never reached a steady rate"


async def _recording(pulse, source: str, path) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    proc = pulse.record(source, path)
    await _steady(lambda: path.stat().st_size // 8 if path.exists() else 0, f"parec {source}")
    return proc


async def _play(sink: AudioDeviceSink, audio: np.ndarray) -> None:
    async for tick in paced(ticks(audio, FPS, W, H), FPS):
        await sink.write(tick)


async def test_voice_reaches_the_named_sink_intact(pulse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    signal = tone_with_bursts(2.0, seed=1)
    audio = np.concatenate([np.zeros(SR // 2, np.float32), signal, np.zeros(SR // 2, np.float32)])
    sink = AudioDeviceSink(device=SINK, latency_ms=100)
    rec_path = tmp_path / "rec.raw"
    recorder = await _recording(pulse, f"{SINK}.monitor", rec_path)
    other = await _recording(pulse, "other_sink.monitor", tmp_path / "other.raw")
    await sink.open()
    await _running(sink)
    try:
        await _play(sink, audio)
        await asyncio.sleep(0.4)
    finally:
        await sink.close()
        for proc in (recorder, other):
            proc.terminate()
            proc.wait()
    assert sink.target is not None and sink.target.pulse_sink == SINK
    recorded = _read_left(rec_path)
    _lag, segment = align(recorded, signal)
    assert len(segment) == len(signal), "the whole signal was recorded"
    error = np.abs(segment - signal)
    assert error.max() < 2e-3, f"samples differ after alignment (max {error.max():.4f}): a gap or a skip"
    # the default sink heard nothing: the stream went to the sink named in the profile
    assert np.abs(_read_left(tmp_path / "other.raw")).max() < 1e-4
    assert sink.stats["trimmed_samples"] == 0


async def test_underflow_plays_silence_and_is_counted(pulse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sink = AudioDeviceSink(device=SINK, latency_ms=60)
    rec_path = tmp_path / "rec.raw"
    recorder = await _recording(pulse, f"{SINK}.monitor", rec_path)
    await sink.open()
    await _running(sink)
    try:
        tone = tone_with_bursts(0.5, seed=2)
        await _play(sink, tone)
        before = sink.stats["underflows"]
        await asyncio.sleep(0.6)  # the Stage stalls: the device keeps running on silence
        assert sink.stats["underflows"] > before
        assert sink.stats["underflow_samples"] > SR * 0.3
        await _play(sink, tone)  # and picks up again
        await asyncio.sleep(0.3)
    finally:
        await sink.close()
        recorder.terminate()
        recorder.wait()
    recorded = _read_left(rec_path)
    loud = np.abs(recorded) > 0.05
    assert loud.sum() > SR * 0.6, "both bursts of tone were played"
    # between the two bursts there is a stretch of true silence at least 0.4 s long
    quiet = np.flatnonzero(loud)
    assert np.diff(quiet).max() > SR * 0.4


async def test_flush_drops_what_was_buffered(pulse, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sink = AudioDeviceSink(device=SINK, latency_ms=200, max_extra_ms=900)
    rec_path = tmp_path / "rec.raw"
    recorder = await _recording(pulse, f"{SINK}.monitor", rec_path)
    await sink.open()
    await _running(sink)
    try:
        await asyncio.sleep(0.2)
        for tick in ticks(tone_with_bursts(1.0, seed=3), FPS, W, H):  # a second of speech arrives at once
            await sink.write(tick)
        await asyncio.sleep(0.3)
        sink.flush()  # interrupt
        assert sink.stats["level"] == 0
        t_flush = time.monotonic()
        await asyncio.sleep(0.6)
    finally:
        await sink.close()
        recorder.terminate()
        recorder.wait()
    recorded = _read_left(rec_path)
    played = int((np.abs(recorded) > 0.05).sum())
    assert 0 < played < SR * 0.6, f"{played / SR:.2f} s played: the flushed rest must not be heard"
    assert time.monotonic() - t_flush >= 0.6


def test_probe(pulse) -> None:  # type: ignore[no-untyped-def]
    ok, message = probe_audio_device(SINK)
    assert ok and SINK in message
    ok, message = probe_audio_device("no_such_device_here")
    assert not ok and "module-null-sink" in message


async def test_missing_device_fails_open(pulse) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AudioDeviceUnavailable, match="no_such_device"):
        await AudioDeviceSink(device="no_such_device").open()


def test_jitter_buffer_primes_underflows_and_trims() -> None:
    buf = JitterBuffer(target=100, limit=400)
    buf.push(np.ones(50, np.float32))
    assert not buf.pull(10).any(), "silent until the target level is reached"
    buf.push(np.arange(50, 150, dtype=np.float32))
    first = buf.pull(60)
    assert first[0] == 1 and buf.underflows == 0
    rest = buf.pull(100)
    assert buf.underflows == 1 and buf.underflow_samples == 10
    assert rest[89] == 149 and not rest[90:].any()
    buf.pull(30)  # still starving (below the target again): counted as underflow too
    assert buf.underflows == 1 and buf.underflow_samples == 40
    buf.push(np.arange(500, dtype=np.float32))  # more than the limit: keep only the newest
    assert buf.level == 250 and buf.trimmed_samples == 250
    assert buf.pull(1)[0] == 250
    buf.clear()
    assert buf.level == 0 and not buf.pull(5).any()


def test_jitter_buffer_wraps_around() -> None:
    buf = JitterBuffer(target=10, limit=64)
    sent, got = np.arange(1000, dtype=np.float32), []
    for k in range(0, 1000, 25):
        buf.push(sent[k : k + 25])
        got.append(buf.pull(25))
    out = np.concatenate(got)
    start = int(np.flatnonzero(out)[0])
    assert np.array_equal(out[start:], sent[1 : len(out) - start + 1])


def test_stream_resampler_is_seamless() -> None:
    t = np.arange(SR) / SR
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    rs = StreamResampler(48000, 44100)
    out = np.concatenate([rs.process(tone[k : k + 1600]) for k in range(0, SR, 1600)])
    assert abs(len(out) - 44100) <= 1
    expected = np.sin(2 * np.pi * 440 * np.arange(len(out)) / 44100)
    assert np.abs(out - expected).max() < 0.01


def test_jitter_buffer_drops_a_standing_backlog_of_silence_only() -> None:
    """A device that starts late leaves a backlog; it goes where it is silent, never inside sound."""
    buf = JitterBuffer(target=100, limit=1000, window=200, slack=20)
    buf.push(np.zeros(600, np.float32))  # queued while the device was not pulling yet
    buf.push(np.full(300, 0.5, np.float32))  # a word right behind it
    played = []
    for _ in range(30):  # steady state: what is pushed is pulled
        buf.push(np.zeros(50, np.float32))
        played.append(buf.pull(50))
    assert buf.level <= 100 + 50 + 20, f"backlog kept: level {buf.level}"
    assert buf.trimmed_samples >= 600
    out = np.concatenate(played)
    word = np.flatnonzero(out == 0.5)
    assert len(word) == 300 and word[-1] - word[0] == 299, "the word was cut"
    assert word[0] <= 200, "the silence before the word was not dropped (one window in)"

    loud = JitterBuffer(target=100, limit=1000, window=200, slack=20)
    loud.push(np.full(700, 0.5, np.float32))
    for _ in range(8):
        loud.push(np.full(50, 0.5, np.float32))
        loud.pull(50)
    assert loud.trimmed_samples == 0, "sound was dropped"
    assert loud.level == 700
