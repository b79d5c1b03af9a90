"""Lip sync in real speech, for the live benchmark: mouth motion against the voice's loudness.

A long run cannot keep every picture, so each frame is reduced at once to one number: how far
the mouth region is from the face's resting look (luma, mean absolute difference).  The voice
is reduced to its loudness every 5 ms.  For each stretch of speech the two are cross-correlated
(slow motion such as head sway and breathing filtered out) and the best lag, refined between
1 ms steps, is the A/V offset of that stretch: negative when the mouth moves first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from tests.integrations import avsync

BLOCK_S = 0.005


@dataclass
class MouthMeter:
    """Turns video frames into mouth-motion numbers; the first ``warmup`` frames set the rest look."""

    box: tuple[slice, slice]
    warmup: int = 45
    _early: list[np.ndarray] = field(default_factory=list)
    _rest: np.ndarray | None = None

    def crop(self, frame: av.VideoFrame) -> np.ndarray:
        return frame.to_ndarray(format="gray")[self.box].astype(np.float32)

    def __call__(self, frame: av.VideoFrame) -> float | np.ndarray:
        """A number once the rest look is known; until then the crop, resolved by ``values``."""
        crop = self.crop(frame)
        if self._rest is None:
            self._early.append(crop)
            if len(self._early) >= self.warmup:
                self._rest = np.median(np.stack(self._early), axis=0)
            return crop
        return float(np.abs(crop - self._rest).mean())

    def values(self, kept: list[float | np.ndarray]) -> np.ndarray:
        assert self._rest is not None, "too few frames to know the rest look"
        rest = self._rest
        return np.array([v if isinstance(v, float) else float(np.abs(v - rest).mean()) for v in kept])


def loudness(pcm: np.ndarray, rate: int) -> np.ndarray:
    """RMS of each 5 ms block."""
    n = round(BLOCK_S * rate)
    x = np.asarray(pcm, np.float64).reshape(-1)
    x = x[: len(x) // n * n].reshape(-1, n)
    return np.sqrt((x * x).mean(axis=1))


def loudness_of_frame(frame: av.AudioFrame) -> np.ndarray:
    """What a long run keeps of each received audio frame: its 5 ms loudness values."""
    pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0].astype(np.float32) / 32768
    return loudness(pcm, frame.sample_rate)


def speech_runs(t: np.ndarray, env: np.ndarray, min_s: float = 0.8, join_s: float = 0.35) -> list[tuple[float, float]]:
    """Stretches where the voice is on (pauses shorter than ``join_s`` do not split a stretch)."""
    if env.size == 0 or env.max() <= 0:
        return []
    on = np.flatnonzero(env > 0.1 * np.percentile(env, 99))
    if on.size == 0:
        return []
    runs = np.split(on, np.flatnonzero(np.diff(t[on]) > join_s) + 1)
    return [(float(t[r[0]]), float(t[r[-1]])) for r in runs if t[r[-1]] - t[r[0]] >= min_s]


def _highpass(t: np.ndarray, y: np.ndarray, window_s: float = 0.6) -> np.ndarray:
    step = float(np.median(np.diff(t)))
    k = max(3, round(window_s / step) | 1)
    pad = np.pad(y, k // 2, mode="edge")
    slow = np.convolve(pad, np.ones(k) / k, mode="valid")
    return y - slow


def lag_ms(
    t_env: np.ndarray, env: np.ndarray, t_mouth: np.ndarray, mouth: np.ndarray, span: tuple[float, float],
    max_lag_s: float = 0.2, min_corr: float = 0.4,
) -> float | None:
    """Offset (ms, mouth minus voice) that best lines the mouth's motion up with the voice's loudness.

    None when the two do not match well enough (correlation below ``min_corr``) to say.
    """
    a, b = span[0] - 0.2, span[1] + 0.2
    ve = (t_env >= a) & (t_env <= b)
    vm = (t_mouth >= a - max_lag_s - 0.1) & (t_mouth <= b + max_lag_s + 0.1)
    if ve.sum() < 50 or vm.sum() < 20:
        return None
    te, e = t_env[ve], _highpass(t_env[ve], env[ve])
    tm, m = t_mouth[vm], _highpass(t_mouth[vm], mouth[vm])
    e = (e - e.mean()) / (np.linalg.norm(e - e.mean()) or 1.0)
    lags = np.arange(-max_lag_s, max_lag_s + 1e-9, 0.001)
    scores = np.zeros(lags.size)
    for i, lag in enumerate(lags):
        x = np.interp(te + lag, tm, m)
        x = x - x.mean()
        scores[i] = np.dot(e, x) / (np.linalg.norm(x) or 1.0)
    k = int(np.argmax(scores))
    if k in (0, len(lags) - 1) or scores[k] < min_corr:
        return None
    y0, y1, y2 = scores[k - 1], scores[k], scores[k + 1]
    denom = y0 - 2 * y1 + y2
    frac = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
    return 1000 * float(lags[k] + frac * 0.001)


@dataclass
class Track:
    """A recording reduced for sync analysis: mouth motion per frame, loudness per 5 ms, both timed."""

    t_mouth: np.ndarray
    mouth: np.ndarray
    t_env: np.ndarray
    env: np.ndarray

    def offsets(self) -> list[tuple[float, float]]:
        """(time, offset ms) of every stretch of speech."""
        out = []
        for span in speech_runs(self.t_env, self.env):
            lag = lag_ms(self.t_env, self.env, self.t_mouth, self.mouth, span)
            if lag is not None:
                out.append((span[0], lag))
        return out


def read_container(path: Path, box: tuple[slice, slice]) -> Track:
    """Decode an mp4/flv recording into a Track (container timestamps on both streams)."""
    meter = MouthMeter(box)
    with av.open(str(path)) as container:
        times, kept = [], []
        for f in container.decode(video=0):
            times.append(float(f.time))
            kept.append(meter(f))
    with av.open(str(path)) as container:
        start, pcm = None, []
        for f in container.decode(audio=0):
            start = float(f.time) if start is None else start
            pcm.append(f.to_ndarray()[0])
    env = loudness(np.concatenate(pcm), 48_000)
    return Track(np.array(times), meter.values(kept), (start or 0.0) + BLOCK_S * np.arange(env.size), env)


def summary(offsets: list[tuple[float, float]]) -> dict[str, float | int | None]:
    """Median offset, and its drift: the last fifth of the run against the first fifth."""
    if not offsets:
        return {"stretches": 0, "median_ms": None}
    t = np.array([o[0] for o in offsets])
    v = np.array([o[1] for o in offsets])
    t = t - t.min()
    span = max(float(t.max()), 1e-6)
    early, late = v[t <= 0.2 * span], v[t >= 0.8 * span]
    drift = float(np.median(late) - np.median(early)) if len(offsets) >= 4 else None
    return {
        "stretches": len(offsets),
        "median_ms": round(float(np.median(v)), 1),
        "p10_ms": round(float(np.percentile(v, 10)), 1),
        "p90_ms": round(float(np.percentile(v, 90)), 1),
        "drift_ms": None if drift is None else round(drift, 1),
    }


# --- the WebRTC viewer's streams -------------------------------------------------------------------


def rtp_clock(viewer: avsync.Viewer, kind: str, rate: int, part: slice = slice(None)) -> float:
    """Arrival (monotonic) minus RTP time of a stream's packets, median (a video frame: its first packet)."""
    first: dict[int, float] = {}
    for arrival, ts in viewer.packets[kind][part]:
        first.setdefault(ts, arrival)
    stamps = avsync.unwrap(list(first), viewer.origin(kind)) / rate
    return float(np.median(np.array(list(first.values())) - stamps))


