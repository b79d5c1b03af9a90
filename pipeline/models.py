"""Locate model files that PyPI packages carry inside their wheels (no hub downloads, ever)."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import os
from pathlib import Path


class ModelNotFound(FileNotFoundError):
    """An embedded model is missing: names the package to install."""


def package_file(distribution: str, pattern: str) -> Path:
    """The first file of installed ``distribution`` whose path matches ``pattern`` (fnmatch).

    Raises ModelNotFound naming the package when it is not installed or holds no such file.
    """
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFound(f"package {distribution!r} is not installed (pip install {distribution})") from None
    for entry in dist.files or ():
        if fnmatch.fnmatch(str(entry), pattern):
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    raise ModelNotFound(f"package {distribution!r} holds no file matching {pattern!r}")


def moodcam_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/moodcam`` or ``~/.cache/moodcam``: files derived from local models and
    photos (prepared faces, prototype embeddings, an assembled Whisper model), never downloads."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "moodcam"
