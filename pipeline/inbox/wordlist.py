"""A blocked-word list that still matches when chat disguises the word.

Latin entries match whole words, words split by spaces or dots (``f u c k``), leetspeak, look-alike
letters, stretched letters (``fuuuck``) and ``*`` masks (``f*ck``).  Entries of four letters or more
also match inside a longer word (``motherfucker``, ``bullshit``) unless that word is a known
innocent one (``scunthorpe``).  An entry written ``*word*`` matches anywhere inside a word.
Chinese entries match with any separators between characters, in traditional characters, and by
toneless pinyin: homophone characters (``沙比`` for ``傻逼``) or the pinyin spelled out (``sha bi``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.inbox.normalize import (
    cjk_compact,
    collapse_runs,
    fold,
    has_cjk,
    latin_tokens,
    pinyin_stream,
    pinyin_syllables,
    skeleton,
)

# Innocent words that contain a common swear word.
INNOCENT_WORDS = frozenset(
    skeleton(w)
    for w in (
        "scunthorpe", "cocktail", "cocktails", "peacock", "hancock", "shitake", "shiitake", "analysis",
        "analyst", "canal", "therapist", "therapists", "grapes", "grape", "drape", "drapes", "skyscraper",
        "scrape", "scraper", "cockpit", "cockroach", "assassin", "assistant", "passion", "classic",
        "hello", "shell", "shellfish", "dickens", "document", "sussex", "essex", "cumulative",
        "spicy", "butter", "button", "buttons", "basement", "bassist", "embassy", "titanic", "title",
    )
)  # fmt: skip

_MAX_WINDOW = 8  # tokens joined when looking for a word split by spaces


@dataclass(frozen=True, slots=True)
class WordHit:
    """Which list entry matched and how (for the moderation log)."""

    entry: str
    how: str


class WordList:
    """Compiled matcher over a profile's blocked words and phrases."""

    def __init__(self, words: Iterable[str]) -> None:
        self._exact: dict[str, str] = {}
        self._collapsed: dict[str, str] = {}
        self._affix: dict[str, str] = {}
        self._anywhere: dict[str, str] = {}
        self._cjk: dict[str, str] = {}
        self._pinyin: dict[str, str] = {}
        for raw in words:
            entry = raw.strip()
            if entry:
                self._add(entry)
        longest = max((len(k) for k in self._exact), default=0)
        self._max_join = max(longest, 1)

    def __len__(self) -> int:
        return len(self._exact) + len(self._anywhere) + len(self._cjk)

    def _add(self, entry: str) -> None:
        folded = fold(entry)
        if has_cjk(folded):
            self._cjk[cjk_compact(folded)] = entry
            syllables = pinyin_syllables(folded)
            if len(syllables) >= 2:  # one syllable has too many innocent homophones
                self._pinyin["".join(syllables)] = entry
            return
        anywhere = folded.startswith("*") and folded.endswith("*") and len(folded) > 2
        key = "".join(t.replace("*", "") for t in latin_tokens(folded.strip("*")))
        if not key:
            return
        if anywhere:
            self._anywhere[key] = entry
            return
        self._exact[key] = entry
        self._collapsed.setdefault(collapse_runs(key), entry)
        if len(key) >= 4:
            self._affix[key] = entry

    def find(self, text: str, folded: str | None = None) -> WordHit | None:
        """The first blocked entry hidden in ``text``, or None."""
        folded = fold(text) if folded is None else folded
        if self._exact or self._anywhere:
            hit = self._find_latin(latin_tokens(folded))
            if hit:
                return hit
        if self._cjk:
            return self._find_cjk(folded)
        return None

    def _find_latin(self, tokens: list[str]) -> WordHit | None:
        n = len(tokens)
        for i in range(n):
            joined = ""
            for j in range(i, min(n, i + _MAX_WINDOW)):
                joined += tokens[j]
                if len(joined) > self._max_join + 16:
                    break
                hit = self._match_candidate(joined, single=(j == i))
                if hit:
                    return hit
        return None

    def _match_candidate(self, cand: str, *, single: bool) -> WordHit | None:
        if "*" in cand:
            return self._match_mask(cand)
        if cand in self._exact:
            return WordHit(self._exact[cand], "word")
        collapsed = collapse_runs(cand)
        if len(cand) > len(collapsed) and collapsed in self._collapsed:
            entry = self._collapsed[collapsed]
            if len(cand) > len(skeleton_key(entry)):
                return WordHit(entry, "stretched")
        for key, entry in self._anywhere.items():
            if key in cand:
                return WordHit(entry, "inside a word")
        if single and cand not in INNOCENT_WORDS:
            for key, entry in self._affix.items():
                if len(cand) > len(key) and key in cand:
                    return WordHit(entry, "compound")
        return None

    def _match_mask(self, cand: str) -> WordHit | None:
        stripped = cand.strip("*")
        if len(stripped) < 2 or cand.count("*") > len(cand) // 2:
            return None
        pattern = re.compile(re.escape(cand).replace(r"\*", "[a-z]"))
        for key, entry in self._exact.items():
            if len(key) == len(cand) and pattern.fullmatch(key):
                return WordHit(entry, "masked")
        return None

    def _find_cjk(self, folded: str) -> WordHit | None:
        compact = cjk_compact(folded)
        for key, entry in self._cjk.items():
            if key in compact:
                return WordHit(entry, "characters")
        if not self._pinyin:
            return None
        stream, bounds = pinyin_stream(folded)
        for key, entry in self._pinyin.items():
            start = stream.find(key)
            while start >= 0:
                if start in bounds and start + len(key) in bounds:
                    return WordHit(entry, "pinyin")
                start = stream.find(key, start + 1)
        return None


def skeleton_key(entry: str) -> str:
    """The matching key of a Latin entry."""
    return "".join(t.replace("*", "") for t in latin_tokens(fold(entry).strip("*")))
