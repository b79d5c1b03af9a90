"""The stream's language: drives ASR, text normalisation, sentence splitting and prompts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from daemon.config.base import Section


class LanguageConfig(Section):
    code: Literal["en", "zh"] = Field(
        "en", title="Language", description="Main language of the stream: `en` English, `zh` Chinese."
    )
    also_understand: list[Literal["en", "zh"]] = Field(
        default_factory=list,
        max_length=2,
        title="Also understand",
        description="Other languages accepted from chat and the microphone (replies stay in `code`).",
    )
