"""Clean pitch and tempo change for speech: TD-PSOLA on voiced frames, plain overlap-add elsewhere.

Resampling would shift the formants with the pitch (the chipmunk effect); PSOLA moves whole glottal
periods instead, so the vocal tract (the timbre) stays and only the pulse rate changes.  It also
scales the pitch *range* (livelier or flatter intonation) around the speaker's median.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from pipeline.voice.analysis import pitch_track

_UNVOICED_STEP_S = 0.005


@lru_cache(maxsize=1024)
def _hann(half: int) -> np.ndarray:
    return np.hanning(2 * half + 1)


def _period_per_sample(f0: np.ndarray, hop: int, n: int, sample_rate: int, fill_gap_s: float) -> np.ndarray:
    """Pitch period in samples at every sample, 0 where unvoiced; short unvoiced gaps are bridged."""
    f0 = f0.copy()
    voiced = f0 > 0
    gap = int(fill_gap_s * sample_rate / hop)
    idx = np.flatnonzero(voiced)
    if idx.size:
        for a, b in itertools.pairwise(idx):
            if 1 < b - a <= gap + 1:
                f0[a + 1 : b] = np.linspace(f0[a], f0[b], b - a + 1)[1:-1]
    frame_times = np.arange(len(f0)) * hop
    per_frame = np.where(f0 > 0, sample_rate / np.maximum(f0, 1e-6), 0.0)
    # Nearest frame value (no interpolation across voiced/unvoiced edges).
    nearest = np.clip(np.round(np.arange(n) / hop).astype(int), 0, len(frame_times) - 1)
    return per_frame[nearest]


def _analysis_marks(audio: np.ndarray, period: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Pitch marks and their local period (0 for unvoiced marks, which are evenly spaced).

    A voiced run is anchored on its biggest peak, then marks follow the tracked period exactly:
    re-snapping every mark to a waveform peak jitters between peaks and roughens the voice.
    """
    n = len(audio)
    step = max(1, round(_UNVOICED_STEP_S * sample_rate))
    marks: list[int] = []
    periods: list[float] = []
    t = 0.0
    while t < n:
        i = int(t)
        p = float(period[i])
        if p <= 0:
            marks.append(i)
            periods.append(0.0)
            t += step
            continue
        if not periods or periods[-1] == 0.0:
            seg = audio[i : min(n, i + int(p))]
            if seg.size:
                t = i + float(np.argmax(seg))
                i = int(t)
                if i >= n:
                    break
                p = float(period[i]) if period[i] > 0 else p
        marks.append(i)
        periods.append(p)
        t += p
    return np.asarray(marks, dtype=np.int64), np.asarray(periods, dtype=np.float64)


def psola(
    audio: np.ndarray,
    sample_rate: int,
    *,
    pitch_factor: float = 1.0,
    range_factor: float = 1.0,
    tempo: float = 1.0,
) -> np.ndarray:
    """Change pitch by ``pitch_factor`` (2.0 = an octave up), scale intonation excursions around the
    median f0 by ``range_factor``, and speed up by ``tempo`` (1.25 = 25 % faster), independently.

    Loudness is kept: the result has the same RMS as the input.
    """
    x = np.asarray(audio, dtype=np.float32)
    if x.size == 0 or (pitch_factor == 1.0 and range_factor == 1.0 and tempo == 1.0):
        return x.copy()
    if not (0.25 <= pitch_factor <= 4.0 and 0.25 <= tempo <= 4.0 and 0.0 <= range_factor <= 3.0):
        raise ValueError("pitch_factor and tempo must be within 0.25..4, range_factor within 0..3")
    track = pitch_track(x, sample_rate, hop_s=0.005)
    period = _period_per_sample(track.f0, track.hop, len(x), sample_rate, fill_gap_s=0.03)
    marks, periods = _analysis_marks(x, period, sample_rate)
    voiced_periods = periods[periods > 0]
    median_period = float(np.median(voiced_periods)) if voiced_periods.size else 0.0
    step = max(1, round(_UNVOICED_STEP_S * sample_rate))

    out_len = round(len(x) / tempo)
    max_p = int(np.ceil(max(periods.max(initial=0.0), step) * 2)) + 2
    out = np.zeros(out_len + 2 * max_p, dtype=np.float64)
    xp = np.pad(x.astype(np.float64), (max_p, max_p))
    t_out = 0.0
    k = 0
    while t_out < out_len:
        t_in = t_out * tempo
        while k + 1 < len(marks) and abs(marks[k + 1] - t_in) <= abs(marks[k] - t_in):
            k += 1
        p_in = periods[k]
        if p_in > 0:
            # Target f0 = shift * median * (f0 / median) ** range  ->  output period.
            ratio = (median_period / p_in) ** range_factor if median_period > 0 else 1.0
            p_out = median_period / (pitch_factor * ratio) if median_period > 0 else p_in / pitch_factor
            half = round(p_in)
            gain = np.sqrt(min(1.0, p_out / p_in))
        else:
            p_out = float(step)
            half = step
            gain = 1.0
        center = int(marks[k])
        grain = xp[center + max_p - half : center + max_p + half + 1] * _hann(half)
        pos = round(t_out) + max_p
        out[pos - half : pos + half + 1] += gain * grain
        t_out += max(1.0, p_out)
    y = out[max_p : max_p + out_len]
    rms_in = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    rms_out = float(np.sqrt(np.mean(y**2)))
    if rms_out > 1e-9:
        y *= rms_in / rms_out
    return y.astype(np.float32)


def semitones_to_factor(semitones: float) -> float:
    """Frequency ratio of a pitch change in semitones."""
    return float(2.0 ** (semitones / 12.0))
