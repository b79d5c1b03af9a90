"""The OpenAI-compatible speech engine against a real speech server on 127.0.0.1 that synthesises with
piper (the same contract CosyVoice / GPT-SoVITS / XTTS API servers speak)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from piper import SynthesisConfig

from pipeline.emotion import Emotion, EmotionState
from pipeline.visemes import Viseme
from pipeline.voice.analysis import pitch_track
from pipeline.voice.factory import build_engine
from pipeline.voice.openai_engine import OpenAISpeechEngine, SpeechServerError, speech_endpoint
from pipeline.voice.piper_engine import PiperEngine
from pipeline.voice.wav import encode_wav
from tests.pipeline.voice.speech_checks import transcribe, word_error_rate

KEY = "test-key-123"


class SpeechServer(ThreadingHTTPServer):
    daemon_threads = True
    voice: object
    requests: list[dict]


class Handler(BaseHTTPRequestHandler):
    server: SpeechServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        if self.path != "/v1/audio/speech":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            self._reply(401, b'{"error": "bad key"}', "application/json")
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        if not body.get("input", "").strip():
            self._reply(400, b'{"error": "empty input"}', "application/json")
            return
        voice = self.server.voice
        syn = SynthesisConfig(length_scale=1.0 / float(body.get("speed", 1.0)))
        audio = np.concatenate([c.audio_float_array for c in voice.synthesize(body["input"], syn)])  # type: ignore[attr-defined]
        rate = voice.config.sample_rate  # type: ignore[attr-defined]
        if body.get("response_format") == "pcm":
            pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
            self._reply(200, pcm, "audio/pcm")
        else:
            self._reply(200, encode_wav(audio, rate), "audio/wav")

    def _reply(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server(piper_engine: PiperEngine) -> Iterator[SpeechServer]:
    srv = SpeechServer(("127.0.0.1", 0), Handler)
    srv.voice = piper_engine.voice
    srv.requests = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def url(server: SpeechServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_endpoint_from_base_url() -> None:
    assert speech_endpoint("http://h:8000") == "http://h:8000/v1/audio/speech"
    assert speech_endpoint("http://h:8000/v1/") == "http://h:8000/v1/audio/speech"
    assert speech_endpoint("http://h/v1/audio/speech") == "http://h/v1/audio/speech"


def test_wav_reply_is_intelligible_and_lip_synced(server: SpeechServer, whisper) -> None:
    with OpenAISpeechEngine(url(server), "piper-joe", voice="joe", api_key=KEY) as engine:
        text = "Thanks for the follow! The blue mug is only $5 today."
        u = engine.synthesize(text)
    assert u.sample_rate == 24000
    request = server.requests[-1]
    assert request["model"] == "piper-joe" and request["voice"] == "joe" and request["response_format"] == "wav"
    assert "five dollars" in request["input"] and "$" not in request["input"]  # normalised before sending
    assert word_error_rate(text, transcribe(whisper, u.audio, u.sample_rate)) < 0.10
    kinds = {k.viseme for k in u.visemes}
    assert Viseme.SILENCE in kinds and kinds & {Viseme.AA, Viseme.E, Viseme.O} and Viseme.MBP in kinds
    assert [w.text for w in u.words][:3] == ["Thanks", "for", "the"]


def test_pcm_reply_and_speed_carries_the_emotion(server: SpeechServer) -> None:
    engine = build_engine(
        "openai", "piper-joe", url=url(server), api_key=KEY, response_format="pcm", pcm_sample_rate=22050
    )
    try:
        text = "Please remember to follow me for more great deals."
        calm = engine.synthesize(text)
        assert server.requests[-1]["response_format"] == "pcm" and server.requests[-1]["speed"] == 1.0
        happy = engine.synthesize(text, EmotionState(Emotion.HAPPY, 1.0))
        assert server.requests[-1]["speed"] > 1.1
    finally:
        engine.close()
    assert happy.duration < calm.duration

    # pitch has no server control: it is shifted locally (median: the range is widened around it)
    def median_f0(audio: np.ndarray) -> float:
        f0 = pitch_track(audio, 24000).f0
        return float(np.median(f0[f0 > 0]))

    assert median_f0(happy.audio) > 1.06 * median_f0(calm.audio)


def test_key_from_environment_and_refusals(server: SpeechServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODCAM_TEST_TTS_KEY", KEY)
    engine = build_engine("openai", "m", url=url(server), api_key_env="MOODCAM_TEST_TTS_KEY")
    assert engine.synthesize("Hello there.").duration > 0.5
    engine.close()
    wrong = build_engine("openai", "m", url=url(server), api_key="nope")
    with pytest.raises(SpeechServerError, match="401") as info:
        wrong.synthesize("Hello there.")
    assert "nope" not in str(info.value)
    wrong.close()
    with pytest.raises(ValueError, match="NOT_SET_ANYWHERE"):
        build_engine("openai", "m", url=url(server), api_key_env="NOT_SET_ANYWHERE")


def test_unreachable_server_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = OpenAISpeechEngine(f"http://127.0.0.1:{port}", timeout_s=2.0)
    with pytest.raises(SpeechServerError, match="unreachable"):
        engine.synthesize("Hello.")
    engine.close()
