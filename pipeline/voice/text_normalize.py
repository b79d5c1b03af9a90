"""One entry point for speech text: strip what must not be read, then spell numbers in the language."""

from __future__ import annotations

from typing import Literal

from pipeline.voice.markup import strip_markup
from pipeline.voice.text_normalize_en import normalize_en
from pipeline.voice.text_normalize_zh import normalize_zh

Language = Literal["en", "zh", "auto"]


def guess_language(text: str) -> Literal["en", "zh"]:
    """``zh`` when CJK characters make up a fair share of the letters, else ``en``."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "zh" if cjk and cjk * 3 >= latin else "en"


def normalize_for_speech(text: str, lang: Language = "en") -> str:
    """Text a TTS engine can read as a host would say it.

    Emoji, URLs, e-mail addresses, code blocks, HTML and markdown syntax are dropped (link texts and
    emphasised words stay); prices, percentages, units, dates, times and numbers become words.
    """
    plain = strip_markup(text)
    language = guess_language(plain) if lang == "auto" else lang
    if language == "zh":
        return normalize_zh(plain)
    return normalize_en(plain)
