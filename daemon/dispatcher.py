"""The dispatcher: takes turns from the inbox to the brain and the brain's sentences to the voice.

One reply is generated at a time, the next turn is taken as soon as the current reply has been
handed to the voice, so a queued question starts generating while the last answer still plays.
When chat is quiet the brain's idle script fills the silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from daemon.conductor import Conductor, Line
from daemon.events import EventBus
from pipeline.turn import Turn, TurnKind

if TYPE_CHECKING:
    from pipeline.brain.reply import ReplySentence
    from pipeline.brain.responder import Responder
    from pipeline.inbox.inbox import Inbox, Offer

log = logging.getLogger(__name__)


class Dispatcher:
    """Feeds the conductor from the inbox (and the idle script), one reply at a time."""

    def __init__(
        self,
        inbox: Inbox,
        responder: Responder,
        conductor: Conductor,
        events: EventBus,
        observe: Any = None,
        on_block: Any = None,
        idle_poll_s: float = 1.0,
    ) -> None:
        self.inbox = inbox
        self.responder = responder
        self.conductor = conductor
        self.events = events
        self.observe = observe or (lambda stage, seconds: None)
        self.on_block = on_block or (lambda rule: None)
        self.idle_poll_s = idle_poll_s
        self._task: asyncio.Task[None] | None = None
        self._cancels: set[threading.Event] = set()
        self.answered = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dispatcher")

    async def stop(self) -> None:
        for cancel in list(self._cancels):
            cancel.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def offer(
        self, viewer: str, platform: str, text: str, kind: TurnKind = TurnKind.CHAT, amount: float | None = None
    ) -> Offer:
        """Moderate and queue a message (chat connectors, webhook, API, host speech)."""
        offer = self.inbox.offer(viewer, platform, text, kind, amount)
        if offer.verdict is not None and not offer.verdict.allowed:
            self.on_block(offer.verdict.rule or "blocked")
            self.events.publish(
                "moderation.block", platform=platform, rule=offer.verdict.rule, reason=offer.verdict.reason
            )
        elif offer.accepted and offer.turn is not None:
            self.events.publish("chat", viewer=offer.turn.viewer, platform=platform, text=offer.turn.text,
                                kind=offer.turn.kind.value, status=offer.reason)
        return offer

    def interrupt(self) -> None:
        """Barge-in: stop the reply being generated (the conductor flushes what is queued)."""
        for cancel in list(self._cancels):
            cancel.set()
        self.responder.interrupt()

    async def _run(self) -> None:
        while True:
            try:
                queued = await asyncio.wait_for(self.inbox.get(), self.idle_poll_s)
            except TimeoutError:
                if not self.conductor.busy:
                    lines = await asyncio.to_thread(self.responder.idle_lines)
                    if lines:
                        self._submit_fixed(lines)
                continue
            turn = queued.turn
            self.observe("inbox", max(0.0, time.monotonic() - turn.received))
            await self._answer(turn)

    def _submit_fixed(self, sentences: list[ReplySentence]) -> None:
        reply_id = sentences[0].reply_id
        self.conductor.say(
            [Line(s.text, s.emotion, s.source, s.rule) for s in sentences],
            on_spoken=lambda job, heard: self.responder.commit_spoken(reply_id, heard),
        )

    async def _answer(self, turn: Turn) -> None:
        """Queue the reply to ``turn``; returns once the conductor has taken the job."""
        reply: dict[str, str] = {}
        responder = self.responder

        def lines() -> Iterator[Line]:
            # a fresh cancel flag per reply: an interrupt ends this reply, not every later one
            cancel = threading.Event()
            self._cancels.add(cancel)
            try:
                for sentence in responder.respond_sync(turn, cancel):
                    reply["id"] = sentence.reply_id
                    decision = sentence.decision
                    if decision is not None:
                        log.info("emotion %s for %r: %s", sentence.emotion.emotion.value, sentence.text[:40],
                                 decision.reason if hasattr(decision, "reason") else decision)
                    yield Line(sentence.text, sentence.emotion, sentence.source, sentence.rule, sentence.continues)
            finally:
                self._cancels.discard(cancel)

        def spoken(job: str, heard: str) -> None:
            if "id" in reply:
                responder.commit_spoken(reply["id"], heard)

        self.events.publish("turn", viewer=turn.viewer, platform=turn.platform, text=turn.text, kind=turn.kind.value)
        try:
            self.conductor.submit(lines, source=turn.kind.value, on_spoken=spoken)
            self.answered += 1
        except asyncio.QueueFull:
            log.warning("too many replies waiting; dropped the turn from %s", turn.viewer)
        # wait until this reply is being generated before taking the next turn
        while self.conductor.pending > 0:
            await asyncio.sleep(0.05)