def webrtc_track(viewer: avsync.Viewer, meter: MouthMeter) -> Track:
    """The viewer's two streams on one clock, each RTP clock mapped by its packets' arrival."""
    tv = np.array([f.pts for f in viewer.video]) / 90_000 + rtp_clock(viewer, "video", 90_000)
    env = np.concatenate([f.data for f in viewer.audio])
    per = len(viewer.audio[0].data)
    ta = np.concatenate([f.pts / 48_000 + BLOCK_S * np.arange(per) for f in viewer.audio])
    return Track(tv, meter.values([f.data for f in viewer.video]), ta + rtp_clock(viewer, "audio", 48_000), env)


def webrtc_clock_drift(viewer: avsync.Viewer) -> float:
    """How far video moved against audio between the first and last fifth of the run (RTP clocks)."""

    def gap(part: float) -> float:
        nv, na = len(viewer.packets["video"]), len(viewer.packets["audio"])
        sv = slice(0, nv // 5) if part == 0 else slice(nv - nv // 5, None)
        sa = slice(0, na // 5) if part == 0 else slice(na - na // 5, None)
        return rtp_clock(viewer, "video", 90_000, sv) - rtp_clock(viewer, "audio", 48_000, sa)

    return round(1000 * (gap(1) - gap(0)), 1)
