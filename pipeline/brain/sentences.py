"""Streaming sentence cutter for English and Chinese: text in as tokens, whole sentences out.

A sentence is released as soon as the character after its end arrives (that character tells a
decimal point or an abbreviation from a full stop), so speech can start before the reply is done.
"""

from __future__ import annotations

import re

HARD_ENDS = frozenset("。！？!?；;…\n")
CLOSERS = frozenset("\"'”’)）」』】]》")
SOFT_BREAKS = "，,、：:—"
CLAUSE_MARKS = "，,、：:"
ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "no", "approx", "jr", "sr", "inc", "ltd", "co")
)
_WORDISH = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


class SentenceCutter:
    """Feed text pieces; get complete sentences back. ``flush`` at the end of the reply."""

    def __init__(self, max_chars: int = 160, min_chars: int = 2, first_clause_chars: int = 0) -> None:
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.first_clause_chars = first_clause_chars
        self._released = False  # has anything been released yet (the first clause may go early)
        self._buf = ""
        self._carry = ""  # a too-short sentence waiting to be joined to the next one

    @property
    def pending(self) -> str:
        """Text received but not yet released as a sentence."""
        return self._carry + self._buf

    def feed(self, text: str) -> list[str]:
        self._buf += text
        out: list[str] = []
        while True:
            cut = self._find_end(final=False)
            if cut is None:
                cut = self._soft_cut()
            if cut is None and not self._released and self.first_clause_chars > 0:
                cut = self._first_clause_cut()
            if cut is None:
                break
            self._emit(self._buf[:cut], out)
            self._released = self._released or bool(out)
            self._buf = self._buf[cut:]
        return out

    def flush(self) -> list[str]:
        out: list[str] = []
        while self._buf.strip():
            cut = self._find_end(final=True) or len(self._buf)
            self._emit(self._buf[:cut], out, final=cut >= len(self._buf.rstrip()))
            self._buf = self._buf[cut:]
        self._buf = ""
        if self._carry.strip():
            out.append(self._carry.strip())
        self._carry = ""
        return out

    def _emit(self, piece: str, out: list[str], final: bool = False) -> None:
        sentence = (self._carry + piece.lstrip()).strip()
        self._carry = ""
        if not sentence:
            return
        if len(_WORDISH.findall(sentence)) < self.min_chars and not final:
            self._carry = sentence + ("" if _is_cjk(sentence[-1]) else " ")
            return
        out.append(sentence)

    def _find_end(self, final: bool) -> int | None:
        """Index just past the first complete sentence in the buffer, if one is known to be complete."""
        buf = self._buf
        for i, ch in enumerate(buf):
            if ch in HARD_ENDS or ch == ".":
                j = i + 1
                while j < len(buf) and (buf[j] in HARD_ENDS or buf[j] == "." or buf[j] in CLOSERS):
                    j += 1
                if j >= len(buf):
                    return j if final else None  # the next character decides
                if ch == "." and not self._full_stop(buf, i, j):
                    continue
                if ch in "!?;" and not (buf[j].isspace() or _is_cjk(buf[j])):
                    continue  # "Yahoo!Japan", "?x": not an end
                return j
        return None

    @staticmethod
    def _full_stop(buf: str, i: int, j: int) -> bool:
        nxt = buf[j]
        if j == i + 1 and i > 0 and buf[i - 1].isdigit() and nxt.isdigit():
            return False  # 3.50
        if not (nxt.isspace() or _is_cjk(nxt)):
            return False  # example.com, e.g.x
        word = re.search(r"([A-Za-z.]+)\.$", buf[: i + 1])
        if word:
            token = word.group(1).lower()
            if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha() and buf[i - 1].isupper()):
                return False  # Dr. Smith, J. K.
        return True

    def _first_clause_cut(self) -> int | None:
        """Just past the first clause mark with ``first_clause_chars`` letters before it, once the
        character after it has arrived (a digit there means "3,000", not a clause)."""
        buf = self._buf
        for i, ch in enumerate(buf[:-1]):
            if ch not in CLAUSE_MARKS:
                continue
            if ch in ",:" and i > 0 and buf[i - 1].isdigit() and buf[i + 1].isdigit():
                continue
            if len(_WORDISH.findall(self._carry + buf[:i])) >= self.first_clause_chars:
                return i + 1
        return None

    def _soft_cut(self) -> int | None:
        """A long run without an end is cut at its last comma so speech is not held back."""
        if len(self._buf) <= self.max_chars:
            return None
        head = self._buf[: self.max_chars]
        pos = max(head.rfind(c) for c in SOFT_BREAKS)
        if pos <= 0:
            pos = head.rfind(" ")
        return (pos + 1) if pos > 0 else self.max_chars


def continues_sentence(previous: str) -> bool:
    """Whether the piece after ``previous`` is the rest of its sentence (``previous`` was cut at a
    clause mark, early or for length), to be spoken on without a sentence pause."""
    return bool(previous) and previous[-1] in SOFT_BREAKS


def split_sentences(text: str, max_chars: int = 160) -> list[str]:
    """Cut a whole text into sentences (the streaming cutter, fed at once)."""
    cutter = SentenceCutter(max_chars=max_chars)
    return [*cutter.feed(text), *cutter.flush()]
