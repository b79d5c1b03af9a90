"""Visemes from audio alone (live voice, engines without alignments), checked against piper's exact
phoneme timing on sentences the classifier never trained on."""

from __future__ import annotations

import numpy as np
import pytest
from piper import SynthesisConfig

from pipeline.visemes import Viseme, VisemeKey
from pipeline.voice.alignment_visemes import visemes_from_alignment
from pipeline.voice.audio_visemes import AudioVisemeTracker, visemes_from_audio
from pipeline.voice.piper_engine import PiperEngine
from pipeline.voice.pitch_tempo import psola
from pipeline.voice.resample import resample
from pipeline.voice.viseme_training import HELD_OUT, TRAIN_SENTENCES

OPEN = {Viseme.AA, Viseme.E, Viseme.I, Viseme.O, Viseme.U}
UNSEEN = (*HELD_OUT, "Bring me the maple syrup and a warm blanket, please.")


def covering(keys: list[VisemeKey], sample: int) -> set[Viseme]:
    return {k.viseme for k in keys if k.start <= sample < k.end}


@pytest.fixture(scope="module")
def clips(piper_engine: PiperEngine) -> list[tuple[np.ndarray, int, list[VisemeKey]]]:
    """(audio, rate, exact visemes) for unseen sentences, as is, a higher voice at 16 kHz and a
    lower one at 48 kHz."""
    assert not set(UNSEEN) & set(TRAIN_SENTENCES)
    out = []
    for i, text in enumerate(UNSEEN):
        chunk = next(iter(piper_engine.voice.synthesize(text, SynthesisConfig(), include_alignments=True)))
        sr = chunk.sample_rate
        audio = chunk.audio_float_array.astype(np.float32)
        truth = visemes_from_alignment(
            [(a.phoneme, a.num_samples) for a in chunk.phoneme_alignments], sr, min_closure_s=0.0, overlap_s=0.0
        )
        semitones, rate = [(0, sr), (4, 16000), (-3, 48000)][i % 3]
        if semitones:
            audio = psola(audio, sr, pitch_factor=2 ** (semitones / 12))
        if rate != sr:
            ratio = rate / sr
            audio = resample(audio, sr, rate)
            truth = [VisemeKey(round(k.start * ratio), round(k.end * ratio), k.viseme) for k in truth]
        out.append((audio, rate, truth))
    return out


def test_mouth_shut_in_silence_open_on_vowels_closed_on_mbp(clips) -> None:
    silent = opened = closed = 0
    n_silent = n_vowels = n_mbp = 0
    for audio, sr, truth in clips:
        keys = visemes_from_audio(audio, sr)
        assert keys[0].start == 0 and keys[-1].end == len(audio)
        for k in truth:
            middle = (k.start + k.end) // 2
            got = covering(keys, middle)
            if k.viseme is Viseme.SILENCE and k.end - k.start > 0.1 * sr:
                n_silent += 1
                silent += got == {Viseme.SILENCE}
            elif k.viseme in OPEN:
                n_vowels += 1
                opened += bool(got & OPEN)
            elif k.viseme is Viseme.MBP:
                n_mbp += 1
                slack = round(0.02 * sr)
                closed += any(
                    o.viseme is Viseme.MBP and o.start < k.end + slack and o.end > k.start - slack for o in keys
                )
    assert n_silent >= 8 and n_vowels >= 60 and n_mbp >= 15
    assert silent / n_silent >= 0.95
    assert opened / n_vowels >= 0.75
    assert closed / n_mbp >= 0.6


def test_closures_last_a_frame(clips) -> None:
    for audio, sr, _ in clips:
        for k in visemes_from_audio(audio, sr):
            if k.viseme is Viseme.MBP:
                assert k.end - k.start >= sr / 30 - 1


def test_live_stream_in_small_blocks_matches_whole_clip(clips) -> None:
    audio, sr, _ = clips[0]
    whole = visemes_from_audio(audio, sr)
    tracker = AudioVisemeTracker(sr)
    rng = np.random.default_rng(3)
    keys: list[VisemeKey] = []
    pos = 0
    latest_lag = 0
    while pos < len(audio):
        step = int(rng.integers(64, 2048))
        block = audio[pos : pos + step]
        pos += len(block)
        new = tracker.feed(block)
        keys += new
        held = len(tracker._ceps)  # frames kept for context: bounded, whatever the stream's length
        assert held <= 2 * 4 + 2048 // tracker.hop + 2
        if new:
            latest_lag = max(latest_lag, pos - new[-1].end)
    keys += tracker.flush()
    assert keys == whole
    assert latest_lag < 0.2 * sr  # keys come out with a short delay only


def test_silence_and_hum_are_closed_mouth() -> None:
    sr = 16000
    quiet = np.random.default_rng(0).normal(0, 1e-4, sr).astype(np.float32)
    keys = visemes_from_audio(quiet, sr)
    assert {k.viseme for k in keys} == {Viseme.SILENCE}
    assert keys[0].start == 0 and keys[-1].end == sr
    assert visemes_from_audio(np.zeros(0, dtype=np.float32), sr) == []
