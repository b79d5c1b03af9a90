"""End-of-turn detection from per-window speech probabilities, counted in samples.

A turn starts once ``min_speech_ms`` of speech has been heard (shorter sounds are discarded), and
ends after ``end_of_turn_ms`` of silence.  Hysteresis (``threshold`` up, ``neg_threshold`` down)
keeps a word's soft ending from cutting the turn.  The first silent window is reported at once
(``SILENCE``) so the listener can start the final transcription while it waits to be sure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TurnEventKind(StrEnum):
    START = "start"
    """``min_speech_ms`` of speech heard: someone is talking (barge-in point)."""
    SILENCE = "silence"
    """Speech stopped; the turn ends unless it resumes within ``end_of_turn_ms``."""
    RESUMED = "resumed"
    """Speech came back before the turn ended."""
    END = "end"
    """The turn is over (silence long enough, or ``max_turn_s`` reached)."""
    DISCARDED = "discarded"
    """A sound too short to be speech ended."""


@dataclass(frozen=True, slots=True)
class TurnEvent:
    """``kind`` at absolute sample ``sample``; ``start``/``end`` bound the turn's speech (samples)."""

    kind: TurnEventKind
    sample: int
    start: int
    end: int


class TurnDetector:
    """Feed one probability per window with ``push``; get the events that window caused."""

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        window: int = 512,
        threshold: float = 0.5,
        neg_threshold: float | None = None,
        min_speech_ms: int = 250,
        end_of_turn_ms: int = 400,
        max_turn_s: float = 30.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.window = window
        self.threshold = threshold
        self.neg_threshold = max(0.01, threshold - 0.15) if neg_threshold is None else neg_threshold
        self.min_speech = int(min_speech_ms * sample_rate / 1000)
        self.end_of_turn = int(end_of_turn_ms * sample_rate / 1000)
        self.max_turn = int(max_turn_s * sample_rate)
        self.position = 0
        self.reset()

    def reset(self) -> None:
        """Back to waiting for speech (the sample counter keeps running)."""
        self.state = "idle"
        self.start = 0
        self.speech = 0
        self.silence_since: int | None = None
        self.last_voice = 0

    @property
    def in_turn(self) -> bool:
        return self.state == "speech"

    def push(self, prob: float) -> list[TurnEvent]:
        begin = self.position
        self.position += self.window
        end = self.position
        events: list[TurnEvent] = []
        voiced = prob >= self.threshold
        if self.state == "idle":
            if voiced:
                self.state, self.start, self.speech, self.last_voice = "pending", begin, self.window, end
                self.silence_since = None
                events += self._maybe_start(end)
            return events
        if voiced or (self.silence_since is None and prob >= self.neg_threshold):
            if voiced:
                self.speech += self.window
                self.last_voice = end
            if self.silence_since is not None:
                self.silence_since = None
                if self.state == "speech":
                    events.append(TurnEvent(TurnEventKind.RESUMED, end, self.start, end))
            if self.state == "pending":
                events += self._maybe_start(end)
        elif self.silence_since is None:
            self.silence_since = begin
            if self.state == "speech":
                events.append(TurnEvent(TurnEventKind.SILENCE, end, self.start, begin))
        if self.silence_since is not None and end - self.silence_since >= self.end_of_turn:
            kind = TurnEventKind.END if self.state == "speech" else TurnEventKind.DISCARDED
            events.append(TurnEvent(kind, end, self.start, self.silence_since))
            self.reset()
        elif self.state == "speech" and end - self.start >= self.max_turn:
            events.append(TurnEvent(TurnEventKind.END, end, self.start, end))
            self.reset()
        return events

    def _maybe_start(self, end: int) -> list[TurnEvent]:
        if self.speech >= self.min_speech:
            self.state = "speech"
            return [TurnEvent(TurnEventKind.START, end, self.start, end)]
        return []
