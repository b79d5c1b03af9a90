"""What the brain hands the voice: one sentence at a time, each with the emotion to show and why."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from pipeline.brain.policy import Decision
from pipeline.emotion import EmotionState

Source = Literal["llm", "faq", "cache", "template", "script"]
_ids = itertools.count(1)


def next_reply_id() -> str:
    """Process-unique reply id (memory.commit_spoken takes it back when speech is cut short)."""
    return f"r{next(_ids)}"


@dataclass(frozen=True, slots=True)
class ReplySentence:
    """A sentence to speak. ``rule``: the policy rule that set ``emotion`` (None: the reply's own).

    ``guarded`` is set when the sentence replaced a claim the knowledge does not back;
    ``continues`` when it is the rest of a sentence whose first clause went ahead of it.
    """

    text: str
    emotion: EmotionState
    rule: str | None
    source: Source
    reply_id: str = ""
    index: int = 0
    decision: Decision | None = None
    guarded: bool = False
    continues: bool = False
