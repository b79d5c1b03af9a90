"""Shared, expensive fixtures: one piper voice and one Whisper model for the whole test run."""

from __future__ import annotations

import pytest

from pipeline.voice.piper_engine import PiperEngine


@pytest.fixture(scope="session")
def piper_engine() -> PiperEngine:
    """The embedded English voice (real model, loaded from the installed package)."""
    return PiperEngine("embedded")


@pytest.fixture(scope="session")
def whisper():
    """Whisper base (int8) from the PyPI model packages."""
    from faster_whisper import WhisperModel

    from pipeline.listen.whisper_model import whisper_model_dir

    return WhisperModel(str(whisper_model_dir("base")), device="cpu", compute_type="int8", cpu_threads=2)
