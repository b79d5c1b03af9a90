"""A small frame classifier from MFCC context to mouth shape, numpy only.

It is trained (``pipeline.voice.viseme_training``) on speech whose phoneme timing is known exactly
(piper alignments), so it learns the acoustics of every viseme, closures included; its weights ship
as a small JSON file beside this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.visemes import Viseme
from pipeline.voice.mfcc import FeatureStream

CLASSES: tuple[Viseme, ...] = (
    Viseme.SILENCE,
    Viseme.AA,
    Viseme.E,
    Viseme.I,
    Viseme.O,
    Viseme.U,
    Viseme.MBP,
    Viseme.FV,
    Viseme.CH,
    Viseme.DD,
    Viseme.L,
    Viseme.WQ,
)
LABEL_OF: dict[Viseme, int] = {v: i for i, v in enumerate(CLASSES)}
LABEL_OF[Viseme.TH] = LABEL_OF[Viseme.DD]
CONTEXT = (-4, -2, 0, 2, 4)
"""Frame offsets stacked into one input: 40 ms either side."""
LOOKAHEAD = max(CONTEXT)
PAD_DB = -60.0
"""Relative level given to the frames before a stream starts and after it ends."""
DEFAULT_PATH = Path(__file__).with_name("data") / "viseme_classifier.json"


def stack_context(ceps: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Inputs for frames whose whole context is inside the arrays: (n - 2*LOOKAHEAD, features).

    ``ceps`` are mean-normalised cepstra; ``level`` is each frame's dB relative to the speech peak.
    """
    n = len(ceps) - 2 * LOOKAHEAD
    if n <= 0:
        return np.zeros((0, len(CONTEXT) * (ceps.shape[1] + 1)))
    parts = []
    for off in CONTEXT:
        a = LOOKAHEAD + off
        parts.append(ceps[a : a + n])
        parts.append(level[a : a + n, None] / 10.0)
    return np.concatenate(parts, axis=1)


@dataclass
class VisemeClassifier:
    """Standardise -> dense(tanh) -> dense -> softmax."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    cep_mean: np.ndarray
    """Typical cepstral mean of speech: the starting point of per-speaker mean normalisation."""

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, len(CLASSES)) for stacked inputs ``x``."""
        h = np.tanh(((x - self.mean) / self.scale) @ self.w1 + self.b1)
        logits = h @ self.w2 + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def to_json(self) -> dict[str, list]:
        return {k: np.round(getattr(self, k), 6).tolist() for k in self.__dataclass_fields__}

    def save(self, path: Path = DEFAULT_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"classes": [c.value for c in CLASSES], "context": list(CONTEXT), **self.to_json()}
        path.write_text(json.dumps(data, separators=(",", ":")))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> VisemeClassifier:
        """Load trained weights; raises FileNotFoundError naming the file and how to build it."""
        if not path.is_file():
            raise FileNotFoundError(
                f"viseme classifier weights not found at {path}; build them with "
                "`python -m pipeline.voice.viseme_training`"
            )
        data = json.loads(path.read_text())
        if data.get("classes") != [c.value for c in CLASSES] or data.get("context") != list(CONTEXT):
            raise ValueError(f"{path} was trained for other classes or context; rebuild it")
        return cls(**{k: np.asarray(data[k], dtype=np.float64) for k in cls.__dataclass_fields__})


def train(
    x: np.ndarray, y: np.ndarray, cep_mean: np.ndarray, hidden: int = 48, epochs: int = 400, seed: int = 0
) -> VisemeClassifier:
    """Fit the classifier with full-batch Adam on cross-entropy, classes balanced (rare closures
    count as much as common vowels)."""
    rng = np.random.default_rng(seed)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    k = len(CLASSES)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    class_w = np.where(counts > 0, counts.sum() / (k * np.maximum(counts, 1)), 0.0) ** 0.5
    sample_w = class_w[y]
    sample_w /= sample_w.sum()
    onehot = np.eye(k)[y]
    params = [
        rng.normal(0, 1 / np.sqrt(xs.shape[1]), (xs.shape[1], hidden)),
        np.zeros(hidden),
        rng.normal(0, 1 / np.sqrt(hidden), (hidden, k)),
        np.zeros(k),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps, l2 = 0.01, 0.9, 0.999, 1e-8, 1e-4
    for step in range(1, epochs + 1):
        w1, bb1, w2, bb2 = params
        h = np.tanh(xs @ w1 + bb1)
        logits = h @ w2 + bb2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        d_logits = (p - onehot) * sample_w[:, None]
        g_w2 = h.T @ d_logits + l2 * w2
        g_b2 = d_logits.sum(axis=0)
        d_h = (d_logits @ w2.T) * (1 - h**2)
        g_w1 = xs.T @ d_h + l2 * w1
        g_b1 = d_h.sum(axis=0)
        for i, g in enumerate((g_w1, g_b1, g_w2, g_b2)):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            params[i] = params[i] - lr * (m[i] / (1 - b1**step)) / (np.sqrt(v[i] / (1 - b2**step)) + eps)
    return VisemeClassifier(mean, scale, params[0], params[1], params[2], params[3], cep_mean)


def clip_inputs(features: FeatureStream, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stacked inputs for every frame of a whole clip and each frame's centre sample: exactly what
    the live tracker classifies (stream edges padded with quiet frames)."""
    parts = [features.push(audio), features.finish()]
    ceps = np.concatenate([p[0] for p in parts])
    rel = np.concatenate([p[1] for p in parts])
    count = min(len(ceps), -(-len(audio) // features.hop))
    pad = np.zeros((LOOKAHEAD, ceps.shape[1]))
    x = stack_context(
        np.concatenate([pad, ceps[:count], pad]),
        np.concatenate([np.full(LOOKAHEAD, PAD_DB), rel[:count], np.full(LOOKAHEAD, PAD_DB)]),
    )
    return x, np.arange(count) * features.hop
