"""The host's microphone as events: speech start (barge-in), partial transcripts, the final one.

capture -> VAD (32 ms windows) -> turn detection -> Whisper.  While the host talks, the growing turn
is re-transcribed every ``partial_interval_ms`` and published as a partial.  The moment speech
stops, the final transcription starts on what was said (speculatively: if the host goes on, it is
thrown away), so by the time ``end_of_turn_ms`` of silence confirms the end, the text is usually
ready.  Long turns are committed in pieces at pauses so each transcription stays short.

The echo guard keeps the avatar's own voice, leaking from the speakers into the microphone, from
counting as the host: such a turn raises no speech start and no transcript.  ``mode`` (converse or
mirror) is carried for the daemon, which decides what a final transcript becomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from pipeline.listen.asr import Transcript
from pipeline.listen.asr_worker import AsrWorker, Job, JobKind
from pipeline.listen.capture import SAMPLE_RATE, FrameSource
from pipeline.listen.echo import EchoGuard
from pipeline.listen.turns import TurnDetector, TurnEvent, TurnEventKind
from pipeline.listen.vad import WINDOW, VoiceActivity

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListenSettings:
    """Listening behaviour (from the profile's ``inputs.mic``)."""

    end_of_turn_ms: int = 400
    min_speech_ms: int = 250
    vad_threshold: float = 0.5
    barge_in: bool = True
    mode: Literal["converse", "mirror"] = "converse"
    partial_interval_ms: int = 700
    max_turn_s: float = 30.0
    pre_roll_ms: int = 200
    echo_threshold: float = 0.65
    commit_after_s: float = 8.0


@dataclass(frozen=True, slots=True)
class FinalTranscript:
    """A finished turn: text, language and timing (monotonic capture times) for latency accounting."""

    text: str
    language: str
    speech_start: float
    speech_end: float
    published: float
    audio_s: float


@dataclass(slots=True)
class _Turn:
    id: int
    start: int  # absolute sample of audio[0]
    audio: list[np.ndarray] = field(default_factory=list)
    size: int = 0
    human: bool = False  # heard as the host (not echo)
    echo_checked_at: int = 0
    version: int = 0  # bumped whenever speech resumes after a pause
    last_partial: int = 0
    committed_until: int = 0  # samples into audio already committed
    committed: list[str] = field(default_factory=list)
    language: str = ""
    pause_at: int | None = None
    candidate: Job | None = None
    ended: bool = False
    speech_start: int = 0
    speech_end: int = 0
    finalized: bool = False
    last_partial_text: str = ""

    def samples(self, begin: int = 0, end: int | None = None) -> np.ndarray:
        whole = np.concatenate(self.audio) if len(self.audio) > 1 else (self.audio[0] if self.audio else np.zeros(0))
        self.audio = [whole]
        return whole[begin:end]


class Listener:
    """Listens on ``source`` in its own thread and reports through callbacks.

    Callbacks run on the listener's threads, or on ``loop`` (``call_soon_threadsafe``) when given:
    ``on_speech_start()`` the host started talking; ``on_barge_in()`` ...while the avatar was
    audible and barge-in is allowed; ``on_partial(text)``; ``on_final(text, language)``.
    """

    def __init__(
        self,
        source: FrameSource,
        worker: AsrWorker,
        *,
        settings: ListenSettings | None = None,
        vad: VoiceActivity | None = None,
        echo: EchoGuard | None = None,
        on_speech_start: Callable[[], Any] | None = None,
        on_barge_in: Callable[[], Any] | None = None,
        on_partial: Callable[[str], Any] | None = None,
        on_final: Callable[[str, str], Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.source = source
        self.worker = worker
        self.settings = settings or ListenSettings()
        s = self.settings
        self.vad = vad or VoiceActivity()
        self.echo = echo
        self.detector = TurnDetector(
            threshold=s.vad_threshold,
            min_speech_ms=s.min_speech_ms,
            end_of_turn_ms=s.end_of_turn_ms,
            max_turn_s=s.max_turn_s,
        )
        self.callbacks = {"start": on_speech_start, "barge": on_barge_in, "partial": on_partial, "final": on_final}
        self.loop = loop
        self.finals: list[FinalTranscript] = []
        self.discarded: list[str] = []
        self._lock = threading.Lock()
        self._carry = np.zeros(0, np.float32)
        self._history: list[np.ndarray] = []
        self._history_size = 0
        self._pos = 0  # absolute samples processed
        self._clock_ref = (0, time.monotonic())  # (sample, time) of the latest block
        self._turn: _Turn | None = None
        self._next_id = 1
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()
        self.source.start()
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="listen-vad", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.source.stop()
        self.worker.stop(timeout)

    def _run(self) -> None:
        while self._running.is_set():
            block = self.source.read(0.1)
            if block is not None:
                try:
                    self.feed(block.samples, block.at)
                except Exception:
                    log.exception("listener failed on an audio block")

    def status(self) -> dict[str, Any]:
        """Health and counters for the status page."""
        return {
            "mode": self.settings.mode,
            "in_turn": self._turn is not None,
            "finals": len(self.finals),
            "discarded": len(self.discarded),
            "heard_s": round(self._pos / SAMPLE_RATE, 1),
            "vad_skipped": self.vad.skipped,
            "capture_dropped": getattr(self.source, "dropped", 0),
        }

    def sample_time(self, sample: int) -> float:
        """Monotonic capture time of absolute sample ``sample``."""
        ref_sample, ref_time = self._clock_ref
        return ref_time + (sample - ref_sample) / SAMPLE_RATE

    # -- audio path (listener thread, or the caller for offline use) ----------------------------
    def feed(self, samples: np.ndarray, at: float | None = None) -> None:
        """Process 16 kHz mono audio whose first sample was captured at ``at``."""
        x = np.asarray(samples, np.float32).reshape(-1)
        self._clock_ref = (self._pos + self._carry.size, time.monotonic() - x.size / SAMPLE_RATE if at is None else at)
        data = np.concatenate([self._carry, x]) if self._carry.size else x
        n = data.size // WINDOW * WINDOW
        self._carry = data[n:].copy()
        for i in range(0, n, WINDOW):
            self._window(data[i : i + WINDOW])

    def _window(self, w: np.ndarray) -> None:
        prob = self.vad(w)
        start = self._pos
        self._pos += w.size
        self._remember(w)
        turn = self._turn
        if turn is not None:
            turn.audio.append(w)
            turn.size += w.size
        for event in self.detector.push(prob):
            self._on_turn_event(event)
        turn = self._turn
        if turn is not None and not turn.ended:
            self._while_speaking(turn, start + w.size)

    def _remember(self, w: np.ndarray) -> None:
        self._history.append(w)
        self._history_size += w.size
        s = self.settings
        keep = int((s.pre_roll_ms + s.min_speech_ms + s.end_of_turn_ms) * SAMPLE_RATE / 1000) + 2 * WINDOW
        while self._history_size - self._history[0].size >= keep:
            self._history_size -= self._history.pop(0).size

    def _on_turn_event(self, ev: TurnEvent) -> None:
        s = self.settings
        if ev.kind == TurnEventKind.START:
            pre = int(s.pre_roll_ms * SAMPLE_RATE / 1000)
            first = max(0, ev.start - pre)
            hist = np.concatenate(self._history)
            hist_start = self._pos - hist.size
            from_hist = hist[max(0, first - hist_start) :]
            turn = _Turn(self._next_id, self._pos - from_hist.size, [from_hist.copy()], from_hist.size)
            self._next_id += 1
            with self._lock:
                self._turn = turn
            self._check_human(turn)
        elif self._turn is None:
            return
        elif ev.kind == TurnEventKind.SILENCE:
            turn = self._turn
            turn.pause_at = ev.end - turn.start
            if turn.human:
                self._submit(turn, JobKind.FINAL)
        elif ev.kind == TurnEventKind.RESUMED:
            turn = self._turn
            with self._lock:
                turn.version += 1
                turn.candidate = None
            if turn.human and turn.pause_at is not None:
                pending = turn.pause_at - turn.committed_until
                if pending >= s.commit_after_s * SAMPLE_RATE:
                    self._commit(turn, turn.pause_at)
            turn.pause_at = None
        elif ev.kind in (TurnEventKind.END, TurnEventKind.DISCARDED):
            self._end(self._turn, ev)

    def _while_speaking(self, turn: _Turn, now: int) -> None:
        if not turn.human:
            if now - turn.echo_checked_at >= 8 * WINDOW:
                self._check_human(turn)
            return
        interval = self.settings.partial_interval_ms * SAMPLE_RATE // 1000
        if turn.pause_at is None and now - turn.start - turn.last_partial >= interval and self.worker.idle():
            turn.last_partial = now - turn.start
            self._submit(turn, JobKind.PARTIAL)

    def _check_human(self, turn: _Turn) -> None:
        """Decide whether the sound is the host (not the avatar's echo); fire speech start if so."""
        now = turn.start + turn.size
        turn.echo_checked_at = now
        if self.echo is not None:
            span = min(turn.size, SAMPLE_RATE)
            check = self.echo.check(turn.samples(turn.size - span), self.sample_time(now))
            log.debug("echo check: %.2f explained at %.0f ms", check.explained, check.delay_ms)
            if check.is_echo(self.settings.echo_threshold):
                return
        turn.human = True
        self._emit("start")
        if self.settings.barge_in and self.echo is not None and self.echo.playing(self.sample_time(now)):
            self._emit("barge")

    # -- transcription --------------------------------------------------------------------------
    def _submit(self, turn: _Turn, kind: JobKind) -> Job:
        audio = turn.samples(turn.committed_until).copy()
        job = Job(
            kind,
            turn.id,
            turn.version,
            audio,
            previous=lambda: " ".join(turn.committed),
            done=lambda job, tr: self._done(turn, job, tr),
        )
        if kind == JobKind.FINAL:
            with self._lock:
                turn.candidate = job
        self.worker.submit(job)
        return job

    def _commit(self, turn: _Turn, until: int) -> None:
        audio = turn.samples(turn.committed_until, until).copy()
        turn.committed_until = until
        turn.last_partial = until

        def done(job: Job, tr: Transcript | None) -> None:
            if tr is not None and tr.text:
                turn.committed.append(tr.text)
                turn.language = turn.language or tr.language

        self.worker.submit(Job(JobKind.COMMIT, turn.id, turn.version, audio, lambda: " ".join(turn.committed), done))

    def _end(self, turn: _Turn, ev: TurnEvent) -> None:
        with self._lock:
            self._turn = None
            turn.ended = True
            turn.speech_start, turn.speech_end = ev.start, ev.end
        if not turn.human:
            self.discarded.append("echo" if ev.kind == TurnEventKind.END else "short")
            return
        with self._lock:
            job = turn.candidate
            ready = job is not None and job.version == turn.version and job.finished.is_set()
        if job is None or job.version != turn.version:
            self._submit(turn, JobKind.FINAL)
        elif ready:
            self._publish_final(turn, job.result)

    def _done(self, turn: _Turn, job: Job, tr: Transcript | None) -> None:
        if job.kind == JobKind.PARTIAL:
            if tr is not None and tr.text and not turn.ended:
                text = _join([*turn.committed, tr.text], tr.language)
                if text != turn.last_partial_text:
                    turn.last_partial_text = text
                    self._emit("partial", text)
            return
        with self._lock:
            current = turn.candidate is job and job.version == turn.version
            publish = current and turn.ended
        if publish:
            self._publish_final(turn, tr)

    def _publish_final(self, turn: _Turn, tr: Transcript | None) -> None:
        with self._lock:
            if turn.finalized:
                return
            turn.finalized = True
        parts = [*turn.committed, tr.text] if tr is not None and tr.text else list(turn.committed)
        language = (tr.language if tr is not None else "") or turn.language or (self.worker.language or "en")
        text = _join(parts, language)
        if not text:
            self.discarded.append("no words")
            return
        final = FinalTranscript(
            text,
            language,
            self.sample_time(turn.speech_start),
            self.sample_time(turn.speech_end),
            time.monotonic(),
            turn.size / SAMPLE_RATE,
        )
        self.finals.append(final)
        del self.finals[:-50]
        self._emit("final", text, language)

    def _emit(self, name: str, *args: Any) -> None:
        cb = self.callbacks.get(name)
        if cb is None:
            return
        if self.loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing: nobody is listening any more
                self.loop.call_soon_threadsafe(cb, *args)
            return
        try:
            cb(*args)
        except Exception:
            log.exception("listener %s callback failed", name)


def _join(parts: list[str], language: str) -> str:
    sep = "" if language == "zh" else " "
    return sep.join(p.strip() for p in parts if p.strip()).strip()
