"""The inbox: every chat message or event becomes a moderated Turn in a bounded priority queue.

Gifts first, then questions, then chat, then follows and joins; first-come first-served within a
class.  Stale turns (older than ``max_age_s``) are dropped when they come up, so a question from a
minute ago is not answered.  Identical messages fold into one turn that counts its repeats.  Each
viewer has a token bucket.  When the queue is full the oldest turn of the lowest class makes room,
or the newcomer is refused when everything queued outranks it: a chat flood can never push out a
question or a gift, and memory stays bounded whatever arrives.  Runs on one event loop (not
thread-safe); ``offer`` never waits.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.inbox.moderation import Moderator, Verdict
from pipeline.inbox.normalize import fold
from pipeline.inbox.ratelimit import ViewerRateLimit
from pipeline.turn import Turn, TurnKind

PRIORITY: dict[TurnKind, int] = {
    TurnKind.OPERATOR: 60,
    TurnKind.HOST: 50,
    TurnKind.GIFT: 30,
    TurnKind.QUESTION: 20,
    TurnKind.CHAT: 10,
    TurnKind.FOLLOW: 5,
    TurnKind.JOIN: 0,
}
_EVENT_TEXT = {TurnKind.GIFT: "sent a gift", TurnKind.FOLLOW: "followed", TurnKind.JOIN: "joined"}
_UNPAID = (TurnKind.CHAT, TurnKind.QUESTION, TurnKind.FOLLOW, TurnKind.JOIN)

_EN_Q = re.compile(
    r"^(?:what|how|why|when|where|who|whom|whose|which|can|could|do|does|did|is|are|was|were|will|would|"
    r"should|shall|may|have|has|any|anyone)\b",
    re.IGNORECASE,
)
_ZH_Q = re.compile(
    r"[吗呢么嘛]\s*$|什么|怎么|为什么|为啥|多少|哪|几[个号点岁天]|是否|能不能|可不可以|有没有|是不是|请问|如何"
)


def is_question(text: str) -> bool:
    """A chat line that asks something (English or Chinese)."""
    t = text.strip()
    return t.endswith(("?", "？")) or bool(_EN_Q.match(t)) or bool(_ZH_Q.search(t))


_LETTER_RUNS = re.compile(r"([^\W\d])\1+")


def fold_key(text: str) -> str:
    """Key under which near-identical messages fold (case, spacing, punctuation, stretching ignored)."""
    return _LETTER_RUNS.sub(r"\1", "".join(ch for ch in fold(text) if ch.isalnum()))


@dataclass(slots=True)
class Queued:
    """A turn waiting in the inbox; ``repeats`` counts folded duplicates, ``viewers`` who sent them."""

    turn: Turn
    key: str
    repeats: int = 1
    viewers: list[str] = field(default_factory=list)
    amount: float | None = None
    live: bool = True


@dataclass(frozen=True, slots=True)
class Offer:
    """What happened to an offered message: ``accepted`` (queued or folded) and why not if not."""

    accepted: bool
    reason: str
    verdict: Verdict | None = None
    turn: Turn | None = None


@dataclass(slots=True)
class InboxStats:
    offered: int = 0
    accepted: int = 0
    blocked: int = 0
    rate_limited: int = 0
    folded: int = 0
    evicted: int = 0
    refused_full: int = 0
    stale: int = 0
    popped: int = 0


class Inbox:
    """Bounded, moderated, prioritised queue of turns for the brain."""

    def __init__(
        self,
        moderator: Moderator | None = None,
        *,
        capacity: int = 200,
        max_age_s: float = 60.0,
        rate_limit: ViewerRateLimit | None = None,
        max_names: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.moderator = moderator if moderator is not None else Moderator()
        self.capacity = capacity
        self.max_age_s = max_age_s
        self.rate_limit = rate_limit if rate_limit is not None else ViewerRateLimit()
        self.clock = clock
        self.stats = InboxStats()
        self._classes: dict[int, deque[Queued]] = {}
        self._by_key: dict[str, Queued] = {}
        self._size = 0
        self._names: OrderedDict[str, str] = OrderedDict()
        self._max_names = max_names
        self._ready: asyncio.Event | None = None

    def __len__(self) -> int:
        return self._size

    def offer(
        self,
        viewer: str,
        platform: str,
        text: str,
        kind: TurnKind = TurnKind.CHAT,
        amount: float | None = None,
    ) -> Offer:
        """Moderate and queue one message or event; never blocks."""
        self.stats.offered += 1
        now = self.clock()
        if kind in _UNPAID and not self.rate_limit.allow(f"{platform}:{viewer}", now):
            self.stats.rate_limited += 1
            return Offer(False, "rate limited")
        text = text.strip() or _EVENT_TEXT.get(kind, "")
        verdict = self.moderator.check(text, viewer=viewer, platform=platform)
        if not verdict.allowed:
            self.stats.blocked += 1
            return Offer(False, f"blocked: {verdict.rule}", verdict)
        if kind == TurnKind.CHAT and is_question(verdict.text):
            kind = TurnKind.QUESTION
        name = self._safe_name(viewer, platform)
        key = f"{kind}:{fold_key(verdict.text)}"
        folded = self._by_key.get(key)
        if folded is not None and folded.live:
            folded.repeats += 1
            if len(folded.viewers) < 8 and name not in folded.viewers:
                folded.viewers.append(name)
            if amount:
                folded.amount = (folded.amount or 0.0) + amount
            self.stats.accepted += 1
            self.stats.folded += 1
            return Offer(True, "folded", verdict, folded.turn)
        priority = PRIORITY[kind]
        if self._size >= self.capacity and not self._make_room(priority):
            self.stats.refused_full += 1
            return Offer(False, "inbox full", verdict)
        turn = Turn(viewer=name, platform=platform, text=verdict.text, kind=kind, priority=priority, received=now)
        item = Queued(turn, key, viewers=[name], amount=amount)
        self._classes.setdefault(priority, deque()).append(item)
        self._by_key[key] = item
        self._size += 1
        self.stats.accepted += 1
        if self._ready is not None:
            self._ready.set()
        return Offer(True, "queued", verdict, turn)

    def pop_item(self) -> Queued | None:
        """The next fresh turn with its fold count, or None; stale ones are dropped on the way."""
        now = self.clock()
        for priority in sorted(self._classes, reverse=True):
            queue = self._classes[priority]
            while queue:
                item = queue.popleft()
                self._forget(item)
                if now - item.turn.received > self.max_age_s:
                    self.stats.stale += 1
                    continue
                self.stats.popped += 1
                return item
        return None

    def pop(self) -> Turn | None:
        item = self.pop_item()
        return item.turn if item else None

    async def get(self) -> Queued:
        """Wait for the next fresh turn."""
        if self._ready is None:
            self._ready = asyncio.Event()
        while True:
            item = self.pop_item()
            if item is not None:
                return item
            self._ready.clear()
            await self._ready.wait()

    def clear(self) -> int:
        """Drop everything queued (e.g. the operator skips the backlog); returns how many."""
        dropped = self._size
        self._classes.clear()
        self._by_key.clear()
        self._size = 0
        return dropped

    def depth(self) -> dict[str, int]:
        """Queued turns per kind name, for status pages."""
        out: dict[str, int] = {}
        for queue in self._classes.values():
            for item in queue:
                out[item.turn.kind.value] = out.get(item.turn.kind.value, 0) + 1
        return out

    def _make_room(self, priority: int) -> bool:
        for lowest in sorted(self._classes):
            if lowest > priority:
                return False
            queue = self._classes[lowest]
            if queue:
                self._forget(queue.popleft())
                self.stats.evicted += 1
                return True
        return False

    def _forget(self, item: Queued) -> None:
        item.live = False
        self._size -= 1
        if self._by_key.get(item.key) is item:
            del self._by_key[item.key]

    def _safe_name(self, viewer: str, platform: str) -> str:
        """The viewer's name if it is fit to say aloud, else ``a viewer`` (names are chat too)."""
        cached = self._names.get(viewer)
        if cached is not None:
            self._names.move_to_end(viewer)
            return cached
        verdict = self.moderator.check(viewer[:64], viewer=viewer[:64], platform=platform)
        name = verdict.text if verdict.allowed and verdict.rule is None else "a viewer"
        self._names[viewer] = name
        while len(self._names) > self._max_names:
            self._names.popitem(last=False)
        return name
