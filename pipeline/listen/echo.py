"""Echo guard: tell the avatar's own voice leaking into the microphone from the host talking.

The daemon feeds everything it plays (``feed_playback``, stamped with when it is heard).  For a
stretch of microphone audio the guard finds the delay at which recent playback best explains it,
then fits each frequency band of the microphone's short-time spectrum as a gain times the delayed
playback's (room and speaker colouring are per-band gains).  ``explained`` is the share of
microphone energy that fit accounts for: near 1 for pure echo, low when a different voice (the
host) is present, even over the avatar.  Timestamps only bound the delay search, so clock offsets
and device latency up to ``max_delay_ms`` (or clocks up to 500 ms the other way) do not matter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_N_FFT = 512
_HOP = 128
_BANDS = 24
_TAIL_FRAMES = 3.0  # reverb energy time constant in hops (~24 ms)
_EARLY_S = 0.5  # the mic's time stamps may run this far behind the playback's


@dataclass(frozen=True, slots=True)
class EchoCheck:
    """``explained``: share (0..1) of mic energy the delayed playback accounts for; ``delay_ms`` found;
    ``playback``: whether the avatar was audible at all in the searched stretch."""

    explained: float
    delay_ms: float
    playback: bool

    def is_echo(self, threshold: float) -> bool:
        return self.playback and self.explained >= threshold


def _band_edges(n_bins: int, bands: int) -> np.ndarray:
    """Roughly log-spaced band edges over 100 Hz .. 8 kHz in FFT-bin units (16 kHz audio)."""
    hz = np.geomspace(100.0, 8000.0, bands + 1)
    edges = np.unique(np.clip(np.round(hz / 8000.0 * (n_bins - 1)).astype(int), 1, n_bins))
    return edges


_EDGES = _band_edges(_N_FFT // 2 + 1, _BANDS)
_WINDOW = np.hanning(_N_FFT).astype(np.float32)


def band_energies(x: np.ndarray) -> np.ndarray:
    """Short-time band energies, shape (frames, bands); hop 16 ms at 16 kHz."""
    if x.size < _N_FFT:
        x = np.pad(x, (0, _N_FFT - x.size))
    n = 1 + (x.size - _N_FFT) // _HOP
    idx = np.arange(_N_FFT)[None, :] + _HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * _WINDOW, axis=1)) ** 2
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(spec, axis=1)], axis=1)
    return (csum[:, _EDGES[1:]] - csum[:, _EDGES[:-1]]).astype(np.float64)


class EchoGuard:
    """Ring of recent playback (16 kHz mono) with a time stamp per sample; thread-safe."""

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        history_s: float = 12.0,
        max_delay_ms: float = 600.0,
        threshold: float = 0.65,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sample_rate = sample_rate
        self.size = int(history_s * sample_rate)
        self.max_delay = int(max_delay_ms * sample_rate / 1000)
        self.threshold = threshold
        self._ring = np.zeros(self.size, np.float32)
        self._written = 0  # total samples ever written
        self._t0: float | None = None  # time of sample 0 of the stream
        self._lock = threading.Lock()
        self._clock = clock

    # -- playback side (daemon) -----------------------------------------------------------------
    def feed_playback(self, audio: np.ndarray, sample_rate: int, at: float | None = None) -> None:
        """Record audio the avatar plays, first sample heard at ``at`` (monotonic; default now)."""
        from pipeline.voice.resample import resample

        at = self._clock() if at is None else at
        x = resample(np.asarray(audio, np.float32).reshape(-1), sample_rate, self.sample_rate)
        with self._lock:
            if self._t0 is None:
                self._t0 = at
            expected = self._t0 + self._written / self.sample_rate
            gap = round((at - expected) * self.sample_rate)
            if gap > 0:  # silence was played in between: keep sample index == time
                self._write(np.zeros(min(gap, self.size), np.float32), gap)
            self._write(x, x.size)

    def stop_playback(self, at: float | None = None) -> None:
        """Playback was cut (barge-in): forget audio queued after ``at`` (default now)."""
        at = self._clock() if at is None else at
        with self._lock:
            if self._t0 is None:
                return
            keep = int((at - self._t0) * self.sample_rate)
            if keep < self._written:
                cut = min(self._written - keep, self.size)
                start = (self._written - cut) % self.size
                idx = (np.arange(cut) + start) % self.size
                self._ring[idx] = 0.0

    def _write(self, x: np.ndarray, advance: int) -> None:
        n = min(x.size, self.size)
        start = (self._written + advance - n) % self.size
        idx = (np.arange(n) + start) % self.size
        self._ring[idx] = x[-n:]
        self._written += advance

    def _segment(self, t_start: float, t_end: float) -> np.ndarray:
        """Playback heard between two times (zeros where nothing was fed)."""
        n = round((t_end - t_start) * self.sample_rate)
        out = np.zeros(max(n, 0), np.float32)
        if self._t0 is None or n <= 0:
            return out
        first = round((t_start - self._t0) * self.sample_rate)
        lo = max(first, self._written - self.size, 0)
        hi = min(first + n, self._written)
        if hi > lo:
            idx = np.arange(lo, hi) % self.size
            out[lo - first : hi - first] = self._ring[idx]
        return out

    def playing(self, at: float | None = None, window_s: float = 0.3, floor_db: float = -50.0) -> bool:
        """Whether the avatar was audible during the ``window_s`` before ``at``."""
        at = self._clock() if at is None else at
        with self._lock:
            seg = self._segment(at - window_s, at)
        return seg.size > 0 and float(np.sqrt(np.mean(seg * seg))) > 10.0 ** (floor_db / 20.0)

    # -- microphone side (listener) -------------------------------------------------------------
    def check(self, mic: np.ndarray, end_time: float) -> EchoCheck:
        """How much of ``mic`` (16 kHz, last sample captured at ``end_time``) is the avatar's playback."""
        mic = np.asarray(mic, np.float32).reshape(-1)
        dur = mic.size / self.sample_rate
        span = self.max_delay / self.sample_rate
        with self._lock:
            ref = self._segment(end_time - dur - span, end_time + _EARLY_S)
        if ref.size < mic.size or float(np.max(np.abs(ref), initial=0.0)) < 1e-3:
            return EchoCheck(0.0, 0.0, False)
        m = band_energies(mic)
        r = band_energies(ref)
        frames = m.shape[0]
        best = (0.0, 0)
        m_tot = float(m.sum()) + 1e-12
        # envelope correlation picks candidate delays; the band fit scores the best few
        m_env = np.log(m.sum(axis=1) + 1e-9)
        r_env = np.log(r.sum(axis=1) + 1e-9)
        n_lags = r.shape[0] - frames + 1
        if n_lags < 1:
            return EchoCheck(0.0, 0.0, True)
        corr = np.array([np.corrcoef(m_env, r_env[k : k + frames])[0, 1] for k in range(n_lags)])
        corr = np.nan_to_num(corr, nan=-1.0)
        candidates = {int(j) for k in np.argsort(corr)[::-1][:4] for j in (k - 1, k, k + 1) if 0 <= j < n_lags}
        for k in candidates:
            explained = _explained(m, r[k : k + frames], m_tot)
            if explained > best[0]:
                best = (explained, int(k))
        delay_s = span - best[1] * _HOP / self.sample_rate
        return EchoCheck(best[0], delay_s * 1000.0, True)


