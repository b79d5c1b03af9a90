"""Text folding for moderation: one canonical form so obfuscated spellings compare equal.

Chat evades word lists with full-width letters, look-alike Cyrillic/Greek characters, zero-width
characters, accents, leetspeak, spacing and traditional characters.  Folding undoes those for
*matching only*; what goes on air is the scrubbed original (see ``display_text``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

# Lower-case look-alikes from Cyrillic, Greek, Armenian and IPA that render as Latin letters.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
        "ӏ": "l", "ɡ": "g", "ɑ": "a", "ɩ": "i", "ո": "n", "ս": "u", "ց": "g", "ℓ": "l",
        "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    }
)  # fmt: skip

# Leetspeak and symbol substitutions; applied identically to the word list and to the text.
# Ambiguous ones collapse (1, l, |, ! all become i) so both spellings reach the same skeleton.
_LEET = str.maketrans(
    {
        "0": "o", "1": "i", "!": "i", "|": "i", "l": "i", "3": "e", "4": "a", "@": "a", "5": "s",
        "$": "s", "7": "t", "+": "t", "8": "b", "9": "g", "€": "e",
    }
)  # fmt: skip

_T2S = OpenCC("t2s")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE_RE = re.compile(r"\s+")


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (the characters Chinese is written in)."""
    return bool(_CJK_RE.match(ch))


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def strip_invisible(text: str) -> str:
    """Remove zero-width and other format characters (category Cf) that split words invisibly."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def display_text(text: str) -> str:
    """The text as it may go on air: NFKC (full-width to ASCII), no invisible or control characters."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    return _SPACE_RE.sub(" ", text).strip()


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to simplified; other text unchanged."""
    return _T2S.convert(text) if has_cjk(text) else text


def fold(text: str) -> str:
    """Canonical form for matching: NFKC, case-folded, no accents or invisibles, look-alikes mapped,
    traditional characters simplified, whitespace collapsed."""
    text = strip_invisible(unicodedata.normalize("NFKC", text)).casefold()
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = unicodedata.normalize("NFC", text).translate(_CONFUSABLES)
    return _SPACE_RE.sub(" ", to_simplified(text)).strip()


def skeleton(token: str) -> str:
    """Leetspeak-folded form of an already folded token (``sh1t`` and ``$hit`` both give ``shit``)."""
    return token.translate(_LEET)


def collapse_runs(token: str) -> str:
    """Repeated letters once each: ``fuuuuck`` -> ``fuck``."""
    return re.sub(r"(.)\1+", r"\1", token)


# Punctuation that sits between letters to split a word (``f.u.c.k``, ``fu-ck``) is dropped;
# ``*`` is kept as a wildcard (``f*ck``).
_INTRA_RE = re.compile(r"[.\-_~'`^\"’‘“”·•:;,/\\=]+")
_EDGE = r"\s?.,;:()\[\]{}<>\"'“”‘’「」『』、。，！？…~"
_EDGE_RE = re.compile(rf"^[{_EDGE}]+|[{_EDGE}!]+$")
_TOKEN_CHARS_RE = re.compile(r"[a-z0-9@$!|+€ß*]+")


def latin_tokens(folded: str) -> list[str]:
    """Word-like tokens of folded text in skeleton form; CJK and other scripts are separators."""
    out: list[str] = []
    for raw in _SPACE_RE.split(folded):
        raw = _EDGE_RE.sub("", raw)
        if not raw:
            continue
        for piece in _TOKEN_CHARS_RE.findall(_INTRA_RE.sub("", raw)):
            out.append(skeleton(piece))
    return out


def cjk_compact(folded: str) -> str:
    """Only the CJK characters of folded text, so ``傻 逼`` and ``傻.逼`` read as one word."""
    return "".join(ch for ch in folded if is_cjk(ch))


@lru_cache(maxsize=4096)
def pinyin_syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin of each CJK character of ``text`` (homophones share it)."""
    return tuple(s for s in lazy_pinyin(cjk_compact(text), style=Style.NORMAL, errors="ignore") if s)


_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS_RE = re.compile(rf"[{_HAN}]+|[a-z]+|[^a-z{_HAN}]+")


def pinyin_stream(folded: str) -> tuple[str, frozenset[int]]:
    """Letters of the text with every CJK character replaced by its pinyin, and the offsets where a
    syllable or a Latin word starts or ends (matches must sit on those boundaries)."""
    letters: list[str] = []
    bounds: set[int] = {0}
    pos = 0
    for run in _RUNS_RE.findall(folded):
        if is_cjk(run[0]):
            for syl in lazy_pinyin(run, style=Style.NORMAL, errors="ignore"):
                letters.append(syl)
                pos += len(syl)
                bounds.add(pos)
        elif run[0].isascii() and run[0].isalpha():
            letters.append(run)
            pos += len(run)
            bounds.add(pos)
    return "".join(letters), frozenset(bounds)
