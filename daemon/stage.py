"""The Stage: the daemon's master clock.

Every 1/fps seconds it emits one MediaTick (a picture and exactly its share of 48 kHz audio) with
presentation timestamps on one clock, whatever upstream does.  Speech is planned ``lead`` ticks
ahead so the render thread has time to draw the face for the same instant the audio plays;
when a frame is not ready in time the previous one is repeated (and counted) rather than waiting.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from daemon.events import EventBus
from daemon.speech_track import Playing, SpeechTrack
from integrations.outputs.base import SinkRunner
from pipeline.emotion import EmotionState
from pipeline.face.protocols import Animator, Performer
from pipeline.frames import AudioChunk, MediaTick, VideoFrame
from pipeline.utterance import Utterance

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000


@dataclass(slots=True)
class StageStats:
    """What the Stage has done so far (status API, metrics, benchmarks)."""

    frames: int = 0
    late_frames: int = 0
    skipped_ticks: int = 0
    render_ms_last: float = 0.0
    intervals_ms: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=3000))
    started_at: float | None = None


@dataclass(slots=True)
class _Planned:
    index: int
    audio: np.ndarray
    playing: Playing | None
    future: concurrent.futures.Future[np.ndarray] | None


class Stage:
    """Emits MediaTicks at ``fps`` to every sink runner; never waits on models or sinks."""

    def __init__(
        self,
        animator: Animator,
        performer: Performer,
        fps: int = 30,
        sample_rate: int = SAMPLE_RATE,
        lead: int = 2,
        gap_s: float = 0.18,
        events: EventBus | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.animator = animator
        self.performer = performer
        self.fps = fps
        self.sample_rate = sample_rate
        self.lead = lead
        self.events = events or EventBus()
        self.speech = SpeechTrack(sample_rate, gap_s=gap_s)
        self.runners: list[SinkRunner] = []
        self.stats = StageStats()
        self.heartbeat: Callable[[], None] | None = None
        self._clock = clock
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="render")
        self._planned: collections.deque[_Planned] = collections.deque()
        self._next_plan = 0
        self._last_image: np.ndarray | None = None
        self._current: Playing | None = None
        self._subtitle: str = ""
        self._word: object | None = None
        self._running = asyncio.Event()
        self._pending_face: tuple[Animator, Performer] | None = None
        self.rest = EmotionState()
        self.rest_after_s = 1.5
        self.override: EmotionState | None = None
        self._shown: EmotionState | None = None
        self._quiet_since: int | None = None

    # -- control (event-loop thread) ------------------------------------------------------------
    def add_sink(self, runner: SinkRunner) -> None:
        self.runners.append(runner)

    def replace_face(self, animator: Animator, performer: Performer) -> None:
        """Swap the face (profile reload) at the next moment nothing is being said."""
        self._pending_face = (animator, performer)

    def say(self, utterance: Utterance) -> bool:
        """Queue an utterance to be spoken after whatever is queued; False when the queue is full."""
        return self.speech.enqueue(utterance)

    def set_emotion(self, state: EmotionState) -> None:
        """Ease the face towards ``state`` from the next planned frame."""
        self._show(state, self._next_plan / self.fps)

    def set_override(self, state: EmotionState | None) -> None:
        """Operator override: shown now and for everything said until cleared (None)."""
        self.override = state
        self._show(state or self.rest, self._next_plan / self.fps)

    def _show(self, state: EmotionState, at: float) -> None:
        if state == self._shown:
            return
        self._shown = state
        self.performer.set_emotion(state, at)
        self.events.publish("emotion", emotion=state.emotion.value, intensity=state.intensity)

    def interrupt(self, reason: str = "operator") -> list[Utterance]:
        """Stop speaking now: silence every planned chunk, flush the sinks, return the mouth to rest."""
        cut = self.speech.clear()
        at = (self._planned[0].index if self._planned else self._next_plan) / self.fps
        self.performer.stop_speaking(at)
        for planned in self._planned:
            planned.audio = np.zeros_like(planned.audio)
            planned.playing = None
            if planned.future is not None:
                planned.future.cancel()
            # redraw with the mouth closing: repeating the last picture would hold it open for the lead
            try:
                planned.future = self._executor.submit(self._render, planned.index, self.animator, self.performer)
            except RuntimeError:  # the Stage has stopped
                planned.future = None
        for runner in self.runners:
            runner.flush()
        if self._current is not None or cut:
            self.events.publish("speech.interrupted", reason=reason, cut=[u.id for u in cut])
        self._current = None
        self._set_subtitle("", None)
        return cut

    @property
    def speaking(self) -> bool:
        return self._current is not None or self.speech.playing is not None or self.speech.queued > 0

    @property
    def running(self) -> asyncio.Event:
        """Set once the first tick has gone out (systemd READY waits for it)."""
        return self._running

    # -- the clock ------------------------------------------------------------------------------
    def samples_for(self, index: int) -> tuple[int, int]:
        """Stage samples covered by tick ``index``: exact integer spacing, no drift for any fps."""
        start = index * self.sample_rate // self.fps
        return start, (index + 1) * self.sample_rate // self.fps

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set; then stop sinks (finalising files)."""
        for runner in self.runners:
            runner.start()
        period = 1.0 / self.fps
        t0 = self._clock()
        self.stats.started_at = t0
        index = 0
        last_emit: float | None = None
        try:
            while not stop.is_set():
                self._plan_until(index + self.lead)
                now = self._clock()
                due = t0 + index * period
                if now - due > 2.0:
                    # the process was suspended or starved for seconds: rebase rather than burst
                    skipped = int((now - due) / period)
                    self.stats.skipped_ticks += skipped
                    log.warning("stage fell %.1f s behind; skipping %d ticks", now - due, skipped)
                    t0 += skipped * period
                    due = t0 + index * period
                if due > now:
                    try:
                        await asyncio.wait_for(stop.wait(), due - now)
                        break
                    except TimeoutError:
                        pass
                else:
                    await asyncio.sleep(0)  # catching up: the sinks still drain between ticks
                emitted = self._clock()
                if last_emit is not None:
                    self.stats.intervals_ms.append((emitted - last_emit) * 1000.0)
                last_emit = emitted
                self._emit(index)
                index += 1
                if self.heartbeat is not None:
                    self.heartbeat()
        finally:
            self._executor.shutdown(wait=False, cancel_futures=True)
            await asyncio.gather(*(runner.stop() for runner in self.runners))

    def _plan_until(self, last: int) -> None:
        while self._next_plan <= last:
            k = self._next_plan
            if self._pending_face is not None and self.speech.playing is None:
                self.animator, self.performer = self._pending_face
                self._pending_face = None
                if self._shown is not None:
                    self.performer.set_emotion(self._shown, k / self.fps)
                log.info("face swapped at frame %d", k)
            start, end = self.samples_for(k)
            audio, started = self.speech.pull(start, end - start)
            for playing in started:
                at = playing.start / self.sample_rate
                # the face starts to show the feeling just before the words come
                self._show(self.override or playing.utterance.emotion, max(0.0, at - 0.12))
                self.performer.speak(playing.utterance, at)
            if started or self.speech.playing is not None:
                self._quiet_since = None
            elif self._quiet_since is None:
                self._quiet_since = k
            elif (k - self._quiet_since) / self.fps >= self.rest_after_s:
                self._show(self.override or self.rest, k / self.fps)
            playing = self.speech.playing or (started[-1] if started else None)
            future = self._executor.submit(self._render, k, self.animator, self.performer)
            self._planned.append(_Planned(k, audio, playing, future))
            self._next_plan += 1

    def _render(self, index: int, animator: Animator, performer: Performer) -> np.ndarray:
        t = time.perf_counter()
        image = animator.render(performer.weights_at(index / self.fps))
        self.stats.render_ms_last = (time.perf_counter() - t) * 1000.0
        return image

    def _emit(self, index: int) -> None:
        planned = self._planned.popleft()
        assert planned.index == index, (planned.index, index)
        image = None
        if planned.future is not None and planned.future.done() and not planned.future.cancelled():
            try:
                image = planned.future.result()
            except Exception:
                log.exception("render failed for frame %d; repeating the last frame", index)
        if image is None:
            if self._last_image is None:
                # first frame: wait for it once, so a stream never starts black
                image = self._render(index, self.animator, self.performer)
            else:
                self.stats.late_frames += 1
                image = self._last_image
        self._last_image = image
        start, end = self.samples_for(index)
        self._track_speech(planned.playing, start, end)
        tick = MediaTick(
            video=VideoFrame(index=index, pts=index / self.fps, image=image),
            audio=AudioChunk(start=start, sample_rate=self.sample_rate, pcm=planned.audio),
            speaking=self._current is not None,
            utterance_id=self._current.utterance.id if self._current else None,
        )
        for runner in self.runners:
            runner.offer(tick)
        self.stats.frames += 1
        if index == 0:
            self._running.set()

    def _track_speech(self, playing: Playing | None, start: int, end: int) -> None:
        """Publish speech start/end and the subtitle as the audio of this tick goes out."""
        if playing is not None and not (playing.start < end and start < playing.end):
            playing = None
        if playing is not self._current:
            if self._current is not None:
                self.events.publish("speech.end", id=self._current.utterance.id)
            if playing is not None:
                utt = playing.utterance
                self.events.publish("speech.start", id=utt.id, text=utt.text, emotion=utt.emotion.emotion.value)
            self._current = playing
        if self._current is None:
            self._set_subtitle("", None)
            return
        self._set_subtitle(self._current.utterance.text, self._current.utterance.id)
        word = self._current.word_at(max(start, self._current.start))
        if word is not None and word is not self._word:
            self.events.publish("subtitle.word", id=self._current.utterance.id, word=word.text)
        self._word = word

    def _set_subtitle(self, text: str, utterance_id: str | None) -> None:
        if text != self._subtitle:
            self._subtitle = text
            self.events.publish("subtitle", text=text, id=utterance_id)

    @property
    def subtitle(self) -> str:
        return self._subtitle
