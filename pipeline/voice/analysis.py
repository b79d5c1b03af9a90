"""Measure speech: pitch (YIN), loudness and syllable rate.

The pitch/tempo transform needs f0 to place its pitch marks; tests and the benchmark use the same
measures to check that each emotion moves the voice the stated way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal


@dataclass(frozen=True, slots=True)
class PitchTrack:
    """f0 per frame (Hz, 0 where unvoiced); frame ``i`` is centred on sample ``i * hop``."""

    f0: np.ndarray
    hop: int
    sample_rate: int

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0

    def mean_hz(self) -> float:
        """Mean f0 over voiced frames (0 when nothing is voiced)."""
        v = self.f0[self.f0 > 0]
        return float(v.mean()) if v.size else 0.0


def _frames(x: np.ndarray, length: int, hop: int) -> np.ndarray:
    """Frames of ``length`` samples every ``hop`` samples, frame i centred on sample i*hop."""
    pad = length // 2
    padded = np.pad(x.astype(np.float64, copy=False), (pad, pad + length))
    count = len(x) // hop + 1
    idx = np.arange(length)[None, :] + hop * np.arange(count)[:, None]
    return padded[idx]


def frame_db(audio: np.ndarray, sample_rate: int, hop_s: float = 0.01, win_s: float = 0.03) -> np.ndarray:
    """RMS level per frame in dBFS."""
    hop = max(1, round(hop_s * sample_rate))
    frames = _frames(audio, max(hop, round(win_s * sample_rate)), hop)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def active_mask(db: np.ndarray, floor_db: float = -50.0, below_peak_db: float = 35.0) -> np.ndarray:
    """Frames that carry speech: above an absolute floor and within ``below_peak_db`` of the loudest."""
    if db.size == 0:
        return np.zeros(0, dtype=bool)
    peak = float(np.percentile(db, 99))
    return db > max(floor_db, peak - below_peak_db)


def pitch_track(
    audio: np.ndarray,
    sample_rate: float,
    fmin: float = 60.0,
    fmax: float = 500.0,
    hop_s: float = 0.005,
    threshold: float = 0.2,
    voicing: float = 0.35,
    decimate: bool = True,
) -> PitchTrack:
    """YIN f0 estimate (de Cheveigné & Kawahara 2002), vectorised over frames with FFTs.

    A frame is voiced when its aperiodicity (the YIN dip) is below ``voicing`` and it is loud enough.
    """
    hop = max(1, round(hop_s * sample_rate))
    factor = int(max(1, sample_rate // 11025)) if decimate else 1
    if factor > 1:
        # Pitch lives below 1 kHz: analyse a decimated copy (4x fewer FFT bins), report at full rate.
        small = scipy.signal.resample_poly(np.asarray(audio, dtype=np.float64), 1, factor)
        coarse = pitch_track(small, sample_rate / factor, fmin, fmax, hop / sample_rate, threshold, voicing, False)
        return PitchTrack(coarse.f0, hop, sample_rate)
    max_lag = int(np.ceil(sample_rate / fmin))
    min_lag = max(2, int(sample_rate / fmax))
    win = max_lag
    frames = _frames(audio, win + max_lag, hop)
    n = len(frames)
    if n == 0:
        return PitchTrack(np.zeros(0), hop, sample_rate)
    size = 1 << int(np.ceil(np.log2(2 * (win + max_lag))))
    spec_full = np.fft.rfft(frames, size)
    spec_head = np.fft.rfft(frames[:, :win], size)
    corr = np.fft.irfft(spec_full * np.conj(spec_head), size)[:, : max_lag + 1]
    sq = np.concatenate([np.zeros((n, 1)), np.cumsum(frames**2, axis=1)], axis=1)
    lags = np.arange(max_lag + 1)
    energy_lag = sq[:, lags + win] - sq[:, lags]
    diff = sq[:, win : win + 1] + energy_lag - 2.0 * corr
    diff[:, 0] = 0.0
    cum = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, max_lag + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cum, 1e-12)

    search = cmnd[:, min_lag:max_lag]
    below = search < threshold
    first = np.where(below.any(axis=1), below.argmax(axis=1), search.argmin(axis=1))
    # Walk down to the local minimum after the first crossing.
    rows = np.arange(n)
    tau = first.copy()
    for _ in range(max_lag):
        nxt = np.minimum(tau + 1, search.shape[1] - 1)
        step = search[rows, nxt] < search[rows, tau]
        if not step.any():
            break
        tau = np.where(step, nxt, tau)
    best = search[rows, tau]
    tau_abs = tau + min_lag
    # Parabolic interpolation around the minimum.
    left = cmnd[rows, np.maximum(tau_abs - 1, 0)]
    mid = cmnd[rows, tau_abs]
    right = cmnd[rows, np.minimum(tau_abs + 1, max_lag)]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    period = tau_abs + np.clip(shift, -1, 1)

    level = 10 * np.log10(np.mean(frames[:, :win] ** 2, axis=1) + 1e-12)
    loud = level > max(-55.0, float(np.percentile(level, 99)) - 40.0)
    voiced = (best < voicing) & loud & (tau_abs > min_lag)
    f0 = np.where(voiced, sample_rate / period, 0.0)
    f0 = _clean_octave_jumps(f0)
    return PitchTrack(f0, hop, sample_rate)


def _clean_octave_jumps(f0: np.ndarray) -> np.ndarray:
    """Remove isolated voiced frames and halve/double single-frame octave errors."""
    out = f0.copy()
    voiced = out > 0
    for i in range(1, len(out) - 1):
        if voiced[i] and not voiced[i - 1] and not voiced[i + 1]:
            out[i] = 0.0
    if voiced.sum() > 4:
        med = float(np.median(out[out > 0]))
        ratio = np.where(out > 0, out / med, 1.0)
        out = np.where(ratio > 1.8, out / 2, out)
        out = np.where((ratio < 0.55) & (out > 0), out * 2, out)
    return out


def active_rms_db(audio: np.ndarray, sample_rate: int) -> float:
    """Mean power (dBFS) over the frames that carry speech, so pauses do not count."""
    db = frame_db(audio, sample_rate)
    mask = active_mask(db)
    if not mask.any():
        return -120.0
    power = 10 ** (db[mask] / 10)
    return float(10 * np.log10(power.mean()))


def band_db(
    audio: np.ndarray, sample_rate: int, low: float = 300.0, high: float = 3000.0, hop_s: float = 0.01
) -> np.ndarray:
    """Level per frame (dB) of the vowel band only, where syllable nuclei stand out."""
    hop = max(1, round(hop_s * sample_rate))
    length = round(0.04 * sample_rate)
    frames = _frames(audio, length, hop) * np.hanning(length)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(length, 1.0 / sample_rate)
    band = spec[:, (freqs >= low) & (freqs <= high)].sum(axis=1)
    return 10.0 * np.log10(band + 1e-12)


def syllable_nuclei(audio: np.ndarray, sample_rate: int, min_prominence_db: float = 1.0) -> np.ndarray:
    """Sample positions of syllable nuclei: peaks of the vowel-band loudness that stand out by
    ``min_prominence_db``, at least 80 ms apart, near voiced frames (after de Jong & Wempe 2009)."""
    hop = round(0.01 * sample_rate)
    db = band_db(audio, sample_rate, low=250.0, high=2500.0)
    if db.size < 3:
        return np.zeros(0, dtype=int)
    peaks, _ = scipy.signal.find_peaks(
        db, prominence=min_prominence_db, distance=8, height=float(np.percentile(db, 99)) - 25.0
    )
    voiced = pitch_track(audio, sample_rate, hop_s=0.01).f0 > 0
    near_voice = np.convolve(voiced.astype(np.float64), np.ones(7), mode="same") > 0
    keep = [int(i) for i in peaks if i < len(near_voice) and near_voice[i]]
    return np.asarray(keep, dtype=int) * hop


def speech_span(audio: np.ndarray, sample_rate: int) -> tuple[int, int]:
    """First and last sample of speech (whole clip if nothing is loud enough)."""
    hop = round(0.01 * sample_rate)
    mask = active_mask(frame_db(audio, sample_rate))
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return 0, len(audio)
    return int(idx[0] * hop), int(min(len(audio), (idx[-1] + 1) * hop))


def syllables_per_second(audio: np.ndarray, sample_rate: int) -> float:
    """Speaking rate: syllable nuclei per second of speech, pauses inside the speech included."""
    start, end = speech_span(audio, sample_rate)
    seconds = max(1e-3, (end - start) / sample_rate)
    return len(syllable_nuclei(audio, sample_rate)) / seconds


def speaking_rate(audio: np.ndarray, sample_rate: int, syllables: int) -> float:
    """Syllables per second of speech for a clip whose syllable count is known (from its text):
    steadier than counting nuclei in the audio, so rates of the same text compare reliably."""
    start, end = speech_span(audio, sample_rate)
    return syllables / max(1e-3, (end - start) / sample_rate)
