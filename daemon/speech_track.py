"""The Stage's speech source: queued utterances played back to back, cut into the Stage's audio chunks.

Everything here counts in Stage samples (48 kHz by default), so picture and sound stay on one clock.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from pipeline.utterance import Utterance, WordTiming
from pipeline.voice.resample import resample


@dataclass(slots=True)
class Playing:
    """An utterance on the Stage: where it starts (Stage sample) and its audio at the Stage rate."""

    utterance: Utterance
    start: int
    audio: np.ndarray
    rate: int

    @property
    def end(self) -> int:
        return self.start + self.audio.size

    def word_at(self, sample: int) -> WordTiming | None:
        """The word being said at Stage sample ``sample`` (for subtitles), if any."""
        local = (sample - self.start) * self.utterance.sample_rate // self.rate
        for word in self.utterance.words:
            if word.start <= local < word.end:
                return word
        return None


class SpeechTrack:
    """A bounded queue of utterances turned into a continuous PCM stream (silence when idle)."""

    def __init__(self, sample_rate: int, gap_s: float = 0.18, max_queued: int = 32, not_before: int = 0) -> None:
        self.sample_rate = sample_rate
        self.gap = round(gap_s * sample_rate)
        self.max_queued = max_queued
        self._queue: collections.deque[Utterance] = collections.deque()
        self._playing: Playing | None = None
        self._last_end = not_before - self.gap  # the first utterance starts no earlier than this sample
        self.dropped = 0

    @property
    def playing(self) -> Playing | None:
        return self._playing

    @property
    def queued(self) -> int:
        return len(self._queue)

    def enqueue(self, utterance: Utterance) -> bool:
        """Queue an utterance; False (and counted) when the queue is full."""
        if len(self._queue) >= self.max_queued:
            self.dropped += 1
            return False
        self._queue.append(utterance)
        return True

    def clear(self) -> list[Utterance]:
        """Interrupt: stop what is playing and forget the queue; returns what was cut or never played."""
        cut = [self._playing.utterance] if self._playing else []
        cut.extend(self._queue)
        self._queue.clear()
        self._playing = None
        return cut

    def pull(self, start: int, count: int) -> tuple[np.ndarray, list[Playing]]:
        """PCM for Stage samples ``start .. start+count`` and the utterances that began inside it."""
        out = np.zeros(count, dtype=np.float32)
        started: list[Playing] = []
        pos = start
        end = start + count
        while pos < end:
            if self._playing is None:
                if not self._queue:
                    break
                utt = self._queue[0]
                begin = max(pos, self._last_end + (0 if utt.continues else self.gap))
                if begin >= end:
                    break
                self._queue.popleft()
                audio = resample(utt.audio, utt.sample_rate, self.sample_rate)
                self._playing = Playing(utt, begin, audio, self.sample_rate)
                started.append(self._playing)
                pos = begin
            playing = self._playing
            take = min(end, playing.end) - pos
            if take > 0:
                offset = pos - playing.start
                out[pos - start : pos - start + take] = playing.audio[offset : offset + take]
                pos += take
            if pos >= playing.end:
                self._last_end = playing.end
                self._playing = None
        return out, started
