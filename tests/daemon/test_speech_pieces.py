"""A reply reaches the Stage piece by piece: a long first sentence clause by clause, each piece
queued as soon as it is synthesised, the pieces joined without the gap between replies."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
import pytest

from daemon.conductor import Conductor, Line
from daemon.events import EventBus
from daemon.speech_track import SpeechTrack
from pipeline.emotion import EmotionState
from pipeline.utterance import Utterance
from pipeline.voice.piper_engine import PiperEngine
from tests.daemon.test_stage import make_stage

SR = 48_000


def _utt(seconds: float, continues: bool = False) -> Utterance:
    return Utterance("x", EmotionState(), np.full(round(seconds * SR), 0.5, np.float32), SR, continues=continues)


def _starts(track: SpeechTrack, seconds: float) -> list[int]:
    starts = []
    for k in range(round(seconds * 30)):
        _, started = track.pull(k * 1600, 1600)
        starts.extend(p.start for p in started)
    return starts


def test_a_continuing_piece_follows_directly_and_a_new_reply_after_the_gap() -> None:
    track = SpeechTrack(SR, gap_s=0.2)
    for utt in (_utt(0.5), _utt(0.3, continues=True), _utt(0.4)):
        track.enqueue(utt)
    first, second, third = _starts(track, 2.0)
    assert second == first + round(0.5 * SR)
    assert third == second + round(0.3 * SR) + round(0.2 * SR)


@pytest.fixture(scope="module")
def voice() -> PiperEngine:
    return PiperEngine("embedded", language="en", first_chunk_chars=30)


async def test_a_long_first_sentence_goes_to_the_stage_clause_by_clause(voice: PiperEngine) -> None:
    stage, events = make_stage(), EventBus()
    queued: list[tuple[Utterance, float]] = []
    say = stage.say

    def spy(utterance: Utterance) -> bool:
        queued.append((utterance, asyncio.get_running_loop().time()))
        return say(utterance)

    stage.say = spy  # type: ignore[method-assign]
    conductor = Conductor(stage, voice, events)
    conductor.start()
    try:
        sentence = "Well, this little lamp is bright, warm and kind to your eyes, and it folds flat for travel."
        conductor.say([Line(sentence, EmotionState()), Line("It costs twenty dollars.", EmotionState(),
                                                             continues=True)])
        for _ in range(300):
            if len(queued) >= 5:
                break
            await asyncio.sleep(0.05)
    finally:
        await conductor.stop()
    texts = [u.text for u, _ in queued]
    assert len(texts) >= 5 and texts[-1] == "It costs twenty dollars.", texts
    assert " ".join(texts[:-1]) == sentence, "the clauses put back together are the sentence"
    assert len(texts[0]) <= 30
    assert [u.continues for u, _ in queued] == [False] + [True] * (len(queued) - 1)
    # each clause was on the Stage before the next one was synthesised: queued at distinct moments
    times = [t for _, t in queued]
    assert all(b > a for a, b in itertools.pairwise(times))
