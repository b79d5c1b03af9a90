"""The listener fed recorded audio directly (no device): long turns committed in pieces at pauses,
callbacks delivered on an asyncio loop, status counters."""

from __future__ import annotations

import asyncio
import re
import threading

import numpy as np

from pipeline.listen.asr import WhisperTranscriber
from pipeline.listen.asr_worker import AsrWorker, JobKind
from pipeline.listen.listener import Listener, ListenSettings

from .conftest import SR, speak


def test_long_turn_is_committed_at_pauses(transcriber: WhisperTranscriber, tts) -> None:  # type: ignore[no-untyped-def]
    sentences = [
        "Good evening and welcome to the show.",
        "Tonight we test a brand new camera.",
        "It has a large sensor and a bright lens.",
        "Stay until the end for a giveaway.",
    ]
    gap = np.zeros(int(0.3 * SR), np.float32)  # pauses shorter than the end of turn
    speech = np.concatenate([np.concatenate([speak(tts, s), gap]) for s in sentences])
    audio = np.concatenate([np.zeros(SR, np.float32), speech, np.zeros(SR, np.float32)])
    worker = AsrWorker(transcriber, "en")
    kinds: list[JobKind] = []
    submit = worker.submit
    worker.submit = lambda job: (kinds.append(job.kind), submit(job))[1]  # type: ignore[method-assign]
    finals: list[tuple[str, str]] = []
    done = threading.Event()
    listener = Listener(
        source=None,  # type: ignore[arg-type]  # fed directly below
        worker=worker,
        settings=ListenSettings(end_of_turn_ms=700, commit_after_s=3.0),
        on_final=lambda text, lang: (finals.append((text, lang)), done.set()),
    )
    worker.start()
    try:
        for i in range(0, audio.size, 1600):
            listener.feed(audio[i : i + 1600])
        assert done.wait(30)
    finally:
        worker.stop()
    assert len(finals) == 1
    text = finals[0][0].lower()
    for word in ("evening", "camera", "sensor", "giveaway"):
        assert word in text, text
    assert JobKind.COMMIT in kinds  # earlier sentences were transcribed once, at a pause
    status = listener.status()
    assert status["finals"] == 1 and not status["in_turn"] and status["heard_s"] > speech.size / SR


async def test_callbacks_arrive_on_the_event_loop(transcriber: WhisperTranscriber, tts) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    got: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()

    def on_final(text: str, lang: str) -> None:
        got.put_nowait((text, lang, threading.get_ident()))

    worker = AsrWorker(transcriber, None)
    listener = Listener(source=None, worker=worker, on_final=on_final, loop=loop)  # type: ignore[arg-type]
    silence = np.zeros(SR, np.float32)
    audio = np.concatenate([silence, speak(tts, "Is the blue one in stock?"), silence])
    worker.start()
    try:
        await asyncio.to_thread(listener.feed, audio)
        text, lang, thread = await asyncio.wait_for(got.get(), 20)
    finally:
        worker.stop()
    assert thread == threading.get_ident()  # the loop's own thread
    assert lang == "en" and re.search(r"blue", text.lower())
