"""The base every profile section builds on: unknown keys are errors, every field is documented."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A profile section: forbids unknown keys, validates on assignment, is immutable once loaded."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
        str_strip_whitespace=True,
    )
