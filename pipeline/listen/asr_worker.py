"""One thread that owns the Whisper model and runs transcription jobs in order.

Jobs are FIFO, except that a partial still waiting is dropped when a newer partial or a final
arrives (a partial is only worth the latest audio).  Finals and commits are never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from pipeline.listen.asr import Transcript, WhisperTranscriber

log = logging.getLogger(__name__)


class JobKind(StrEnum):
    PARTIAL = "partial"
    FINAL = "final"
    COMMIT = "commit"


@dataclass(slots=True)
class Job:
    kind: JobKind
    turn: int
    version: int
    audio: np.ndarray
    previous: Callable[[], str] = field(default=lambda: "")
    done: Callable[[Job, Transcript | None], None] = field(default=lambda job, tr: None)
    result: Transcript | None = None
    finished: threading.Event = field(default_factory=threading.Event)


class AsrWorker:
    """Runs jobs on ``transcriber`` in a daemon thread; ``done`` callbacks run on that thread."""

    def __init__(self, transcriber: WhisperTranscriber, language: str | None = None) -> None:
        self.transcriber = transcriber
        self.language = language
        self._jobs: deque[Job] = deque()
        self._cond = threading.Condition()
        self._stop = False
        self.busy = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="listen-asr", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._jobs.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def submit(self, job: Job) -> None:
        with self._cond:
            if job.kind in (JobKind.PARTIAL, JobKind.FINAL):  # a waiting partial would only delay it
                self._jobs = deque(j for j in self._jobs if j.kind != JobKind.PARTIAL)
            self._jobs.append(job)
            self._cond.notify()

    def idle(self) -> bool:
        with self._cond:
            return not self.busy and not self._jobs

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                job = self._jobs.popleft()
                self.busy = True
            try:
                previous = job.previous()
                job.result = self.transcriber.transcribe(job.audio, language=self.language, previous_text=previous)
            except Exception:
                log.exception("transcription failed (%s)", job.kind)
                job.result = None
            finally:
                with self._cond:
                    self.busy = False
            job.finished.set()
            try:
                job.done(job, job.result)
            except Exception:
                log.exception("listener callback failed after %s transcription", job.kind)
