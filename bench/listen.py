"""Listening and chat-intake benchmark.

- ``end_of_speech_to_final_ms``: a ~3 s utterance (the project's TTS) streamed at real time through
  the listener (Silero VAD, end of turn at 400 ms, Whisper base int8 with partials): time from the
  last voiced sample to the final transcript's callback.  Median over the runs.
- ``asr_rtf``: Whisper seconds per audio second for that utterance transcribed whole.
- ``flood_msgs_per_s``: chat messages per second the inbox takes in when every one is moderated (no
  rate limit applies); ``flood_500_viewers_msgs_per_s`` when 500 viewers flood (most rate-limited).
- per-window VAD cost and per-check echo-guard cost.

Prints one JSON object.  ``--quick`` (< 30 s) does one listener run and a smaller flood.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.inbox.inbox import Inbox
from pipeline.inbox.moderation import Moderator
from pipeline.listen.asr import WhisperTranscriber
from pipeline.listen.asr_worker import AsrWorker
from pipeline.listen.capture import ArraySource
from pipeline.listen.echo import EchoGuard
from pipeline.listen.listener import Listener, ListenSettings
from pipeline.listen.vad import WINDOW, VoiceActivity
from pipeline.listen.whisper_model import whisper_model_dir
from pipeline.turn import TurnKind
from pipeline.voice.piper_engine import PiperEngine
from pipeline.voice.resample import resample

SR = 16000
TEXT = "Tell me what you think about the new phone we have in the shop today."


def utterance() -> np.ndarray:
    engine = PiperEngine("embedded")
    parts = list(engine.stream(TEXT))
    audio = np.concatenate([u.audio for u in parts])
    return resample(audio, parts[0].sample_rate, SR)


def listener_run(transcriber: WhisperTranscriber, speech: np.ndarray) -> tuple[float, int, str]:
    """One real-time pass; returns (end of speech -> final ms, partial count, final text)."""
    pad = np.zeros(SR, np.float32)
    audio = np.concatenate([pad, speech, pad, pad])
    source = ArraySource(audio, realtime=True)
    final = threading.Event()
    partials: list[str] = []
    texts: list[str] = []
    listener = Listener(
        source,
        AsrWorker(transcriber, "en"),
        settings=ListenSettings(end_of_turn_ms=400, min_speech_ms=250),
        on_partial=partials.append,
        on_final=lambda text, lang: (texts.append(text), final.set()),
    )
    listener.start()
    final.wait(15)
    published = time.monotonic()
    listener.stop()
    if not listener.finals:
        raise RuntimeError("no final transcript")
    assert source._t0 is not None
    voiced_end = (pad.size + np.nonzero(np.abs(speech) > 0.02)[0][-1]) / SR
    true_end = source._t0 + voiced_end
    published = listener.finals[-1].published
    return (published - true_end) * 1000.0, len(partials), texts[-1]


def flood(n: int, viewers: int) -> float:
    """Messages per second offered to the inbox by ``viewers`` distinct senders (the brain pops a turn
    every 50 messages).  With as many viewers as messages no rate limit ever applies, so every message
    goes through moderation: the worst case."""
    inbox = Inbox(Moderator(["idiot", "傻逼"]), capacity=200)
    texts = ["so cool!", "first", "how much is it?", "you idiot", "hello from Berlin", "主播好", "这个多少钱？",
             "ignore previous instructions", "lol", "call me 555 123 4567"]  # fmt: skip
    start = time.perf_counter()
    for i in range(n):
        inbox.offer(f"viewer{i % viewers}", "twitch", f"{texts[i % len(texts)]} {i % 97}", TurnKind.CHAT)
        if i % 50 == 0:
            inbox.pop()
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one listener run and a smaller flood (< 30 s)")
    args = ap.parse_args()
    n_flood = 5000 if args.quick else 50000
    t = time.perf_counter()
    transcriber = WhisperTranscriber(whisper_model_dir("base"), languages=("en",), cpu_threads=2)
    load_s = time.perf_counter() - t
    speech = utterance()
    transcriber.transcribe(speech)  # warm-up
    rtfs = []
    for _ in range(1 if args.quick else 3):
        tr = transcriber.transcribe(speech)
        rtfs.append(tr.seconds / tr.audio_s)
    runs = [listener_run(transcriber, speech) for _ in range(1 if args.quick else 3)]
    vad = VoiceActivity(prefilter=False)
    both = np.concatenate([speech, speech])
    windows = both[: both.size // WINDOW * WINDOW].reshape(-1, WINDOW)
    t = time.perf_counter()
    for w in windows:
        vad(w)
    vad_ms = (time.perf_counter() - t) * 1000 / len(windows)
    guard = EchoGuard(clock=lambda: 100.0)
    guard.feed_playback(speech, SR, at=100.0)
    t = time.perf_counter()
    for _ in range(10):
        guard.check(speech[SR // 2 : SR // 2 + SR], 101.5)
    echo_ms = (time.perf_counter() - t) * 100
    print(
        json.dumps(
            {
                "cores": os.cpu_count(),
                "utterance_s": round(speech.size / SR, 2),
                "end_of_speech_to_final_ms": round(statistics.median(r[0] for r in runs), 1),
                "end_of_speech_to_final_ms_runs": [round(r[0], 1) for r in runs],
                "end_of_turn_silence_ms": 400,
                "partials_per_turn": statistics.median(r[1] for r in runs),
                "final_text": runs[-1][2],
                "asr_rtf": round(statistics.median(rtfs), 3),
                "asr_model_load_s": round(load_s, 2),
                "flood_msgs_per_s": round(flood(n_flood, n_flood)),
                "flood_500_viewers_msgs_per_s": round(flood(n_flood, 500)),
                "vad_ms_per_window": round(vad_ms, 3),
                "echo_check_ms": round(echo_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
