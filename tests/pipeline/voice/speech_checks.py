"""Measures the voice tests share: Whisper transcription and word error rate."""

from __future__ import annotations

import re

import numpy as np

from pipeline.voice.resample import resample
from pipeline.voice.text_normalize import normalize_for_speech


def words_of(text: str) -> list[str]:
    """Comparable words: numbers spelled out, lower case, punctuation and hyphens gone."""
    spoken = normalize_for_speech(text, "en").lower().replace("-", " ")
    return re.findall(r"[a-z']+", spoken)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words / reference length."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return float(d[len(hyp)]) / max(1, len(ref))


def transcribe(model, audio: np.ndarray, sample_rate: int) -> str:
    """English transcript of ``audio`` by a faster-whisper model."""
    pcm = resample(audio, sample_rate, 16000)
    segments, _ = model.transcribe(pcm, language="en", beam_size=1, vad_filter=False)
    return " ".join(s.text.strip() for s in segments)
