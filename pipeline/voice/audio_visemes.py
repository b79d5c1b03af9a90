"""Visemes from audio alone: for engines without alignments and for any live voice.

uLipSync-style: MFCC frames every 10 ms, normalised per speaker by a running cepstral mean, classified
by a small trained model over 90 ms of context; loudness decides silence and how wide vowels open.
Works incrementally (``AudioVisemeTracker.feed``) with about 50 ms of look-ahead, or on a whole clip
(``visemes_from_audio``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from pipeline.visemes import Viseme, VisemeKey
from pipeline.voice.mfcc import FeatureStream
from pipeline.voice.viseme_classifier import CLASSES, LOOKAHEAD, PAD_DB, VisemeClassifier, stack_context

_OPEN = frozenset({Viseme.AA, Viseme.E, Viseme.I, Viseme.O, Viseme.U})
_CONSONANT_WEIGHT = 0.8
_SIL = CLASSES.index(Viseme.SILENCE)
_MBP = CLASSES.index(Viseme.MBP)
MBP_MIN_PROBABILITY = 0.5
"""A closure is shown only when the classifier is this sure: a false closure looks worse than a
missed one (and the closures from alignments never depend on it)."""


@lru_cache(maxsize=1)
def default_classifier() -> VisemeClassifier:
    """The shipped classifier (loaded once)."""
    return VisemeClassifier.load()


class AudioVisemeTracker:
    """Turns a stream of float32 mono samples into VisemeKeys (sample positions from the stream start).

    Not thread-safe: one tracker per audio stream.
    """

    def __init__(
        self,
        sample_rate: int,
        classifier: VisemeClassifier | None = None,
        *,
        min_closure_s: float = 1 / 30,
        overlap_s: float = 0.01,
        floor_db: float = -55.0,
        below_peak_db: float = 35.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.classifier = classifier or default_classifier()
        self.features = FeatureStream(
            sample_rate, self.classifier.cep_mean, floor_db=floor_db, below_peak_db=below_peak_db
        )
        self.hop = self.features.hop
        self.min_closure = math.ceil(min_closure_s * sample_rate)
        self.overlap = round(overlap_s * sample_rate)
        self.floor_db = floor_db
        self.below_peak_db = below_peak_db
        self._total = 0
        self._ceps = np.zeros((0, self.classifier.cep_mean.size))
        self._rel = np.zeros(0)
        self._level = np.zeros(0)
        self._base = 0  # absolute index of the first frame still held
        self._decided = 0  # frames classified so far
        self._prev_probs: np.ndarray | None = None
        self._run_label: Viseme | None = None
        self._run_start = 0
        self._run_weights: list[float] = []
        self._cand_label: Viseme | None = None
        self._cand_start = 0
        self._cand_weights: list[float] = []
        self._min_next_start = 0
        self._pending: list[tuple[int, int, Viseme, float]] = []

    def _extract(self, samples: np.ndarray | None) -> None:
        ceps, rel, level = self.features.push(samples) if samples is not None else self.features.finish()
        self._ceps = np.concatenate([self._ceps, ceps])
        self._rel = np.concatenate([self._rel, rel])
        self._level = np.concatenate([self._level, level])

    # -- decisions ---------------------------------------------------------------------------------
    def _classify_ready(self, final: bool) -> None:
        """Classify every frame whose look-ahead context is available, then forget the frames no
        context needs any more (a live stream runs for hours)."""
        end = self._base + len(self._ceps)  # absolute index past the last extracted frame
        available = end - (0 if final else LOOKAHEAD)
        start = self._decided
        if available > start:
            lo, hi = start - LOOKAHEAD, available + LOOKAHEAD
            pad_front, pad_back = max(0, self._base - lo), max(0, hi - end)
            a, b = max(lo, self._base) - self._base, min(hi, end) - self._base
            width = self._ceps.shape[1]
            ceps = np.concatenate([np.zeros((pad_front, width)), self._ceps[a:b], np.zeros((pad_back, width))])
            rel = np.concatenate([np.full(pad_front, PAD_DB), self._rel[a:b], np.full(pad_back, PAD_DB)])
            probs = self.classifier.probabilities(stack_context(ceps, rel))
            for j, p in enumerate(probs):
                frame = start + j
                self._decide(p, float(self._rel[frame - self._base]), float(self._level[frame - self._base]), frame)
            self._decided = available
        keep_from = max(self._base, self._decided - LOOKAHEAD)
        drop = keep_from - self._base
        if drop > 0:
            self._ceps, self._rel, self._level = self._ceps[drop:], self._rel[drop:], self._level[drop:]
            self._base = keep_from

    def _decide(self, probs: np.ndarray, rel: float, level: float, frame: int) -> None:
        smooth = probs if self._prev_probs is None else 0.6 * probs + 0.4 * self._prev_probs
        self._prev_probs = probs
        silent = rel <= -self.below_peak_db or level <= self.floor_db
        label = Viseme.SILENCE if silent else CLASSES[int(np.argmax(smooth))]
        if not silent and label is Viseme.SILENCE:
            speech = smooth.copy()
            speech[_SIL] = 0.0
            label = CLASSES[int(np.argmax(speech))] if smooth[_SIL] < 0.6 else Viseme.SILENCE
        if label is Viseme.MBP and smooth[_MBP] < MBP_MIN_PROBABILITY:
            others = smooth.copy()
            others[_MBP] = 0.0
            label = CLASSES[int(np.argmax(others))]
        if label in _OPEN:
            weight = float(np.clip((rel + self.below_peak_db) / 25.0, 0.35, 1.0))
        elif label in (Viseme.SILENCE, Viseme.MBP):
            weight = 1.0
        else:
            weight = _CONSONANT_WEIGHT
        self._step(frame, label, weight)

    def _step(self, frame: int, label: Viseme, weight: float) -> None:
        """Run-length coding with hysteresis: a new shape must hold two frames (closures one)."""
        if self._run_label is None:
            self._run_label, self._run_start, self._run_weights = label, frame, [weight]
            return
        if label == self._run_label:
            if self._cand_label is not None:  # the candidate was a blip: absorb it
                self._run_weights.extend(self._cand_weights)
                self._cand_label = None
            self._run_weights.append(weight)
            return
        if label == self._cand_label:
            self._cand_weights.append(weight)
        else:
            if self._cand_label is not None:
                self._run_weights.extend(self._cand_weights)
            self._cand_label, self._cand_start, self._cand_weights = label, frame, [weight]
        if len(self._cand_weights) >= 2 or label in (Viseme.MBP, Viseme.SILENCE):
            self._close_run(self._cand_start, label)
            self._run_label, self._run_start, self._run_weights = label, self._cand_start, self._cand_weights
            self._cand_label = None

    def _sample(self, frame: int) -> int:
        return min(self._total, max(0, frame * self.hop - self.hop // 2))

    def _close_run(self, end_frame: int, next_label: Viseme | None) -> None:
        label = self._run_label
        assert label is not None
        start = max(self._sample(self._run_start), self._min_next_start)
        end = self._sample(end_frame) if next_label is not None else self._total
        if label is Viseme.MBP and end - start < self.min_closure:
            end = min(self._total, start + self.min_closure)
            self._min_next_start = end
        elif label not in (Viseme.MBP, Viseme.SILENCE) and next_label not in (Viseme.MBP, None):
            end = min(self._total, end + self.overlap)
        if end > start:
            weight = float(np.mean(self._run_weights)) if self._run_weights else 1.0
            self._pending.append((start, end, label, round(weight, 3)))

    def _take(self) -> list[VisemeKey]:
        keys = [VisemeKey(s, e, v, w) for s, e, v, w in self._pending]
        self._pending = []
        return keys

    # -- public ----------------------------------------------------------------------------------
    def feed(self, samples: np.ndarray) -> list[VisemeKey]:
        """Add samples; return the keys that are final now (they lag the input by about 50 ms)."""
        samples = np.asarray(samples, dtype=np.float64).reshape(-1)
        self._total += len(samples)
        self._extract(samples)
        self._classify_ready(final=False)
        return self._take()

    def flush(self) -> list[VisemeKey]:
        """End of stream: decide the remaining frames and close the last shape at the last sample."""
        self._extract(None)
        frames_needed = math.ceil(self._total / self.hop)
        keep = max(0, frames_needed - self._base)
        self._ceps, self._rel, self._level = self._ceps[:keep], self._rel[:keep], self._level[:keep]
        self._classify_ready(final=True)
        if self._cand_label is not None:
            self._run_weights.extend(self._cand_weights)
            self._cand_label = None
        if self._run_label is not None:
            self._close_run(frames_needed, None)
            self._run_label = None
        return self._take()


def visemes_from_audio(audio: np.ndarray, sample_rate: int) -> list[VisemeKey]:
    """The viseme track of a whole clip (any voice, any sample rate from 8 kHz)."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        return []
    tracker = AudioVisemeTracker(sample_rate)
    return tracker.feed(audio) + tracker.flush()
