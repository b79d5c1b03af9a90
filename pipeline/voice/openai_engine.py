"""A remote voice behind the OpenAI-compatible ``POST /v1/audio/speech`` contract (CosyVoice,
GPT-SoVITS, XTTS and other API servers).

Request JSON: ``{model, input, voice, response_format: "wav" | "pcm", speed}``; the reply body is the
audio (WAV, or raw 16-bit little-endian mono PCM at ``pcm_sample_rate``).  Rate goes through
``speed``; pitch, pauses and loudness are applied locally; visemes come from the audio.
"""

from __future__ import annotations

from typing import Literal

import httpx

from pipeline.voice.engine import Rendered, TTSEngine
from pipeline.voice.prosody import Prosody
from pipeline.voice.resample import resample
from pipeline.voice.wav import decode_pcm16, decode_wav


class SpeechServerError(RuntimeError):
    """The speech server refused or failed a request (status and a short reason, never the key)."""


def speech_endpoint(url: str) -> str:
    """The full speech URL from a base URL (``http://host:8000``, ``.../v1`` or the full path)."""
    base = url.rstrip("/")
    if base.endswith("/audio/speech"):
        return base
    if base.endswith("/v1"):
        return f"{base}/audio/speech"
    return f"{base}/v1/audio/speech"


class OpenAISpeechEngine(TTSEngine):
    """Speaks through a speech server; every utterance is resampled to ``sample_rate``."""

    name = "openai"

    def __init__(
        self,
        url: str,
        model: str = "tts-1",
        *,
        voice: str | None = None,
        api_key: str | None = None,
        response_format: Literal["wav", "pcm"] = "wav",
        pcm_sample_rate: int = 24000,
        sample_rate: int = 24000,
        timeout_s: float = 30.0,
        native_speed: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if response_format not in ("wav", "pcm"):
            raise ValueError("response_format must be 'wav' or 'pcm'")
        self.endpoint = speech_endpoint(url)
        self.model = model
        self.voice = voice or "alloy"
        self.response_format = response_format
        self.pcm_sample_rate = pcm_sample_rate
        self._rate = sample_rate
        self.native_speed = native_speed
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    @property
    def sample_rate(self) -> int:
        return self._rate

    def close(self) -> None:
        self._client.close()

    def _render(self, spoken: str, prosody: Prosody) -> Rendered:
        speed = min(4.0, max(0.25, prosody.rate)) if self.native_speed else 1.0
        payload = {
            "model": self.model,
            "input": spoken,
            "voice": self.voice,
            "response_format": self.response_format,
            "speed": round(speed, 3),
        }
        try:
            reply = self._client.post(self.endpoint, json=payload)
        except httpx.HTTPError as exc:
            raise SpeechServerError(f"speech server {self.endpoint} unreachable: {type(exc).__name__}") from exc
        if reply.status_code != 200:
            reason = reply.text[:200].replace("\n", " ")
            raise SpeechServerError(f"speech server {self.endpoint} answered {reply.status_code}: {reason}")
        body = reply.content
        if self.response_format == "wav" or body[:4] == b"RIFF":
            audio, rate = decode_wav(body)
        else:
            audio, rate = decode_pcm16(body), self.pcm_sample_rate
        audio = resample(audio, rate, self._rate)
        handled = frozenset({"rate"}) if self.native_speed else frozenset()
        return Rendered(audio, None, None, handled)
