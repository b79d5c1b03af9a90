"""Shared fixtures for listening tests: a private PulseAudio with a null sink (the microphone is its
monitor), the project's own TTS for test speech, espeak-ng for Mandarin, and one loaded Whisper."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pipeline.voice.resample import resample
from tests.servers import private_pulse, use_pulse

SR = 16000


@pytest.fixture(scope="package")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private ``pulseaudio -n`` with only a null sink ``vsink`` (default sink; its monitor is the
    default source), reachable through PULSE_SERVER for the duration of the tests."""
    if shutil.which("pulseaudio") is None:
        pytest.fail("Debian package pulseaudio is required")
    with private_pulse(tmp_path_factory.mktemp("pulse"), ("vsink",)) as server, use_pulse(server):
        subprocess.run(["pactl", "set-default-source", "vsink.monitor"], check=True, env=server.env)
        yield server.server


def play(audio: np.ndarray, rate: int = SR) -> float:
    """Play mono ``audio`` into the PulseAudio default sink (48 kHz stereo); returns the monotonic time
    the call started.  Blocks until played."""
    import sounddevice as sd

    x = resample(audio, rate, 48000)
    started = time.monotonic()
    sd.play(np.stack([x, x], axis=1), 48000, device="pulse", blocking=True)
    return started


@pytest.fixture(scope="package")
def tts():  # type: ignore[no-untyped-def]
    """The project's own English TTS (embedded piper voice)."""
    from pipeline.voice.piper_engine import PiperEngine

    engine = PiperEngine("embedded")
    yield engine
    engine.close()


def speak(engine, text: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """16 kHz mono speech for ``text`` from the project's TTS."""
    parts = [u for u in engine.stream(text)]
    audio = np.concatenate([u.audio for u in parts]).astype(np.float32)
    return resample(audio, parts[0].sample_rate, SR)


def espeak(text: str, voice: str, speed: int = 130) -> np.ndarray:
    """16 kHz mono speech from Debian espeak-ng (a second, different voice; Mandarin from pinyin)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("Debian package espeak-ng is required (apt-get install espeak-ng)")

    import tempfile
    import wave

    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", f.name, text], check=True)
        with wave.open(f.name, "rb") as w:
            assert w.getsampwidth() == 2 and w.getnchannels() == 1
            rate = w.getframerate()
            audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    return resample(audio, rate, SR)


def mandarin(text: str) -> np.ndarray:
    """Mandarin speech for Chinese ``text``: espeak-ng's Debian dictionary lacks most characters, so
    the text goes in as tone-numbered pinyin (pypinyin) to the ``cmn-latn-pinyin`` voice."""
    from pypinyin import Style, lazy_pinyin

    pinyin = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
    return espeak(pinyin, "cmn-latn-pinyin")


@pytest.fixture(scope="package")
def whisper_dir() -> Path:
    from pipeline.listen.whisper_model import whisper_model_dir

    return whisper_model_dir("base")


@pytest.fixture(scope="package")
def transcriber(whisper_dir: Path):  # type: ignore[no-untyped-def]
    from pipeline.listen.asr import WhisperTranscriber

    return WhisperTranscriber(whisper_dir, languages=("en", "zh"), cpu_threads=2)
