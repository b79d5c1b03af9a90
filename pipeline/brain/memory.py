"""Short conversation memory, per viewer and for the whole stream.

Replies are recorded as they are generated; when speech is cut short the daemon reports what was
actually heard (``commit_spoken``) and the memory keeps only that, so the avatar never "remembers"
saying something nobody heard.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["viewer", "avatar"]


@dataclass(slots=True)
class MemoryItem:
    role: Role
    viewer: str
    text: str
    reply_id: str | None = None
    at: float = field(default_factory=time.monotonic)


class ConversationMemory:
    """The last ``turns`` exchanges per viewer and the last ``stream_items`` lines of the stream."""

    def __init__(self, turns: int = 6, stream_items: int = 12, max_viewers: int = 2000) -> None:
        self.turns = turns
        self._viewers: OrderedDict[str, deque[MemoryItem]] = OrderedDict()
        self._stream: deque[MemoryItem] = deque(maxlen=max(1, stream_items))
        self._replies: OrderedDict[str, MemoryItem] = OrderedDict()
        self._max_viewers = max_viewers

    def add_viewer(self, viewer: str, text: str) -> None:
        """Remember what a viewer (or the host) said."""
        self._add(MemoryItem("viewer", viewer, text))

    def add_reply(self, reply_id: str, viewer: str, sentence: str) -> None:
        """Append a generated sentence to reply ``reply_id`` (created on first call)."""
        item = self._replies.get(reply_id)
        if item is None:
            item = MemoryItem("avatar", viewer, sentence.strip(), reply_id)
            self._replies[reply_id] = item
            while len(self._replies) > 4 * max(1, self.turns) * 8:
                self._replies.popitem(last=False)
            self._add(item)
        else:
            item.text = f"{item.text} {sentence.strip()}".strip() if not _cjk_join(item.text) else item.text + sentence
        item.at = time.monotonic()

    def commit_spoken(self, reply_id: str, spoken_text: str) -> bool:
        """Keep only what was heard of reply ``reply_id``; an empty text forgets the reply."""
        item = self._replies.get(reply_id)
        if item is None:
            return False
        spoken = spoken_text.strip()
        item.text = spoken
        if not spoken:
            self._forget(item)
        return True

    def for_viewer(self, viewer: str) -> list[MemoryItem]:
        """This viewer's recent exchange, oldest first."""
        items = self._viewers.get(viewer)
        return [i for i in items if i.text] if items else []

    def stream(self) -> list[MemoryItem]:
        """The stream's recent lines, oldest first."""
        return [i for i in self._stream if i.text]

    def reply_text(self, reply_id: str) -> str | None:
        item = self._replies.get(reply_id)
        return item.text if item else None

    def clear(self) -> None:
        self._viewers.clear()
        self._stream.clear()
        self._replies.clear()

    def _add(self, item: MemoryItem) -> None:
        if self.turns <= 0:
            return
        items = self._viewers.get(item.viewer)
        if items is None:
            items = deque(maxlen=2 * self.turns)
            self._viewers[item.viewer] = items
            while len(self._viewers) > self._max_viewers:
                self._viewers.popitem(last=False)
        self._viewers.move_to_end(item.viewer)
        items.append(item)
        self._stream.append(item)

    def _forget(self, item: MemoryItem) -> None:
        for items in (self._viewers.get(item.viewer), self._stream):
            if items is not None:
                kept = [i for i in items if i is not item]
                items.clear()
                items.extend(kept)
        if item.reply_id:
            self._replies.pop(item.reply_id, None)


def _cjk_join(text: str) -> bool:
    return bool(text) and ("\u3000" <= text[-1] <= "\u9fff" or "\uff00" <= text[-1] <= "\uffef")
