"""Silero VAD (faster-whisper's ONNX) on real speech from the project's TTS, and turn timing."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.listen.turns import TurnDetector, TurnEventKind
from pipeline.listen.vad import WINDOW, SileroVad, VoiceActivity, silero_model_path

from .conftest import SR, speak


@pytest.fixture(scope="module")
def speech(tts) -> np.ndarray:  # type: ignore[no-untyped-def]
    return speak(tts, "Good evening everyone, thanks for joining the stream tonight.")


def probs_of(vad, audio: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    n = audio.size // WINDOW
    return np.array([vad(audio[i * WINDOW : (i + 1) * WINDOW]) for i in range(n)])


def test_model_is_the_one_faster_whisper_ships() -> None:
    path = silero_model_path()
    assert path.name == "silero_vad_v6.onnx" and "faster_whisper" in str(path)


def test_speech_scores_high_silence_and_noise_low(speech: np.ndarray) -> None:
    vad = SileroVad()
    p_speech = probs_of(vad, speech)
    vad.reset()
    p_silence = probs_of(vad, np.zeros(SR, np.float32))
    vad.reset()
    noise = np.random.default_rng(1).normal(0, 0.02, SR * 2).astype(np.float32)
    p_noise = probs_of(vad, noise)
    assert np.mean(p_speech > 0.5) > 0.6
    assert p_silence.max() < 0.1
    assert np.mean(p_noise > 0.5) < 0.05


def test_webrtc_gate_skips_silence_but_not_speech(speech: np.ndarray) -> None:
    gated = VoiceActivity(prefilter=True)
    audio = np.concatenate([np.zeros(SR, np.float32), speech, np.zeros(SR, np.float32)])
    p = probs_of(gated, audio)
    assert gated.skipped >= SR // WINDOW  # the leading second of silence never reached the network
    plain = probs_of(SileroVad(), audio)
    assert np.mean((p > 0.5) == (plain > 0.5)) > 0.95


def test_end_of_turn_timing_on_real_speech(speech: np.ndarray) -> None:
    head, tail = SR, 2 * SR
    audio = np.concatenate([np.zeros(head, np.float32), speech, np.zeros(tail, np.float32)])
    voiced = np.nonzero(np.abs(speech) > 0.02)[0]
    true_start, true_end = head + voiced[0], head + voiced[-1]
    det = TurnDetector(min_speech_ms=250, end_of_turn_ms=400)
    vad = VoiceActivity()
    events = []
    for i in range(audio.size // WINDOW):
        events += det.push(vad(audio[i * WINDOW : (i + 1) * WINDOW]))
    kinds = [e.kind for e in events]
    assert kinds.count(TurnEventKind.START) == 1 and kinds.count(TurnEventKind.END) == 1
    start = next(e for e in events if e.kind == TurnEventKind.START)
    end = next(e for e in events if e.kind == TurnEventKind.END)
    ms = 1000 / SR
    assert 250 <= (start.sample - true_start) * ms <= 450  # min speech + at most a few windows
    assert abs(end.end - true_end) * ms <= 200  # speech end found within 200 ms
    assert 400 <= (end.sample - true_end) * ms <= 650  # turn closes after the silence threshold


def test_click_is_not_a_turn() -> None:
    t = np.arange(int(0.08 * SR)) / SR
    click = (0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    audio = np.concatenate([np.zeros(SR // 2, np.float32), click, np.zeros(SR, np.float32)])
    det = TurnDetector(min_speech_ms=250, end_of_turn_ms=400)
    vad = VoiceActivity()
    events = []
    for i in range(audio.size // WINDOW):
        events += det.push(vad(audio[i * WINDOW : (i + 1) * WINDOW]))
    assert TurnEventKind.START not in [e.kind for e in events]
