"""Split text into sentences (English and Chinese punctuation) so speech can start after the first one.

Also splits a streamed text (LLM tokens) incrementally: each sentence is released as soon as its
terminator and the next character have arrived.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Words whose trailing dot does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "no",
        "dept",
        "est",
        "fig",
        "inc",
        "ltd",
        "co",
        "corp",
        "mt",
        "ft",
        "oz",
        "lb",
        "lbs",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
_CJK_TERMINATORS = "。！？；…"
_LATIN_TERMINATORS = ".!?;"
_CLOSERS = "\"'”’」』）)】]"
_CLAUSE_MARKS = ",，、：:;；—"


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _ends_sentence(text: str, i: int) -> bool:
    """Whether the terminator at ``text[i]`` ends a sentence (``text[i+1]`` must exist)."""
    ch = text[i]
    nxt = text[i + 1]
    if ch in _CJK_TERMINATORS:
        return nxt not in _CJK_TERMINATORS and nxt not in _CLOSERS
    if ch not in _LATIN_TERMINATORS:
        return False
    if nxt in _LATIN_TERMINATORS or nxt in _CLOSERS:
        return False
    if ch == "." and i > 0 and text[i - 1].isdigit() and nxt.isdigit():
        return False  # 19.99
    if not (nxt.isspace() or _is_cjk(nxt)):
        return False  # e.g. example.com, 3.5kg
    if ch == ".":
        word = re.search(r"([A-Za-z.]+)$", text[:i])
        if word:
            w = word.group(1).lower().rstrip(".")
            if w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha()):
                return False  # Mr. Smith, J. Doe
    return True


def _boundaries(text: str) -> Iterator[int]:
    """End offsets (exclusive) of complete sentences; the remainder is an open sentence."""
    i = 0
    n = len(text)
    while i < n - 1:
        if (text[i] in _LATIN_TERMINATORS or text[i] in _CJK_TERMINATORS) and _ends_sentence(text, i):
            yield i + 1
        elif text[i] == "\n":
            yield i + 1  # a line break ends a sentence (list items, paragraphs)
        elif text[i] in _LATIN_TERMINATORS + _CJK_TERMINATORS:
            # Run of terminators / closers: the sentence ends after the run.
            j = i
            while j + 1 < n and (text[j + 1] in _LATIN_TERMINATORS + _CJK_TERMINATORS + _CLOSERS):
                j += 1
            if j > i and j + 1 < n and (text[j + 1].isspace() or _is_cjk(text[j + 1])):
                yield j + 1
                i = j
        i += 1


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order, stripped, none empty; works for English, Chinese and a mix."""
    sentences: list[str] = []
    start = 0
    for end in _boundaries(text):
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_clauses(sentence: str, max_chars: int) -> list[str]:
    """Split a long sentence at clause marks (commas) into pieces of at most about ``max_chars``.

    Used to get the first audio out sooner: a clause is a natural prosodic unit, so speaking it on
    its own sounds the same.  Short sentences come back whole.
    """
    if max_chars <= 0 or len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for part in re.split(f"(?<=[{re.escape(_CLAUSE_MARKS)}])", sentence):
        if current and len(current) + len(part) > max_chars:
            pieces.append(current.strip())
            current = part
        else:
            current += part
    if current.strip():
        pieces.append(current.strip())
    return [p for p in pieces if p]


class SentenceStream:
    """Incremental splitter for text that arrives in pieces (LLM tokens)."""

    def __init__(self) -> None:
        self._buffer = ""

    def push(self, piece: str) -> list[str]:
        """Add text; return the sentences completed by it."""
        self._buffer += piece
        done: list[str] = []
        start = 0
        for end in _boundaries(self._buffer):
            sentence = self._buffer[start:end].strip()
            if sentence:
                done.append(sentence)
            start = end
        self._buffer = self._buffer[start:]
        return done

    def flush(self) -> list[str]:
        """The rest of the text as a final sentence (if any)."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []


def stream_sentences(pieces: Iterable[str]) -> Iterator[str]:
    """Sentences from an iterable of text pieces, each yielded as soon as it is complete."""
    splitter = SentenceStream()
    for piece in pieces:
        yield from splitter.push(piece)
    yield from splitter.flush()
