"""Viseme track and word timings from phoneme alignments (symbol, sample count), e.g. piper's.

Rules the face relies on: lips close for every M/B/P for at least one video frame even when the
phoneme is shorter; pauses and the edges of speech are SILENCE (mouth shut); neighbouring shapes
overlap slightly (co-articulation) so the face's sampler can blend them, but never into a closure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.utterance import WordTiming
from pipeline.visemes import Viseme, VisemeKey
from pipeline.voice.phoneme_visemes import LENGTH, STRESS, TONES, WORD_BREAK, is_pause, shapes_of

Alignment = Sequence[tuple[str, int]]
"""Phoneme symbols in order with the number of audio samples each one lasts."""

_WORD_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff.,!?;:，。！？；：、…\"“”()（）]+")


@dataclass(slots=True)
class _Seg:
    start: int
    end: int
    viseme: Viseme
    weight: float


def _raw_segments(alignment: Alignment, sample_rate: int, pinyin: bool, min_pause: int) -> list[_Seg]:
    segs: list[_Seg] = []
    pending_start: int | None = None  # stress marks and shapeless symbols hand time to the next one
    pause_start: int | None = None
    pause_len = 0
    t = 0
    items = list(alignment)

    def close_pause(at: int, final: bool = False) -> None:
        nonlocal pause_start, pause_len
        if pause_start is None:
            return
        if pause_len >= min_pause or not segs or final:
            segs.append(_Seg(pause_start, at, Viseme.SILENCE, 1.0))
        elif segs:
            segs[-1].end = at  # a short pause is just a transition
        pause_start, pause_len = None, 0

    symbols = [symbol for symbol, _ in items]
    for i, (symbol, count) in enumerate(items):
        start, end = t, t + int(count)
        t = end
        if count <= 0:
            continue
        next_is_pause = i + 1 < len(items) and is_pause(symbols, i + 1)
        if is_pause(symbols, i) or (symbol == WORD_BREAK and (pause_start is not None or next_is_pause)):
            if pause_start is None:
                pause_start = pending_start if pending_start is not None else start
                pending_start = None
            pause_len += end - start
            continue
        close_pause(start)
        if symbol == WORD_BREAK:
            if segs:  # between words inside speech: half to each neighbour
                mid = (start + end) // 2
                segs[-1].end = mid
                pending_start = mid
            else:
                pending_start = start
            continue
        if symbol in STRESS:
            pending_start = start if pending_start is None else pending_start
            continue
        if (symbol in LENGTH or symbol in TONES) and segs and segs[-1].viseme is not Viseme.SILENCE:
            segs[-1].end = end
            continue
        shapes = shapes_of(symbol, pinyin=pinyin)
        seg_start = pending_start if pending_start is not None else start
        pending_start = None
        if not shapes:
            if shapes is None and segs and segs[-1].viseme is not Viseme.SILENCE:
                segs[-1].end = end  # unknown symbol: hold the previous shape
            else:
                pending_start = seg_start
            continue
        span = end - seg_start
        for k, (viseme, weight) in enumerate(shapes):
            a = seg_start + span * k // len(shapes)
            b = seg_start + span * (k + 1) // len(shapes)
            segs.append(_Seg(a, b, viseme, weight))
    if pending_start is not None and pause_start is None:
        pause_start, pause_len = pending_start, t - pending_start
    close_pause(t, final=True)
    return segs


def _merge(segs: list[_Seg]) -> list[_Seg]:
    out: list[_Seg] = []
    for s in segs:
        if s.end <= s.start:
            continue
        if out and out[-1].viseme == s.viseme and out[-1].end >= s.start:
            out[-1].end = max(out[-1].end, s.end)
            out[-1].weight = max(out[-1].weight, s.weight)
        else:
            out.append(_Seg(s.start, s.end, s.viseme, s.weight))
    return out


def _enforce_closures(segs: list[_Seg], min_len: int, total: int) -> None:
    """Stretch every MBP to ``min_len`` samples, taking the time from its neighbours."""
    for i, s in enumerate(segs):
        if s.viseme is not Viseme.MBP or s.end - s.start >= min_len:
            continue
        need = min_len - (s.end - s.start)
        grow_left = need // 2
        grow_right = need - grow_left
        s.start = max(0, s.start - grow_left)
        s.end = min(total, s.end + grow_right)
        if s.end - s.start < min_len:  # clamped at an edge: grow the other way
            if s.start == 0:
                s.end = min(total, min_len)
            else:
                s.start = max(0, s.end - min_len)
        if i > 0:
            segs[i - 1].end = min(segs[i - 1].end, s.start)
        if i + 1 < len(segs):
            segs[i + 1].start = max(segs[i + 1].start, s.end)


def visemes_from_alignment(
    alignment: Alignment,
    sample_rate: int,
    *,
    pinyin: bool = False,
    min_closure_s: float = 1 / 30,
    min_pause_s: float = 0.06,
    overlap_s: float = 0.02,
) -> list[VisemeKey]:
    """The viseme track for an aligned phoneme sequence, in samples from the start of its audio.

    Keys are sorted by start.  A key may begin up to ``overlap_s`` before its neighbour ends (and end
    as much after the next begins) so shapes blend; MBP closures and the middle of pauses are never
    overlapped.  ``pinyin`` reads symbols as pinyin initials/finals (piper's Chinese voices).
    """
    total = sum(max(0, int(c)) for _, c in alignment)
    min_pause = round(min_pause_s * sample_rate)
    segs = _merge(_raw_segments(alignment, sample_rate, pinyin, min_pause))
    _enforce_closures(segs, math.ceil(min_closure_s * sample_rate), total)
    segs = [s for s in segs if s.end > s.start]
    overlap = round(overlap_s * sample_rate)
    keys: list[VisemeKey] = []
    for i, s in enumerate(segs):
        start, end = s.start, s.end
        if s.viseme not in (Viseme.MBP, Viseme.SILENCE):
            if i > 0 and segs[i - 1].viseme is not Viseme.MBP:
                start = max(segs[i - 1].start + (segs[i - 1].end - segs[i - 1].start) // 2, start - overlap)
            if i + 1 < len(segs) and segs[i + 1].viseme is not Viseme.MBP:
                nxt = segs[i + 1]
                end = min(nxt.start + (nxt.end - nxt.start) // 2, end + overlap)
        keys.append(VisemeKey(max(0, start), min(total, max(end, start)), s.viseme, round(s.weight, 3)))
    keys.sort(key=lambda k: (k.start, k.end))
    return keys


def spoken_words(text: str) -> list[str]:
    """Words as subtitles show them: Latin words whole, CJK one character each, punctuation dropped."""
    return _WORD_RE.findall(text)


def word_timings(alignment: Alignment, text: str) -> list[WordTiming]:
    """When each word of ``text`` is said, from an alignment whose words are separated by spaces
    (espeak) or pauses.  When espeak joins or splits words differently from the text, words are
    spread over the spoken stretches in proportion to their length."""
    words = spoken_words(text)
    if not words:
        return []
    groups: list[tuple[int, int]] = []
    t = 0
    current: list[int] | None = None
    symbols = [symbol for symbol, _ in alignment]
    for i, (symbol, count) in enumerate(alignment):
        start, end = t, t + int(count)
        t = end
        if symbol == WORD_BREAK or is_pause(symbols, i):
            if current is not None:
                groups.append((current[0], current[1]))
                current = None
            continue
        if current is None:
            current = [start, end]
        else:
            current[1] = end
    if current is not None:
        groups.append((current[0], current[1]))
    if not groups:
        return []
    if len(groups) == len(words):
        return [WordTiming(a, b, w) for (a, b), w in zip(groups, words, strict=True)]
    # Proportional: map cumulative character share onto cumulative spoken time.
    spoken = [b - a for a, b in groups]
    total_spoken = sum(spoken)
    weights = [max(1, len(w)) for w in words]
    total_weight = sum(weights)

    def at(fraction: float) -> int:
        target = fraction * total_spoken
        acc = 0
        for (a, _b), d in zip(groups, spoken, strict=True):
            if acc + d >= target:
                return a + round(target - acc)
            acc += d
        return groups[-1][1]

    timings: list[WordTiming] = []
    acc = 0
    for w, weight in zip(words, weights, strict=True):
        start = at(acc / total_weight)
        acc += weight
        timings.append(WordTiming(start, max(start, at(acc / total_weight)), w))
    return timings
