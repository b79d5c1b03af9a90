"""XTTS-v2 voice cloning is an optional extra whose weights cannot exist here (they are not on PyPI):
these tests check that each missing piece is named clearly, before anything heavy is loaded."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.voice.factory import build_engine
from pipeline.voice.wav import encode_wav
from pipeline.voice.xtts_engine import REQUIRED_FILES, XttsUnavailable

HAS_TTS = importlib.util.find_spec("TTS") is not None


def clip(path: Path, seconds: float) -> Path:
    t = np.arange(int(seconds * 16000)) / 16000
    path.write_bytes(encode_wav((0.2 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), 16000))
    return path


def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "XTTS-v2"
    folder.mkdir()
    for name in REQUIRED_FILES:
        (folder / name).write_bytes(b"{}")
    return folder


def test_missing_model_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "XTTS-v2"
    with pytest.raises(XttsUnavailable, match=re.escape(str(missing))):
        build_engine("xtts", str(missing), reference=clip(tmp_path / "ref.wav", 5))


def test_incomplete_model_folder_names_the_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "XTTS-v2"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.raises(XttsUnavailable, match=re.escape("model.pth, vocab.json")):
        build_engine("xtts", str(folder), reference=clip(tmp_path / "ref.wav", 5))


def test_reference_clip_must_exist_and_last_3_to_10_s(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    with pytest.raises(ValueError, match="reference clip"):
        build_engine("xtts", str(folder))
    with pytest.raises(FileNotFoundError, match=re.escape("absent.wav")):
        build_engine("xtts", str(folder), reference=tmp_path / "absent.wav")
    with pytest.raises(ValueError, match=re.escape("1.0 s")):
        build_engine("xtts", str(folder), reference=clip(tmp_path / "short.wav", 1.0))
    with pytest.raises(ValueError, match=re.escape("12.0 s")):
        build_engine("xtts", str(folder), reference=clip(tmp_path / "long.wav", 12.0))


@pytest.mark.skipif(HAS_TTS, reason="the xtts extra is installed here")
def test_missing_extra_is_named(tmp_path: Path) -> None:
    with pytest.raises(XttsUnavailable, match=r"moodcam\[xtts\]"):
        build_engine("xtts", str(model_folder(tmp_path)), reference=clip(tmp_path / "ref.wav", 5))


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="piper, openai or xtts"):
        build_engine("espeak")
