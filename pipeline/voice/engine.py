"""The TTS engine interface: text + emotion in, Utterances (audio, visemes, word timings) out,
sentence by sentence so the first sentence plays while the rest is still being synthesised.

An engine implements ``_render`` for one normalised sentence and says which prosody controls it
applies itself; this base applies the rest (pitch and range by PSOLA, tempo, pauses, brightness,
loudness), makes visemes from the audio when the engine has no alignments, and assembles Utterances.
"""

from __future__ import annotations

import itertools
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from pipeline.emotion import EmotionState
from pipeline.utterance import Utterance, WordTiming
from pipeline.visemes import Viseme, VisemeKey
from pipeline.voice.alignment_visemes import spoken_words
from pipeline.voice.analysis import active_rms_db
from pipeline.voice.audio_visemes import visemes_from_audio
from pipeline.voice.markup import strip_markup
from pipeline.voice.pauses import scale_pauses
from pipeline.voice.pitch_tempo import psola
from pipeline.voice.prosody import Prosody, apply_level, high_shelf, prosody_for
from pipeline.voice.sentences import SentenceStream, split_clauses, split_sentences
from pipeline.voice.text_normalize import normalize_for_speech

Control = Literal["rate", "pitch", "pauses", "variability"]
TARGET_ACTIVE_DB = -21.0
"""Speech level every engine is brought to before emotion changes it (active-frame RMS, dBFS)."""


@dataclass(slots=True)
class Rendered:
    """One sentence from an engine: audio, and visemes/words when the engine knows them exactly."""

    audio: np.ndarray
    visemes: list[VisemeKey] | None = None
    words: list[WordTiming] | None = None
    handled: frozenset[str] = field(default_factory=frozenset)
    """Prosody controls the engine already applied (``Control`` names)."""


class TTSEngine(ABC):
    """Speaks text with feeling.  ``synthesize``/``stream`` may be called from any thread: calls
    into the model are serialised by a lock (one synthesis at a time per engine)."""

    name: ClassVar[str] = "tts"

    def __init__(
        self,
        *,
        language: str = "en",
        rate: float = 1.0,
        emotion_strength: float = 1.0,
        sentence_pause_ms: int = 180,
        first_chunk_chars: int = 48,
    ) -> None:
        if not 0.25 <= rate <= 4.0:
            raise ValueError("rate must be within 0.25..4")
        self.language = language
        self.rate = rate
        self.emotion_strength = emotion_strength
        self.sentence_pause_ms = sentence_pause_ms
        self.first_chunk_chars = first_chunk_chars
        self._lock = threading.Lock()

    # -- what an engine provides ---------------------------------------------------------------
    @property
    @abstractmethod
    def sample_rate(self) -> int:
        """Sample rate of every Utterance this engine returns."""

    @abstractmethod
    def _render(self, spoken: str, prosody: Prosody) -> Rendered:
        """Synthesise one normalised sentence at ``sample_rate``."""

    def close(self) -> None:  # noqa: B027  (most engines hold nothing to release)
        """Release model or connection resources."""

    def __enter__(self) -> TTSEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- text --------------------------------------------------------------------------------------
    def speech_text(self, sentence: str) -> str:
        """What the engine is given for ``sentence``: markup gone, numbers in words."""
        if self.language in ("en", "zh"):
            return normalize_for_speech(sentence, self.language)  # type: ignore[arg-type]
        return strip_markup(sentence)  # other languages: the phonemizer reads numbers itself

    def plan(self, text: str) -> list[tuple[str, bool]]:
        """The display pieces ``text`` will be spoken as, each with whether it starts a sentence: a
        long first sentence is cut at clause marks so its audio comes sooner (its clauses follow
        each other without the sentence pause; the comma's own pause is in the audio)."""
        sentences = split_sentences(strip_markup(text))
        if not sentences:
            return []
        pieces = [(clause, i == 0) for i, clause in enumerate(split_clauses(sentences[0], self.first_chunk_chars))]
        return pieces + [(sentence, True) for sentence in sentences[1:]]

    # -- speaking ------------------------------------------------------------------------------
    def prosody(self, emotion: EmotionState) -> Prosody:
        return prosody_for(emotion, self.emotion_strength, self.rate)

    def stream(self, text: str, emotion: EmotionState | None = None) -> Iterator[Utterance]:
        """One Utterance per sentence (per clause for a long first sentence), each yielded as soon as
        it is synthesised; every sentence after the first starts with the sentence pause, and every
        piece after the first ``continues`` (played right after the one before).  Stop iterating to
        interrupt."""
        first = True
        for piece, starts_sentence in self.plan(text):
            utterance = self.say_sentence(piece, emotion, pause_before=starts_sentence and not first)
            if utterance is not None:
                utterance.continues = not first
                first = False
                yield utterance

    def stream_pieces(self, pieces: Iterable[str], emotion: EmotionState | None = None) -> Iterator[Utterance]:
        """Like ``stream`` for text that arrives in pieces (LLM tokens): each sentence is spoken as
        soon as it is complete."""
        splitter = SentenceStream()
        first = True
        for piece in itertools.chain(pieces, [None]):
            sentences = splitter.push(piece) if piece is not None else splitter.flush()
            for sentence in sentences:
                utterance = self.say_sentence(strip_markup(sentence), emotion, pause_before=not first)
                if utterance is not None:
                    utterance.continues = not first
                    first = False
                    yield utterance

    def synthesize(self, text: str, emotion: EmotionState | None = None) -> Utterance:
        """The whole text (one sentence or a paragraph) as one Utterance."""
        emotion = emotion or EmotionState()
        parts = list(self.stream(text, emotion))
        audio: list[np.ndarray] = []
        visemes: list[VisemeKey] = []
        words: list[WordTiming] = []
        offset = 0
        for part in parts:
            audio.append(part.audio)
            visemes.extend(VisemeKey(k.start + offset, k.end + offset, k.viseme, k.weight) for k in part.visemes)
            words.extend(WordTiming(w.start + offset, w.end + offset, w.text) for w in part.words)
            offset += len(part.audio)
        pcm = np.concatenate(audio) if audio else np.zeros(0, dtype=np.float32)
        return Utterance(strip_markup(text), emotion, pcm, self.sample_rate, merge_silences(visemes), words)

    def say_sentence(
        self, sentence: str, emotion: EmotionState | None = None, *, pause_before: bool = False
    ) -> Utterance | None:
        """One display sentence as an Utterance (None when nothing in it is speakable), beginning
        with the sentence pause when ``pause_before`` (every sentence of a reply but the first)."""
        emotion = emotion or EmotionState()
        spoken = self.speech_text(sentence)
        if not spoken_words(spoken):
            return None
        prosody = self.prosody(emotion)
        with self._lock:
            rendered = self._render(spoken, prosody)
        audio, visemes, words = self._finish(rendered, prosody, spoken)
        pause = round(self.sentence_pause_ms * prosody.pause * self.sample_rate / 1000) if pause_before else 0
        if pause > 0:
            audio = np.concatenate([np.zeros(pause, dtype=np.float32), audio])
            visemes = merge_silences(
                [VisemeKey(0, pause, Viseme.SILENCE, 1.0)]
                + [VisemeKey(k.start + pause, k.end + pause, k.viseme, k.weight) for k in visemes]
            )
            words = [WordTiming(w.start + pause, w.end + pause, w.text) for w in words]
        return Utterance(sentence, emotion, audio, self.sample_rate, visemes, words)

    def _finish(
        self, rendered: Rendered, prosody: Prosody, spoken: str
    ) -> tuple[np.ndarray, list[VisemeKey], list[WordTiming]]:
        """Apply the prosody the engine could not, level the voice, and make sure there are visemes."""
        sr = self.sample_rate
        audio = np.asarray(rendered.audio, dtype=np.float32)
        handled = rendered.handled
        visemes, words = rendered.visemes, rendered.words
        tempo = 1.0 if "rate" in handled else prosody.rate
        needs_pitch = "pitch" not in handled and (prosody.pitch_factor != 1.0 or prosody.pitch_range != 1.0)
        if needs_pitch or abs(tempo - 1.0) > 1e-3:
            if abs(tempo - 1.0) > 1e-3:
                visemes, words = None, None  # timing changes: re-derive below
            audio = psola(audio, sr, pitch_factor=prosody.pitch_factor, range_factor=prosody.pitch_range, tempo=tempo)
        if "pauses" not in handled and abs(prosody.pause - 1.0) > 1e-3:
            audio = scale_pauses(audio, sr, prosody.pause)
            visemes, words = None, None
        audio = high_shelf(audio, sr, prosody.brightness_db)
        level = active_rms_db(audio, sr)
        gain = (TARGET_ACTIVE_DB - level if level > -90 else 0.0) + prosody.energy_db
        audio = apply_level(audio, gain)
        if visemes is None:
            visemes = visemes_from_audio(audio, sr)
        if words is None:
            words = _words_from_visemes(spoken, visemes, len(audio))
        return audio, visemes, words


