"""Speech to text with Whisper (faster-whisper's CTranslate2 model), tuned for live turns.

Whisper is trained on 30 s windows, but the encoder runs on any shorter mel input: encoding only
the turn plus a second of padding makes a 3 s turn about 8x cheaper to encode than the full window,
which is what makes re-transcribing the growing turn for partials affordable on two cores.
Greedy decoding, no timestamps, no fallback temperatures: a bounded cost per call.  Chinese is
steered to simplified characters with a simplified prompt and converted if any traditional ones
slip through.  Only the languages the profile allows are considered in language detection.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
ZH_PROMPT = "以下是普通话的句子。"
_REPEAT_RE = re.compile(r"(.{1,12}?)(?:[\s,，、]*\1){3,}")


@dataclass(frozen=True, slots=True)
class Transcript:
    """One transcription: text, language chosen, and how sure the model was."""

    text: str
    language: str
    language_probability: float
    no_speech_prob: float
    avg_logprob: float
    audio_s: float
    seconds: float


def tidy(text: str, language: str) -> str:
    """Whitespace trimmed, runaway repetitions cut to one, Chinese in simplified characters."""
    text = _REPEAT_RE.sub(r"\1", text.strip())
    if language == "zh":
        from pipeline.inbox.normalize import to_simplified

        text = to_simplified(text).replace(" ", "")
    return text


class WhisperTranscriber:
    """Thread-safe (calls are serialised) Whisper transcriber over one loaded model."""

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        *,
        languages: Sequence[str] = ("en",),
        cpu_threads: int = 2,
        compute_type: str = "int8",
        zh_prompt: str = ZH_PROMPT,
        context_pad_s: float = 1.0,
        min_context_s: float = 3.0,
    ) -> None:
        from faster_whisper import WhisperModel

        if not languages:
            raise ValueError("at least one language is needed")
        self.languages = tuple(languages)
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)
        if not self.model.model.is_multilingual and set(self.languages) - {"en"}:
            raise ValueError(f"model {model_dir} is English-only; cannot transcribe {self.languages}")
        self.zh_prompt = zh_prompt
        self.context_pad_s = context_pad_s
        self.min_context_s = min_context_s
        self._lock = threading.Lock()
        self._tokenizers: dict[str, object] = {}

    def _tokenizer(self, language: str):
        tok = self._tokenizers.get(language)
        if tok is None:
            from faster_whisper.tokenizer import Tokenizer

            tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, "transcribe", language)
            self._tokenizers[language] = tok
        return tok

    def _features(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel features of ``audio`` plus padding, cut to a whole number of seconds (<= 30)."""
        dur = audio.size / SAMPLE_RATE
        ctx = min(30.0, max(self.min_context_s, math.ceil(dur + self.context_pad_s)))
        padded = np.zeros(int(ctx * SAMPLE_RATE), np.float32)
        padded[: min(audio.size, padded.size)] = audio[-padded.size :]
        feats = self.model.feature_extractor(padded, padding=0)
        return np.ascontiguousarray(feats[:, : int(ctx * 100)], dtype=np.float32)

    def transcribe(
        self, audio: np.ndarray, *, language: str | None = None, previous_text: str | None = None
    ) -> Transcript:
        """Text of ``audio`` (float32 mono 16 kHz, at most 30 s: longer keeps the last 30 s).

        ``language``: force one; None detects among the allowed languages.  ``previous_text``: what
        was said just before (improves continuity when a long turn is transcribed in parts).
        """
        import ctranslate2
        from faster_whisper.transcribe import get_suppressed_tokens

        x = np.asarray(audio, np.float32).reshape(-1)
        started = time.perf_counter()
        feats = self._features(x)
        with self._lock:
            enc = self.model.model.encode(ctranslate2.StorageView.from_array(feats[None]), to_cpu=False)
            lang, lang_p = self._pick_language(enc, language)
            tok = self._tokenizer(lang)
            prompt: list[int] = []
            context = (self.zh_prompt if lang == "zh" else "") + (previous_text or "")
            if context:
                prompt = [tok.sot_prev, *tok.encode(" " + context.strip())[-200:]]
            prompt += [*tok.sot_sequence, tok.no_timestamps]
            budget = int(10 + 12 * x.size / SAMPLE_RATE)
            result = self.model.model.generate(
                enc,
                [prompt],
                beam_size=1,
                max_length=min(448, len(prompt) + budget),
                suppress_blank=True,
                suppress_tokens=get_suppressed_tokens(tok, [-1]),
                return_scores=True,
                return_no_speech_prob=True,
            )[0]
        ids = [t for t in result.sequences_ids[0] if t < tok.eot]
        text = tidy(tok.decode(ids), lang)
        score = float(result.scores[0]) if result.scores else 0.0
        no_speech = float(getattr(result, "no_speech_prob", 0.0))
        if no_speech > 0.6 and score < -1.0:
            text = ""
        return Transcript(text, lang, lang_p, no_speech, score, x.size / SAMPLE_RATE, time.perf_counter() - started)

    def _pick_language(self, enc: object, forced: str | None) -> tuple[str, float]:
        if forced:
            return forced, 1.0
        if len(self.languages) == 1:
            return self.languages[0], 1.0
        probs = {tok[2:-2]: p for tok, p in self.model.model.detect_language(enc)[0]}
        allowed = {lang: probs.get(lang, 0.0) for lang in self.languages}
        total = sum(allowed.values()) or 1.0
        best = max(allowed, key=lambda k: allowed[k])
        return best, allowed[best] / total
