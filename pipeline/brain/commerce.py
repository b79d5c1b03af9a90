"""Live-commerce habits: a selling script looped while chat is quiet, and short lines that greet
joins and thank follows and gifts, each with a per-viewer cool-down so nobody is thanked twice a minute.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.turn import Turn, TurnKind

Clock = Callable[[], float]


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class EventTemplates:
    """Lines per event kind; ``{viewer}`` and ``{gift}`` are filled in."""

    join: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    gift: tuple[str, ...] = ()
    cooldown_s: Mapping[TurnKind, float] = field(default_factory=dict)
    min_gap_s: Mapping[TurnKind, float] = field(default_factory=dict)

    def lines(self, kind: TurnKind) -> tuple[str, ...]:
        return {TurnKind.JOIN: self.join, TurnKind.FOLLOW: self.follow, TurnKind.GIFT: self.gift}.get(kind, ())


DEFAULT_EVENT_LINES: dict[str, EventTemplates] = {
    "en": EventTemplates(
        join=("Welcome, {viewer}!", "Hi {viewer}, great to see you!", "Hey {viewer}, welcome in!"),
        follow=("Thanks for the follow, {viewer}!", "Thank you for following, {viewer}!"),
        gift=("Thank you so much for the {gift}, {viewer}!", "Wow, thanks for the {gift}, {viewer}!"),
    ),
    "zh": EventTemplates(
        join=("欢迎{viewer}来到直播间！", "{viewer}来啦，欢迎欢迎！"),
        follow=("谢谢{viewer}的关注！", "感谢{viewer}关注主播！"),
        gift=("谢谢{viewer}送的{gift}！", "感谢{viewer}的{gift}，爱你哦！"),
    ),
}


class EventResponder:
    """Picks the greeting or thank-you for an event turn, or None while a cool-down runs."""

    def __init__(self, templates: EventTemplates, seed: int = 0, clock: Clock = time.monotonic) -> None:
        self.templates = templates
        self._rng = random.Random(seed)
        self._clock = clock
        self._last_for: OrderedDict[tuple[TurnKind, str], float] = OrderedDict()
        self._last_any: dict[TurnKind, float] = {}

    def line_for(self, turn: Turn) -> tuple[str | None, str]:
        """(line or None, why) for a join/follow/gift turn."""
        lines = self.templates.lines(turn.kind)
        if not lines:
            return None, f"no {turn.kind.value} templates"
        now = self._clock()
        key = (turn.kind, f"{turn.platform}:{turn.viewer}")
        cooldown = self.templates.cooldown_s.get(turn.kind, 0.0)
        last = self._last_for.get(key)
        if last is not None and now - last < cooldown:
            return None, f"{turn.viewer} had a {turn.kind.value} line {now - last:.0f}s ago (cool-down {cooldown:.0f}s)"
        gap = self.templates.min_gap_s.get(turn.kind, 0.0)
        last_any = self._last_any.get(turn.kind)
        if last_any is not None and now - last_any < gap:
            return None, f"another {turn.kind.value} line {now - last_any:.1f}s ago (gap {gap:.0f}s)"
        self._last_for[key] = now
        self._last_for.move_to_end(key)
        while len(self._last_for) > 10000:
            self._last_for.popitem(last=False)
        self._last_any[turn.kind] = now
        template = self._rng.choice(lines)
        text = template.format_map(_Fields(viewer=turn.viewer, gift=turn.text.strip()))
        return " ".join(text.split()), f"{turn.kind.value} template"


class IdleScript:
    """Selling lines, looped in order while nothing else is said for ``idle_after_s`` seconds."""

    def __init__(self, lines: Sequence[str], idle_after_s: float, clock: Clock = time.monotonic) -> None:
        self.lines = [line.strip() for line in lines if line.strip()]
        self.idle_after_s = idle_after_s
        self._clock = clock
        self._next = 0
        self._last_activity = clock()

    def note_activity(self) -> None:
        """Something was said (a reply, a viewer line): the quiet timer starts again."""
        self._last_activity = self._clock()

    def seconds_until_due(self) -> float | None:
        """How long until the next line is due (0: now); None when there is no script."""
        if not self.lines:
            return None
        return max(0.0, self.idle_after_s - (self._clock() - self._last_activity))

    def next_line(self) -> str | None:
        """The next script line if chat has been quiet long enough; restarts the quiet timer."""
        if self.seconds_until_due() != 0.0:
            return None
        line = self.lines[self._next % len(self.lines)]
        self._next += 1
        self.note_activity()
        return line
