"""Text -> one of the eight emotions + intensity, in English and Chinese.

A softmax classifier over multilingual-e5-small sentence embeddings, trained at start-up on the
example sentences in ``prototypes`` (a second or two), then nudged by surface cues (emoji,
punctuation, intensifiers, negation, sarcasm) that embeddings read poorly.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.brain.cues import find_cues
from pipeline.brain.prototypes import PROTOTYPES
from pipeline.emotion import EMOTIONS, Emotion, EmotionState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pipeline.brain.embedder import Embedder

log = logging.getLogger(__name__)
_VECTORS: dict[str, np.ndarray] = {}  # prototype embeddings, per prototype set, for this process


@dataclass(frozen=True, slots=True)
class EmotionReading:
    """What a line feels like: the state, the probability of each emotion, and the cues seen."""

    state: EmotionState
    scores: dict[Emotion, float]
    cues: tuple[str, ...] = ()

    @property
    def emotion(self) -> Emotion:
        return self.state.emotion

    @property
    def confidence(self) -> float:
        return self.scores.get(self.state.emotion, 0.0)


class EmotionReader:
    """Reads the emotion of chat lines, host speech and reply sentences."""

    def __init__(
        self,
        embedder: Embedder,
        prototypes: Mapping[Emotion, Sequence[str]] = PROTOTYPES,
        l2: float = 1e-2,
        epochs: int = 300,
        cache_dir: Path | None = None,
        names: Sequence[str] = (),
    ) -> None:
        self._embedder = embedder
        # names (the persona's, @mentions) carry no feeling but can sway the embedding: mask them
        words = [re.escape(n) for n in names if n.strip()]
        self._names = re.compile(r"@\w+" + "".join(f"|{w}" for w in words), re.IGNORECASE)
        texts: list[str] = []
        labels: list[int] = []
        for index, emotion in enumerate(EMOTIONS):
            examples = list(prototypes.get(emotion, ()))
            texts += examples
            labels += [index] * len(examples)
        if len(set(labels)) < 2:
            raise ValueError("the emotion reader needs examples for at least two emotions")
        vectors = self._prototype_vectors(texts, cache_dir)
        self._mean = vectors.mean(axis=0)
        self._scale = vectors.std(axis=0) + 1e-6
        self._weights, self._bias = _fit_softmax(
            (vectors - self._mean) / self._scale, np.asarray(labels), len(EMOTIONS), l2, epochs
        )

    def read(self, text: str) -> EmotionReading:
        """The emotion of one line (about 10-20 ms on one core)."""
        if not text.strip():
            return EmotionReading(EmotionState(), {e: float(e is Emotion.NEUTRAL) for e in EMOTIONS})
        return self._finish(text, self._embedder.query(self.mask(text)))

    def mask(self, text: str) -> str:
        """``text`` with names replaced by a neutral word."""
        return self._names.sub("you", text)

    def read_many(self, texts: Sequence[str]) -> list[EmotionReading]:
        """Read many lines with one batched embedding call."""
        vectors = self._embedder.queries([self.mask(t) for t in texts])
        return [self._finish(t, v) if t.strip() else self.read(t) for t, v in zip(texts, vectors, strict=True)]

    def _finish(self, text: str, vector: np.ndarray) -> EmotionReading:
        logits = ((vector - self._mean) / self._scale) @ self._weights + self._bias
        logp = logits - _logsumexp(logits)
        cues = find_cues(text)
        for emotion, bonus in cues.bonus.items():
            logp[EMOTIONS.index(emotion)] += bonus
        probs = np.exp(logp - logp.max())
        probs /= probs.sum()
        top = int(probs.argmax())
        emotion = EMOTIONS[top]
        intensity = 0.0
        if emotion is not Emotion.NEUTRAL:
            base = 0.3 + 0.6 * float(probs[top])
            intensity = min(1.0, max(0.05, base * cues.intensity_scale + cues.intensity_add))
        scores = {e: round(float(p), 4) for e, p in zip(EMOTIONS, probs, strict=True)}
        return EmotionReading(EmotionState(emotion, round(intensity, 3)), scores, tuple(cues.notes))

    def _prototype_vectors(self, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
        known = _VECTORS.get(digest)
        if known is not None and known.shape == (len(texts), self._embedder.dim):
            return known
        vectors = self._load_or_embed(texts, digest, cache_dir)
        _VECTORS[digest] = vectors
        return vectors

    def _load_or_embed(self, texts: list[str], digest: str, cache_dir: Path | None) -> np.ndarray:
        if cache_dir is None:
            return self._embedder.queries(texts)
        path = Path(cache_dir) / f"emotion-prototypes-{digest}.npy"
        if path.is_file():
            cached = np.load(path)
            if cached.shape == (len(texts), self._embedder.dim):
                return cached
        vectors = self._embedder.queries(texts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors)
        except OSError as exc:  # a read-only cache only costs start-up time
            log.warning("cannot cache emotion prototypes in %s: %s", path.parent, exc)
        return vectors


def viewer_feeling(reading: EmotionReading, min_confidence: float = 0.3) -> EmotionState:
    """How the viewer feels, for the emotion policy.

    Labels already encode the mapping (a complaint reads angry or sad, a worry reads fearful,
    care for the host reads concerned); a reading the classifier is unsure of counts as neutral.
    """
    if reading.emotion is Emotion.NEUTRAL or reading.confidence < min_confidence:
        return EmotionState()
    return reading.state


def _fit_softmax(
    x: np.ndarray, y: np.ndarray, classes: int, l2: float, epochs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent (deterministic)."""
    n, dim = x.shape
    weights = np.zeros((dim, classes))
    bias = np.zeros(classes)
    onehot = np.eye(classes)[y]
    for _ in range(epochs):
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        grad = (probs - onehot) / n
        weights -= x.T @ grad + l2 * weights
        bias -= grad.sum(axis=0)
    return weights.astype(np.float32), bias.astype(np.float32)


def _logsumexp(v: np.ndarray) -> float:
    top = float(v.max())
    return top + float(np.log(np.exp(v - top).sum()))