def merge_silences(keys: list[VisemeKey]) -> list[VisemeKey]:
    """Join SILENCE keys that touch or overlap into one (keys sorted by start)."""
    out: list[VisemeKey] = []
    last_silence: int | None = None
    for k in sorted(keys, key=lambda k: (k.start, k.end)):
        if k.viseme is Viseme.SILENCE and last_silence is not None and k.start <= out[last_silence].end:
            prev = out[last_silence]
            out[last_silence] = VisemeKey(prev.start, max(prev.end, k.end), Viseme.SILENCE, 1.0)
            continue
        out.append(k)
        if k.viseme is Viseme.SILENCE:
            last_silence = len(out) - 1
    return out


def _words_from_visemes(spoken: str, visemes: list[VisemeKey], total: int) -> list[WordTiming]:
    """Spread words over the speaking stretches (non-silent keys) in proportion to their length."""
    words = spoken_words(spoken)
    stretches: list[list[int]] = []
    for k in sorted(visemes, key=lambda k: k.start):
        if k.viseme is Viseme.SILENCE:
            continue
        if stretches and k.start <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], k.end)
        else:
            stretches.append([k.start, k.end])
    if not words:
        return []
    if not stretches:
        stretches = [[0, total]]
    spoken_total = sum(b - a for a, b in stretches)
    weights = [max(1, len(w)) for w in words]
    scale = spoken_total / sum(weights)

    def at(amount: float) -> int:
        acc = 0.0
        for a, b in stretches:
            if acc + (b - a) >= amount:
                return a + round(amount - acc)
            acc += b - a
        return stretches[-1][1]

    out: list[WordTiming] = []
    acc = 0.0
    for w, weight in zip(words, weights, strict=True):
        start = at(acc)
        acc += weight * scale
        out.append(WordTiming(start, max(start, at(acc)), w))
    return out
