"""File fields: relative paths resolve against the profile's folder and must exist at load time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo


def _resolve(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = value.expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    return path.resolve()


ExistingFile = Annotated[Path, AfterValidator(_resolve)]
"""A path to a file that exists, relative to the profile's folder when not absolute."""
