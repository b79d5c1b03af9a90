"""Lengthen or shorten the pauses inside speech (a sad voice lingers, an excited one rushes on).

Pauses are cut or padded in their quiet middle, never in the speech around them, with a short
crossfade at a cut so nothing clicks.
"""

from __future__ import annotations

import numpy as np

from pipeline.voice.analysis import frame_db

_KEEP_EDGE_S = 0.02
_FADE_S = 0.005


def find_pauses(audio: np.ndarray, sample_rate: int, min_pause_s: float = 0.08) -> list[tuple[int, int]]:
    """Quiet stretches of at least ``min_pause_s`` between speech (leading/trailing silence excluded)."""
    hop = round(0.01 * sample_rate)
    db = frame_db(audio, sample_rate, hop_s=0.01, win_s=0.02)
    if db.size == 0:
        return []
    peak = float(np.percentile(db, 99))
    quiet = db < max(-55.0, peak - 32.0)
    loud = np.flatnonzero(~quiet)
    if loud.size == 0:
        return []
    first, last = loud[0], loud[-1]
    regions: list[tuple[int, int]] = []
    i = first
    while i <= last:
        if quiet[i]:
            j = i
            while j <= last and quiet[j]:
                j += 1
            if (j - i) * hop >= min_pause_s * sample_rate:
                regions.append((i * hop, min(len(audio), j * hop)))
            i = j
        else:
            i += 1
    return regions


def resize_regions(
    audio: np.ndarray, regions: list[tuple[int, int]], factor: float, sample_rate: int
) -> tuple[np.ndarray, list[int]]:
    """Scale each (start, end) region's length by ``factor`` in its middle; returns the new audio and
    the length change of each region in samples."""
    edge = round(_KEEP_EDGE_S * sample_rate)
    fade = max(1, round(_FADE_S * sample_rate))
    pieces: list[np.ndarray] = []
    deltas: list[int] = []
    pos = 0
    for start, end in regions:
        length = end - start
        target = round(length * factor)
        mid = (start + end) // 2
        if target > length:
            pieces.append(audio[pos:mid])
            pieces.append(np.zeros(target - length, dtype=np.float32))
            deltas.append(target - length)
            pos = mid
            continue
        cut = min(length - target, max(0, length - 2 * edge))
        if cut <= 2 * fade:
            deltas.append(0)
            continue
        # Remove the middle ``cut`` samples, crossfading across the seam.
        left = audio[pos : mid - cut // 2]
        right = audio[mid + (cut - cut // 2) : end]
        if left.size >= fade and right.size >= fade:
            ramp = np.linspace(1.0, 0.0, fade, dtype=np.float32)
            pieces.extend([left[:-fade], left[-fade:] * ramp + right[:fade] * ramp[::-1], right[fade:]])
            deltas.append(-cut - fade)
        else:
            pieces.extend([left, right])
            deltas.append(-cut)
        pos = end
    pieces.append(audio[pos:])
    return np.concatenate(pieces).astype(np.float32), deltas


def scale_pauses(audio: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """``audio`` with every internal pause ``factor`` times as long."""
    if abs(factor - 1.0) < 1e-3:
        return audio
    regions = find_pauses(audio, sample_rate)
    if not regions:
        return audio
    return resize_regions(audio, regions, factor, sample_rate)[0]
