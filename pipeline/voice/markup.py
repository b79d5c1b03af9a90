"""Remove what must never be read aloud: markup, code, URLs and emoji, keeping the words around them."""

from __future__ import annotations

import html
import re
import unicodedata

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_HTML_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>()\[\]{}\"'，。！？]+", re.I)
_BARE_DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|cn|co|tv|me|app|shop|dev)(?:/[^\s]*)?\b", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_INLINE_CODE = re.compile(r"`+([^`]*)`+")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3}|~~)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.M)
_QUOTE = re.compile(r"^\s*>\s?", re.M)
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$", re.M)
_HASHTAG = re.compile(r"(?<![\w&])#(?=[^\s\d#])")
_MENTION = re.compile(r"(?<![\w])@(?=\w)")
_SPACES = re.compile(r"[ \t\u3000]+")


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    if cp in (0x200D, 0x20E3, 0xFE0F, 0xFE0E):  # joiner, keycap, variation selectors
        return True
    if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x1F1E6 <= cp <= 0x1F1FF:
        return True
    if 0xE0020 <= cp <= 0xE007F:  # tag characters (flag sequences)
        return True
    return unicodedata.category(ch) == "So" and cp > 0x2100 and ch not in "℃℉°™®©"


def strip_emoji(text: str) -> str:
    """Text without emoji, pictographs, flags, skin tones and joiners."""
    return "".join(" " if _is_emoji(ch) else ch for ch in text)


def strip_markup(text: str) -> str:
    """Plain speakable text: drops code blocks, URLs, e-mail addresses, HTML and markdown syntax and
    emoji; keeps link texts, emphasised words and inline code words."""
    text = _CODE_BLOCK.sub(" ", text)
    text = _HTML_COMMENT.sub(" ", text)
    text = _HTML_DROP.sub(" ", text)
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub(" ", text)
    text = html.unescape(text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _BARE_DOMAIN.sub(" ", text)
    text = _INLINE_CODE.sub(r"\1", text)
    for _ in range(2):  # nested ***bold italic*** and **_both_**
        text = _EMPHASIS.sub(r"\2", text)
    text = _RULE.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    text = _QUOTE.sub("", text)
    text = _HASHTAG.sub("", text)
    text = _MENTION.sub("", text)
    text = strip_emoji(text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)
