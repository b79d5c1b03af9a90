"""Voice benchmark: per engine how soon the first audio of a reply is ready and the real-time factor,
for a short and a long sentence; per emotion the same sentences' mean f0, syllable rate and loudness,
and whether each moved the stated way from neutral.  Prints one JSON object.

``syllables_per_s`` is the text's syllable count (from its phonemes) over the speech time measured in
the audio; ``nuclei_per_s`` counts syllable nuclei in the audio itself (noisier, shown for reference).

Engines: the embedded piper voice, and the OpenAI-compatible speech engine against a speech server on
loopback that synthesises with the same piper voice (so its figures include HTTP and WAV transfer).

    .venv/bin/python bench/voice.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.cpu import one_blas_thread  # noqa: E402
from pipeline.emotion import EMOTIONS, Emotion, EmotionState  # noqa: E402
from pipeline.voice.analysis import (  # noqa: E402
    active_rms_db,
    pitch_track,
    speaking_rate,
    syllables_per_second,
)
from pipeline.voice.audio_visemes import visemes_from_audio  # noqa: E402
from pipeline.voice.engine import TTSEngine  # noqa: E402
from pipeline.voice.openai_engine import OpenAISpeechEngine  # noqa: E402
from pipeline.voice.piper_engine import PiperEngine  # noqa: E402
from pipeline.voice.prosody import STATED_DIRECTIONS  # noqa: E402
from pipeline.voice.syllables import count_syllables  # noqa: E402
from pipeline.voice.wav import encode_wav  # noqa: E402

SHORT = "Thanks so much for the follow!"
LONG = (
    "This soft cotton jacket comes in three colours and five sizes, it is machine washable, "
    "and today it is only $19.99, which is 50% off the usual price."
)
PROSODY_TEXTS = (
    "Thank you so much for joining the stream today.",
    "This jacket is made of soft cotton and it is on sale now.",
    "Please remember to follow me for more great deals.",
    "We will pick a winner at the end of the show.",
)


def timing(engine: TTSEngine, text: str, runs: int) -> dict[str, float]:
    """Median time to the first Utterance of ``stream`` and real-time factor of the whole text."""
    list(engine.stream(text))  # warm-up
    first, rtf = [], []
    for _ in range(runs):
        start = time.perf_counter()
        stream = engine.stream(text)
        head = next(stream)
        first.append(time.perf_counter() - start)
        rest = list(stream)
        elapsed = time.perf_counter() - start
        rtf.append(elapsed / (head.duration + sum(u.duration for u in rest)))
    return {"first_audio_ms": round(1000 * statistics.median(first), 1), "rtf": round(statistics.median(rtf), 3)}


def prosody(engine: TTSEngine, texts: tuple[str, ...], reps: int) -> dict[str, dict[str, float]]:
    """Per emotion: mean f0, syllables per second of speech (the text's syllables over the measured
    speech time), syllable nuclei found in the audio per second, and active-speech level."""
    syllables = {text: count_syllables(text) for text in texts}
    out: dict[str, dict[str, float]] = {}
    for emotion in EMOTIONS:
        state = EmotionState(emotion, 0.0 if emotion is Emotion.NEUTRAL else 1.0)
        f0, rate, nuclei, rms = [], [], [], []
        for _ in range(reps):
            for text in texts:
                u = engine.synthesize(text, state)
                f0.append(pitch_track(u.audio, u.sample_rate).mean_hz())
                rate.append(speaking_rate(u.audio, u.sample_rate, syllables[text]))
                nuclei.append(syllables_per_second(u.audio, u.sample_rate))
                rms.append(active_rms_db(u.audio, u.sample_rate))
        out[emotion.value] = {
            "f0_mean_hz": round(float(np.mean(f0)), 1),
            "syllables_per_s": round(float(np.mean(rate)), 2),
            "nuclei_per_s": round(float(np.mean(nuclei)), 2),
            "rms_db": round(float(np.mean(rms)), 1),
        }
    neutral = out["neutral"]
    for emotion, stated in STATED_DIRECTIONS.items():
        row = out[emotion.value]
        row["stated_direction_ok"] = all(sign * (row[m] - neutral[m]) > 0 for m, sign in stated.items())
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    voice: object


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        from piper import SynthesisConfig

        voice = self.server.voice
        syn = SynthesisConfig(length_scale=1.0 / float(body.get("speed", 1.0)))
        audio = np.concatenate([c.audio_float_array for c in voice.synthesize(body["input"], syn)])  # type: ignore[attr-defined]
        data = encode_wav(audio, voice.config.sample_rate)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs (under 30 s)")
    args = parser.parse_args()
    one_blas_thread()  # as the daemon runs
    runs = 2 if args.quick else 7
    started = time.perf_counter()
    load_start = time.perf_counter()
    piper = PiperEngine("embedded")
    result: dict[str, object] = {
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "quick": args.quick,
        "piper_load_s": round(time.perf_counter() - load_start, 2),
    }
    engines: dict[str, dict[str, object]] = {}
    engines["piper"] = {"short": timing(piper, SHORT, runs), "long": timing(piper, LONG, runs)}

    server = _Server(("127.0.0.1", 0), _Handler)
    server.voice = piper.voice
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        remote = OpenAISpeechEngine(f"http://127.0.0.1:{server.server_address[1]}", "piper", sample_rate=22050)
        engines["openai_local_server"] = {"short": timing(remote, SHORT, 1 if args.quick else runs)}
        if not args.quick:
            engines["openai_local_server"]["long"] = timing(remote, LONG, runs)
        remote.close()
    finally:
        server.shutdown()
        server.server_close()
    result["engines"] = engines

    u = piper.synthesize(LONG)
    start = time.perf_counter()
    visemes_from_audio(u.audio, u.sample_rate)
    result["audio_visemes_rtf"] = round((time.perf_counter() - start) / u.duration, 4)

    texts = PROSODY_TEXTS[:2] if args.quick else PROSODY_TEXTS
    result["emotions"] = prosody(piper, texts, 1 if args.quick else 2)
    short = engines["piper"]["short"]
    result["targets"] = {
        "first_audio_under_150ms": short["first_audio_ms"] <= 150,  # type: ignore[index]
        "rtf_at_most_0.15": all(e[k]["rtf"] <= 0.15 for e in [engines["piper"]] for k in ("short", "long")),  # type: ignore[index]
        "every_emotion_in_stated_direction": all(
            row.get("stated_direction_ok", True)
            for row in result["emotions"].values()  # type: ignore[union-attr]
        ),
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