def _tail(r: np.ndarray, tau_frames: float) -> np.ndarray:
    """Reverberant tail of the reference: past frames' energy decaying with time constant ``tau``."""
    decay = float(np.exp(-1.0 / tau_frames))
    out = np.zeros_like(r)
    acc = np.zeros(r.shape[1])
    for t in range(1, r.shape[0]):
        acc = decay * (acc + r[t - 1])
        out[t] = acc
    return out


def _explained(m: np.ndarray, r: np.ndarray, m_tot: float) -> float:
    """Share of mic band energy explained by non-negative per-band gains on the reference's direct
    sound and its reverberant tail (residual clipped at zero: a louder mic is never explained)."""
    t = _tail(r, _TAIL_FRAMES)
    best_fit = np.zeros_like(m)
    for b in range(m.shape[1]):
        x = np.stack([r[:, b], t[:, b]], axis=1)
        y = m[:, b]
        coef = _nnls2(x, y)
        best_fit[:, b] = x @ coef
    fit = np.minimum(best_fit, m)
    residual = float(np.abs(m - fit).sum())
    return max(0.0, 1.0 - residual / m_tot)


def _nnls2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least squares with two regressors (closed form over the active sets)."""
    g = x.T @ x + np.eye(2) * 1e-12
    c = x.T @ y
    try:
        both = np.linalg.solve(g, c)
    except np.linalg.LinAlgError:
        both = np.array([-1.0, -1.0])
    if both[0] >= 0 and both[1] >= 0:
        return both
    candidates = [np.array([max(c[0] / g[0, 0], 0.0), 0.0]), np.array([0.0, max(c[1] / g[1, 1], 0.0)])]
    return min(candidates, key=lambda k: float(np.sum((x @ k - y) ** 2)))
