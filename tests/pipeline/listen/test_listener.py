"""The whole listening path on real audio: speech played into a PulseAudio null sink is captured from
its monitor as the microphone (sounddevice), then VAD, end of turn, Whisper, echo guard, barge-in."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from pipeline.inbox.normalize import to_simplified
from pipeline.listen.asr import WhisperTranscriber
from pipeline.listen.asr_worker import AsrWorker
from pipeline.listen.capture import MicCapture
from pipeline.listen.echo import EchoGuard
from pipeline.listen.listener import Listener, ListenSettings

from .conftest import SR, espeak, mandarin, play, speak
from .test_asr import overlap
from .test_echo import room

PAD = 1.0  # s of silence before speech: a new capture stream can miss its first few hundred ms
EARLY = 0.3
"""A new PulseAudio stream may drop up to a few hundred ms of its start, so the speech can be heard
earlier than planned; the echo guard looks for positive delays only, so the playback stamp allows it."""


@dataclass
class Heard:
    events: list[tuple[str, float, tuple[object, ...]]] = field(default_factory=list)
    final: threading.Event = field(default_factory=threading.Event)

    def hook(self, name: str) -> Callable[..., None]:
        def record(*args: object) -> None:
            self.events.append((name, time.monotonic(), args))
            if name == "final":
                self.final.set()

        return record

    def names(self) -> list[str]:
        return [e[0] for e in self.events]

    def finals(self) -> list[tuple[str, str]]:
        return [e[2] for e in self.events if e[0] == "final"]  # type: ignore[misc]


@pytest.fixture()
def listen(pulse: str, transcriber: WhisperTranscriber) -> Iterator[Callable[..., tuple[Listener, Heard, EchoGuard]]]:
    started: list[Listener] = []

    def make(language: str | None = "en", **settings: object) -> tuple[Listener, Heard, EchoGuard]:
        heard = Heard()
        echo = EchoGuard()
        listener = Listener(
            MicCapture("pulse"),
            AsrWorker(transcriber, language),
            settings=ListenSettings(**settings),  # type: ignore[arg-type]
            echo=echo,
            on_speech_start=heard.hook("start"),
            on_barge_in=heard.hook("barge"),
            on_partial=heard.hook("partial"),
            on_final=heard.hook("final"),
        )
        listener.start()
        started.append(listener)
        time.sleep(0.3)
        return listener, heard, echo

    yield make
    for listener in started:
        listener.stop()


def with_pad(audio: np.ndarray, tail: float = 1.5) -> np.ndarray:
    return np.concatenate([np.zeros(int(PAD * SR), np.float32), audio, np.zeros(int(tail * SR), np.float32)])


def test_english_turn_through_the_microphone(listen, tts) -> None:  # type: ignore[no-untyped-def]
    listener, heard, _ = listen("en", end_of_turn_ms=400, min_speech_ms=250, partial_interval_ms=600)
    text = "Tell me what you think about the new phone we have in the shop today."  # one clause: no long pause
    speech = speak(tts, text)
    t_play = play(with_pad(speech))
    assert heard.final.wait(10), heard.events
    names = heard.names()
    assert names[0] == "start" and names[-1] == "final" and "partial" in names
    assert "barge" not in names  # the avatar was silent
    (final_text, lang), = heard.finals()
    assert lang == "en"
    want = re.findall(r"[a-z]+", text.lower())
    got = re.findall(r"[a-z]+", final_text.lower())
    assert sum(w in got for w in want) >= len(want) - 2, final_text
    final = listener.finals[-1]
    voiced = np.nonzero(np.abs(speech) > 0.02)[0]
    true_length = (voiced[-1] - voiced[0]) / SR
    assert abs((final.speech_end - final.speech_start) - true_length) < 0.2  # both ends found (latency cancels)
    assert final.speech_start - t_play > PAD - 0.1  # and not before the speech was played
    t_final = heard.events[-1][1]
    assert t_final - final.speech_end >= 0.4 * 0.9  # the turn waited for the silence threshold


def test_mandarin_turn_through_the_microphone(listen) -> None:  # type: ignore[no-untyped-def]
    _listener, heard, _ = listen(None)  # detect among English and Chinese
    sentence = "我们现在开始上课。"
    play(with_pad(mandarin(sentence)))
    assert heard.final.wait(10), heard.events
    (text, lang), = heard.finals()
    assert lang == "zh" and text == to_simplified(text)
    assert overlap(sentence, text) >= 0.5, text


def test_the_avatars_own_voice_does_not_barge_in(listen, tts) -> None:  # type: ignore[no-untyped-def]
    listener, heard, echo = listen("en")
    avatar = speak(tts, "Thanks for the follow! Today we are looking at the new phone with a bigger battery.")
    track = with_pad(room(avatar, delay_ms=60, gain=0.5))
    # the daemon feeds what it plays, stamped with when it is heard
    echo.feed_playback(avatar, SR, at=time.monotonic() + PAD - EARLY)
    play(track)
    time.sleep(0.8)
    assert "start" not in heard.names() and "barge" not in heard.names(), heard.events
    assert not heard.finals()
    assert "echo" in listener.discarded


def test_host_talking_over_the_avatar_barges_in(listen, tts) -> None:  # type: ignore[no-untyped-def]
    _, heard, echo = listen("en")
    avatar = speak(tts, "Thanks for the follow! Today we look at the new phone with a bigger battery and a screen.")
    host = espeak("Stop please, how much does it cost?", "en-us")
    leak = room(avatar, delay_ms=60, gain=0.35)
    mix = leak.copy()
    at = int(1.5 * SR)
    n = min(host.size, mix.size - at)
    mix[at : at + n] += host[:n]
    track = with_pad(mix)
    t0 = time.monotonic()
    echo.feed_playback(avatar, SR, at=t0 + PAD - EARLY)
    play(track)
    heard.final.wait(8)
    names = heard.names()
    assert "start" in names and "barge" in names, heard.events
    barge_t = next(t for name, t, _ in heard.events if name == "barge")
    assert barge_t - t0 >= PAD + 1.5  # not before the host spoke: the avatar alone never triggered it


def test_barge_in_can_be_switched_off(listen, tts) -> None:  # type: ignore[no-untyped-def]
    _, heard, echo = listen("en", barge_in=False)
    avatar = speak(tts, "Today we are looking at the new phone with a bigger battery.")
    host = espeak("Excuse me, is it waterproof?", "en-us")
    mix = room(avatar, delay_ms=60, gain=0.35)
    at = int(1.0 * SR)
    n = min(host.size, mix.size - at)
    mix[at : at + n] += host[:n]
    track = with_pad(mix)
    echo.feed_playback(avatar, SR, at=time.monotonic() + PAD - EARLY)
    play(track)
    heard.final.wait(8)
    assert "start" in heard.names() and "barge" not in heard.names()
