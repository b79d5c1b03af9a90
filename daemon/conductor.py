"""The conductor: turns requests (operator lines, chat turns, host speech) into speech on the Stage.

Sentences stream: the brain's next sentence is generated while the voice synthesises the current
one, and each utterance goes to the Stage as soon as it is ready.  Every model call runs in a
worker thread.  An interrupt cancels the job in flight, flushes the Stage down to the sinks, and
tells the brain what was actually heard so memory keeps only that.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from daemon.cpu import yield_cpu
from daemon.events import EventBus
from daemon.stage import Stage
from pipeline.emotion import EmotionState
from pipeline.utterance import Utterance

log = logging.getLogger(__name__)


class Voice(Protocol):
    def stream(self, text: str, emotion: EmotionState | None = None) -> Iterator[Utterance]: ...


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence to speak, with the feeling to speak it with and where it came from."""

    text: str
    emotion: EmotionState
    source: str = "operator"
    rule: str | None = None
    continues: bool = False  # the rest of a sentence whose first clause was the line before


@dataclass(slots=True)
class Job:
    """A unit of work: a source of Lines (a generator run in a thread) and its bookkeeping."""

    id: str
    lines: Callable[[], Iterable[Line]]
    source: str
    created: float = field(default_factory=time.monotonic)
    on_spoken: Callable[[str, str], None] | None = None  # (job id, text actually heard)
    spoken: list[str] = field(default_factory=list)
    utterances: dict[str, str] = field(default_factory=dict)


_job_ids = itertools.count(1)


class Conductor:
    """Runs jobs one after another; ``interrupt`` cancels the current one and clears the queue."""

    def __init__(
        self,
        stage: Stage,
        voice: Voice,
        events: EventBus,
        observe: Callable[[str, float], None] | None = None,
        max_jobs: int = 16,
    ) -> None:
        self.stage = stage
        self.voice = voice
        self.events = events
        self.observe = observe or (lambda stage, seconds: None)
        self._jobs: asyncio.Queue[Job] = asyncio.Queue(maxsize=max_jobs)
        self._current: Job | None = None
        self._current_task: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._speech_events = events.subscribe(512)
        self._watch: asyncio.Task[None] | None = None
        self._by_utterance: dict[str, Job] = {}
        self.voice_lock = asyncio.Lock()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="conductor")
        self._watch = asyncio.create_task(self._watch_speech(), name="conductor-speech")

    async def stop(self) -> None:
        for task in (self._runner, self._watch, self._current_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._speech_events.close()

    # -- requests -------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return self._jobs.qsize()

    @property
    def busy(self) -> bool:
        return self._current is not None or not self._jobs.empty() or self.stage.speaking

    def submit(
        self,
        lines: Callable[[], Iterable[Line]],
        source: str,
        on_spoken: Callable[[str, str], None] | None = None,
    ) -> Job:
        """Queue a job; raises asyncio.QueueFull when too much is already waiting."""
        job = Job(f"j{next(_job_ids)}", lines, source, on_spoken=on_spoken)
        self._jobs.put_nowait(job)
        self.events.publish("job.queued", id=job.id, source=source)
        return job

    def say(self, lines: list[Line], on_spoken: Callable[[str, str], None] | None = None) -> Job:
        return self.submit(lambda: lines, lines[0].source if lines else "operator", on_spoken)

    def interrupt(self, reason: str = "operator") -> int:
        """Stop now: cancel the job in flight, forget queued jobs, flush the Stage; returns jobs dropped."""
        dropped = 0
        while not self._jobs.empty():
            self._jobs.get_nowait()
            dropped += 1
        if self._current_task is not None:
            self._current_task.cancel()
            dropped += 1
        cut = self.stage.interrupt(reason)
        for utt in cut:
            job = self._by_utterance.pop(utt.id, None)
            if job is not None:
                self._finish(job)
        return dropped

    # -- work -----------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            job = await self._jobs.get()
            self._current = job
            self._current_task = asyncio.create_task(self._perform(job), name=f"job:{job.id}")
            try:
                await self._current_task
            except asyncio.CancelledError:
                if self._runner is not None and self._runner.cancelling():
                    raise
                log.info("job %s interrupted", job.id)
            except Exception:
                log.exception("job %s failed; the stream goes on", job.id)
                self.events.publish("job.failed", id=job.id)
            finally:
                self._current = None
                self._current_task = None

    async def _perform(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[Line | None] = asyncio.Queue(maxsize=4)
        started = time.monotonic()
        cancelled = False

        finished = threading.Event()

        def produce() -> None:
            try:
                iterator: Iterator[Line] = iter(job.lines())
                for count, line in enumerate(iterator):
                    if cancelled:
                        close = getattr(iterator, "close", None)
                        if close:
                            close()
                        return
                    asyncio.run_coroutine_threadsafe(lines.put(line), loop).result()
                    if count == 0:
                        # the rest is written while the first line is being voiced: the voice (on the
                        # path to the first sound) and the Stage's render thread go first
                        yield_cpu()
            finally:
                asyncio.run_coroutine_threadsafe(lines.put(None), loop).result()
                finished.set()

        # a thread of its own (not the pool's) so that lowering its priority ends with the job
        threading.Thread(target=produce, name=f"lines:{job.id}", daemon=True).start()
        first = True
        try:
            while (line := await lines.get()) is not None:
                if first:
                    self.observe("brain_first_sentence", time.monotonic() - started)
                await self._speak(job, line, first)
                first = False
        finally:
            cancelled = True
            # drain so the producer thread never blocks on a full queue
            while not finished.is_set():
                with contextlib.suppress(asyncio.QueueEmpty):
                    lines.get_nowait()
                await asyncio.sleep(0.01)

    async def _speak(self, job: Job, line: Line, first: bool) -> None:
        """Synthesise ``line`` piece by piece (a long first sentence clause by clause), each piece
        going to the Stage as soon as it is ready, so the first audio does not wait for the rest."""
        pieces = self.voice.stream(line.text, line.emotion)
        t0 = time.monotonic()
        announced = False
        try:
            while True:
                async with self.voice_lock:
                    utterance = await asyncio.to_thread(next, pieces, None)
                if utterance is None:
                    return
                if not announced:
                    self.observe("voice_first_audio" if first else "voice_sentence", time.monotonic() - t0)
                    utterance.continues = line.continues
                    self.events.publish(
                        "reply",
                        job=job.id,
                        text=line.text,
                        emotion=line.emotion.emotion.value,
                        intensity=line.emotion.intensity,
                        source=line.source,
                        rule=line.rule,
                    )
                    announced = True
                job.utterances[utterance.id] = utterance.text
                self._by_utterance[utterance.id] = job
                if not self.stage.say(utterance):
                    log.warning("speech queue full: dropped %r", utterance.text[:40])
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                with contextlib.suppress(ValueError):  # cancelled mid-piece: it ends in its thread
                    close()

    async def _watch_speech(self) -> None:
        async for event in self._speech_events:
            if event.kind == "speech.end":
                job = self._by_utterance.pop(event.data.get("id", ""), None)
                if job is not None:
                    job.spoken.append(job.utterances.get(event.data["id"], ""))
                    if not any(j is job for j in self._by_utterance.values()):
                        self._finish(job)

    def _finish(self, job: Job) -> None:
        if job.on_spoken is not None:
            try:
                job.on_spoken(job.id, " ".join(t for t in job.spoken if t))
            except Exception:
                log.exception("on_spoken callback failed")

    def status(self) -> dict[str, Any]:
        return {"current": self._current.id if self._current else None, "queued": self._jobs.qsize()}
