"""Identical recent questions are answered again from a short-lived cache (no LLM call)."""

from __future__ import annotations

import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Case, width, punctuation, emoji and spacing do not make a question different."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOISE.sub("", folded)


class AnswerCache(Generic[T]):
    """Normalised question -> answer, kept for ``ttl`` seconds, at most ``size`` entries."""

    def __init__(self, ttl: float, size: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def get(self, question: str) -> T | None:
        key = normalise(question)
        item = self._items.get(key)
        if item is None:
            return None
        stored, value = item
        if self._clock() - stored > self.ttl:
            del self._items[key]
            return None
        return value

    def put(self, question: str, answer: T) -> None:
        key = normalise(question)
        if not key or self.ttl <= 0:
            return
        self._items[key] = (self._clock(), answer)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def drop(self, question: str) -> None:
        self._items.pop(normalise(question), None)

    def __len__(self) -> int:
        return len(self._items)
