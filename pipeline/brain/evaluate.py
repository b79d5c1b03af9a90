"""Scoring the emotion reader on a labelled set (text<TAB>label): accuracy, macro-F1, confusions."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.brain.emotion_reader import EmotionReader
from pipeline.emotion import EMOTIONS, Emotion


def load_labelled(path: Path) -> list[tuple[str, Emotion]]:
    """Rows of a TSV with a ``text``/``label`` header; raises ValueError naming a bad line."""
    rows: list[tuple[str, Emotion]] = []
    with Path(path).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for number, row in enumerate(reader, start=2):
            try:
                rows.append((row["text"].strip(), Emotion(row["label"].strip())))
            except (KeyError, ValueError, AttributeError):
                raise ValueError(f"{path}:{number}: expected text<TAB>label with a known emotion") from None
    return rows


@dataclass(frozen=True, slots=True)
class Score:
    accuracy: float
    macro_f1: float
    per_label_f1: dict[Emotion, float]
    confusions: dict[tuple[Emotion, Emotion], int]
    n: int


def score(truth: Sequence[Emotion], predicted: Sequence[Emotion]) -> Score:
    """Accuracy and macro-F1 over the labels present in ``truth``."""
    if len(truth) != len(predicted) or not truth:
        raise ValueError("need two equally long, non-empty label lists")
    labels = [e for e in EMOTIONS if e in set(truth)]
    per: dict[Emotion, float] = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t is label and p is label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t is not label and p is label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t is label and p is not label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    confusions = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t is not p)
    accuracy = sum(1 for t, p in zip(truth, predicted, strict=True) if t is p) / len(truth)
    return Score(accuracy, sum(per.values()) / len(per), per, dict(confusions), len(truth))


def evaluate_reader(reader: EmotionReader, rows: Sequence[tuple[str, Emotion]]) -> Score:
    """Read every line and score the result."""
    readings = reader.read_many([text for text, _ in rows])
    return score([label for _, label in rows], [r.emotion for r in readings])
