"""Visemes: the small set of mouth shapes speech is drawn with, and their time-stamped track."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Viseme(StrEnum):
    """Mouth shapes, after the usual lip-sync sets (Preston Blair / Oculus, reduced)."""

    SILENCE = "sil"
    AA = "AA"  # father, cat: jaw open wide
    E = "E"  # bed, say: mid open, spread
    I = "I"  # noqa: E741  (see, sit: nearly closed, spread)
    O = "O"  # noqa: E741  (go, law: rounded, open)
    U = "U"  # blue, book: rounded, nearly closed
    FV = "FV"  # lower lip to upper teeth
    MBP = "MBP"  # lips pressed shut
    L = "L"  # tongue up, mouth slightly open
    WQ = "WQ"  # pucker
    CH = "CH"  # ch, j, sh: lips forward, teeth close
    TH = "TH"  # tongue between teeth
    DD = "DD"  # t, d, n, s, z, k, g: teeth nearly closed, relaxed lips


@dataclass(frozen=True, slots=True)
class VisemeKey:
    """One viseme held from ``start`` to ``end`` (audio samples of its utterance), at ``weight``."""

    start: int
    end: int
    viseme: Viseme
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"viseme ends before it starts: {self.start}..{self.end}")
