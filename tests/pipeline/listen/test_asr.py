"""Whisper transcription of English (project TTS) and Mandarin (espeak-ng from pinyin), simplified."""

from __future__ import annotations

import re

import numpy as np
import pytest

from pipeline.inbox.normalize import to_simplified
from pipeline.listen.asr import WhisperTranscriber, tidy

from .conftest import SR, mandarin, speak


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def overlap(expected: str, got: str) -> float:
    """Share of the expected characters (Chinese) found in order-insensitive multiset terms."""
    exp = [c for c in expected if "\u4e00" <= c <= "\u9fff"]
    pool = list(got)
    hit = 0
    for c in exp:
        if c in pool:
            pool.remove(c)
            hit += 1
    return hit / len(exp)


def test_english_from_the_project_tts(transcriber: WhisperTranscriber, tts) -> None:  # type: ignore[no-untyped-def]
    text = "Welcome back everyone, today we are testing the new camera."
    audio = speak(tts, text)
    tr = transcriber.transcribe(audio)
    assert tr.language == "en" and tr.language_probability > 0.8
    got, want = words(tr.text), words(text)
    assert sum(w in got for w in want) >= len(want) - 1, tr.text
    assert tr.seconds < tr.audio_s  # faster than real time (a sanity bound, not a benchmark)


@pytest.mark.parametrize("sentence", ["我们现在开始上课。", "请问这个商品多少钱？"])
def test_mandarin_comes_out_in_simplified_characters(transcriber: WhisperTranscriber, sentence: str) -> None:
    tr = transcriber.transcribe(mandarin(sentence))
    assert tr.language == "zh", tr
    assert tr.text == to_simplified(tr.text), tr.text  # no traditional characters left
    assert overlap(sentence, tr.text) >= 0.5, tr.text


def test_language_can_be_forced(transcriber: WhisperTranscriber, tts) -> None:  # type: ignore[no-untyped-def]
    tr = transcriber.transcribe(speak(tts, "Thank you so much."), language="en")
    assert tr.language == "en" and tr.language_probability == 1.0


def test_silence_gives_no_words(transcriber: WhisperTranscriber) -> None:
    assert transcriber.transcribe(np.zeros(SR * 2, np.float32)).text == ""


def test_tidy_cuts_loops_and_simplifies() -> None:
    assert tidy("欢迎来到我家公主公主公主公主公主公主", "zh") == "欢迎来到我家公主"
    assert tidy("這個產品多少錢", "zh") == "这个产品多少钱"
    assert tidy(" thank you thank you thank you thank you thank you", "en") == "thank you"
    assert tidy("Hello there.", "en") == "Hello there."
