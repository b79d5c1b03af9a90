"""coqui XTTS-v2: clone a voice from a 3-10 s reference clip (optional extra ``moodcam[xtts]``).

The model folder is the user's own download (config.json, model.pth, vocab.json ...); nothing is
fetched.  The reference clip is read once, locally, to compute the speaker latents; it is never
copied, sent or logged.  Rate and liveliness go through XTTS's ``speed`` and ``temperature``.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.voice.engine import Rendered, TTSEngine
from pipeline.voice.prosody import Prosody

REQUIRED_FILES = ("config.json", "model.pth", "vocab.json")
XTTS_LANGUAGES = {"zh": "zh-cn"}
REFERENCE_SECONDS = (3.0, 10.0)


class XttsUnavailable(RuntimeError):
    """XTTS cannot run here: the model folder or the optional extra is missing."""


def check_model_dir(model_dir: str | Path) -> Path:
    """The model folder, or XttsUnavailable naming the folder and the files it lacks."""
    folder = Path(model_dir).expanduser()
    if not folder.is_dir():
        raise XttsUnavailable(f"XTTS model folder not found: {folder} (download XTTS-v2 there first)")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise XttsUnavailable(f"XTTS model folder {folder} lacks {', '.join(missing)}")
    return folder


def check_reference(reference: str | Path | None) -> Path:
    """The reference clip, checked to be a readable WAV of 3-10 s (its content is never logged)."""
    if reference is None:
        raise ValueError("XTTS needs a reference clip of the voice to clone (voice.reference)")
    path = Path(reference).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"reference clip not found: {path}")
    try:
        with wave.open(str(path), "rb") as w:
            seconds = w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"reference clip {path} is not a PCM WAV file") from exc
    low, high = REFERENCE_SECONDS
    if not low <= seconds <= high:
        raise ValueError(f"reference clip {path} lasts {seconds:.1f} s; use {low:.0f}-{high:.0f} s")
    return path


def _import_xtts() -> tuple[Any, Any]:
    try:
        from TTS.tts.configs.xtts_config import XttsConfig
        from TTS.tts.models.xtts import Xtts
    except ImportError as exc:
        raise XttsUnavailable(
            "XTTS needs the optional extra: pip install 'moodcam[xtts]' (coqui-tts with its torch)"
        ) from exc
    return XttsConfig, Xtts


class XttsEngine(TTSEngine):
    """Voice cloning with XTTS-v2 on CPU (or ``device="cuda"``)."""

    name = "xtts"

    def __init__(
        self,
        model_dir: str | Path,
        reference: str | Path | None,
        *,
        device: str = "cpu",
        temperature: float = 0.7,
        **kwargs: object,
    ) -> None:
        folder = check_model_dir(model_dir)
        ref = check_reference(reference)
        xtts_config_cls, xtts_cls = _import_xtts()
        super().__init__(**kwargs)  # type: ignore[arg-type]
        config = xtts_config_cls()
        config.load_json(str(folder / "config.json"))
        model = xtts_cls.init_from_config(config)
        model.load_checkpoint(config, checkpoint_dir=str(folder), use_deepspeed=False, eval=True)
        if device != "cpu":
            model.to(device)
        self.model = model
        self.temperature = temperature
        self._rate = int(getattr(config.audio, "output_sample_rate", 24000))
        self._latent, self._speaker = model.get_conditioning_latents(audio_path=[str(ref)])

    @property
    def sample_rate(self) -> int:
        return self._rate

    def _render(self, spoken: str, prosody: Prosody) -> Rendered:
        out = self.model.inference(
            spoken,
            XTTS_LANGUAGES.get(self.language, self.language),
            self._latent,
            self._speaker,
            temperature=min(1.0, self.temperature * prosody.variability),
            speed=min(2.0, max(0.5, prosody.rate)),
            enable_text_splitting=False,
        )
        wav = out["wav"]
        audio = wav.detach().cpu().numpy() if hasattr(wav, "detach") else np.asarray(wav)
        return Rendered(np.asarray(audio, dtype=np.float32).reshape(-1), None, None, frozenset({"rate", "variability"}))
