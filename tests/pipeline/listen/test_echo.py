"""Echo guard: the avatar's voice coming back through a room is echo; the host talking is not."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.listen.echo import EchoGuard

from .conftest import SR, espeak, speak

T0 = 500.0


@pytest.fixture(scope="module")
def voices(tts) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    avatar = speak(tts, "Thanks for the follow! Today we are looking at the new phone with a bigger battery.")
    host = espeak("Wait, can you tell me how much the phone costs please?", "en-us")
    return avatar, host


def room(x: np.ndarray, delay_ms: float = 120, gain: float = 0.4, seed: int = 0) -> np.ndarray:
    """Speaker-to-microphone path: delay, gain and a reverberant tail as loud as the direct sound."""
    rng = np.random.default_rng(seed)
    ir = rng.normal(0, 1, int(0.25 * SR)) * np.exp(-np.arange(int(0.25 * SR)) / (0.05 * SR)) * 0.05
    ir[0] = 1.0
    y = np.convolve(x, ir)[: x.size] * gain
    d = int(delay_ms * SR / 1000)
    return np.concatenate([np.zeros(d), y])[: x.size].astype(np.float32)


def checks(guard: EchoGuard, mic: np.ndarray, t0: float) -> list[float]:
    out = []
    for end in np.arange(1.0, min(mic.size / SR, 4.0), 0.5):
        n = int(end * SR)
        out.append(guard.check(mic[n - SR : n], t0 + end).explained)
    return out


def test_leaked_playback_is_echo(voices: tuple[np.ndarray, np.ndarray]) -> None:
    avatar, _ = voices
    guard = EchoGuard(clock=lambda: T0)
    guard.feed_playback(avatar, SR, at=T0)
    for delay in (40, 120, 350):
        mic = room(avatar, delay_ms=delay) + np.random.default_rng(2).normal(0, 0.002, avatar.size).astype(np.float32)
        scores = checks(guard, mic, T0)
        assert min(scores) >= guard.threshold, (delay, scores)
        found = guard.check(mic[SR : 2 * SR], T0 + 2.0)
        assert abs(found.delay_ms - delay) <= 24


def test_host_talking_over_the_avatar_is_not_echo(voices: tuple[np.ndarray, np.ndarray]) -> None:
    avatar, host = voices
    guard = EchoGuard(clock=lambda: T0)
    guard.feed_playback(avatar, SR, at=T0)
    n = min(avatar.size, host.size)
    mic = room(avatar)[:n] + host[:n]
    scores = checks(guard, mic, T0)
    assert max(scores) < guard.threshold, scores


def test_no_playback_means_no_echo(voices: tuple[np.ndarray, np.ndarray]) -> None:
    _, host = voices
    guard = EchoGuard(clock=lambda: T0)
    assert not guard.check(host[:SR], T0).playback
    guard.feed_playback(host[:SR], SR, at=T0)
    late = guard.check(host[SR : 2 * SR], T0 + 30.0)  # long after the playback ended
    assert not late.playback and not late.is_echo(guard.threshold)


def test_playing_and_stop(voices: tuple[np.ndarray, np.ndarray]) -> None:
    avatar, _ = voices
    guard = EchoGuard(clock=lambda: T0)
    guard.feed_playback(avatar, SR, at=T0)
    dur = avatar.size / SR
    assert guard.playing(T0 + 1.0)
    assert not guard.playing(T0 + dur + 1.0)
    guard.stop_playback(at=T0 + 1.5)  # barge-in: the rest was never played
    assert guard.playing(T0 + 1.4) and not guard.playing(T0 + 2.5)


def test_feeds_at_other_rates_and_gaps_keep_time(voices: tuple[np.ndarray, np.ndarray]) -> None:
    from pipeline.voice.resample import resample

    avatar, _ = voices
    guard = EchoGuard(clock=lambda: T0)
    guard.feed_playback(resample(avatar[:SR], SR, 48000), 48000, at=T0)
    guard.feed_playback(resample(avatar[SR : 2 * SR], SR, 48000), 48000, at=T0 + 3.0)  # 2 s of silence between
    assert guard.playing(T0 + 0.9) and not guard.playing(T0 + 2.5) and guard.playing(T0 + 3.9)
    mic = room(avatar[SR : 2 * SR], delay_ms=100)
    assert guard.check(mic, T0 + 4.0).is_echo(guard.threshold)
