"""The embedded piper voice end to end: intelligible, lip-synced, timed, streaming, and emotional."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psutil
import pytest

from pipeline.emotion import Emotion, EmotionState
from pipeline.utterance import Utterance
from pipeline.visemes import Viseme
from pipeline.voice.analysis import active_rms_db, frame_db, pitch_track, speaking_rate, syllables_per_second
from pipeline.voice.piper_engine import PiperEngine
from pipeline.voice.prosody import STATED_DIRECTIONS
from pipeline.voice.syllables import count_syllables
from tests.pipeline.voice.speech_checks import transcribe, word_error_rate

SENTENCES = (
    "Welcome back to the stream, everybody!",
    "This soft cotton jacket is only $19.99 today.",
    "Buy 3 for 2, and everything else is 50% off.",
    "Please remember to follow me for more great deals.",
    "My mom bought a big blue bag, maybe two.",
)
OPEN = {Viseme.AA, Viseme.E, Viseme.I, Viseme.O, Viseme.U}


@pytest.fixture(scope="module")
def neutral(piper_engine: PiperEngine) -> list[Utterance]:
    return [piper_engine.synthesize(s) for s in SENTENCES]


def test_utterances_are_well_formed(piper_engine: PiperEngine, neutral: list[Utterance]) -> None:
    for u in neutral:
        assert u.sample_rate == piper_engine.sample_rate == 22050
        assert u.audio.dtype == np.float32 and 0.8 < u.duration < 6.0
        assert np.max(np.abs(u.audio)) <= 0.98 + 1e-6
        assert all(0 <= k.start <= k.end <= len(u.audio) for k in u.visemes)
        assert [k.start for k in u.visemes] == sorted(k.start for k in u.visemes)
        assert all(0 <= w.start <= w.end <= len(u.audio) for w in u.words)
    assert [w.text for w in neutral[0].words] == ["Welcome", "back", "to", "the", "stream", "everybody"]
    assert "nineteen" in [w.text for w in neutral[1].words]  # words are what is said
    assert neutral[1].text == SENTENCES[1]  # the text is what is shown


def test_whisper_understands_every_sentence(whisper, neutral: list[Utterance]) -> None:
    errors = 0.0
    for sentence, u in zip(SENTENCES, neutral, strict=True):
        heard = transcribe(whisper, u.audio, u.sample_rate)
        errors += word_error_rate(sentence, heard) * len(sentence.split())
    assert errors / sum(len(s.split()) for s in SENTENCES) < 0.10


def test_emotional_speech_stays_intelligible(piper_engine: PiperEngine, whisper) -> None:
    """Every emotion (pitch moved by PSOLA, rate, pauses, brightness) is still understood."""
    errors = words = 0.0
    for i, emotion in enumerate(e for e in Emotion if e is not Emotion.NEUTRAL):
        text = f"{SENTENCES[i % 5]} {SENTENCES[(i + 2) % 5]}"
        u = piper_engine.synthesize(text, EmotionState(emotion, 1.0))
        wer = word_error_rate(text, transcribe(whisper, u.audio, u.sample_rate))
        assert wer < 0.25, (emotion, wer)  # no emotion breaks the voice
        errors += wer * len(text.split())
        words += len(text.split())
    assert errors / words < 0.10


def _level_in(u: Utterance, start: int, end: int) -> float:
    seg = u.audio[start:end]
    return float(10 * np.log10(np.mean(seg.astype(np.float64) ** 2) + 1e-12))


def test_visemes_follow_the_audio(neutral: list[Utterance]) -> None:
    for u in neutral:
        db = frame_db(u.audio, u.sample_rate)
        loud = float(np.percentile(db, 95))
        silences = [k for k in u.visemes if k.viseme is Viseme.SILENCE and k.end - k.start > 0.08 * u.sample_rate]
        vowels = [k for k in u.visemes if k.viseme in OPEN and k.weight >= 0.9]
        assert silences and vowels
        # mouth shut where it is quiet, open where it is loud
        for k in silences:
            assert _level_in(u, k.start + 400, k.end - 400) < loud - 25
        vowel_levels = [_level_in(u, k.start, k.end) for k in vowels]
        assert np.median(vowel_levels) > loud - 10
    # every m/b/p closes the lips for at least one video frame, quieter than the vowels around it
    closures = [k for k in neutral[4].visemes if k.viseme is Viseme.MBP]
    assert len(closures) >= 6  # My mom bought a big blue bag, maybe
    for k in closures:
        assert k.end - k.start >= neutral[4].sample_rate / 30 - 1
        middle = (k.start + k.end) // 2
        assert not any(o.viseme is not Viseme.MBP and o.start < middle < o.end for o in neutral[4].visemes)


def test_stream_yields_sentence_by_sentence(piper_engine: PiperEngine) -> None:
    text = "Hello everyone! Thanks for coming. Let's begin."
    parts = list(piper_engine.stream(text, EmotionState(Emotion.HAPPY, 0.6)))
    assert [p.text for p in parts] == ["Hello everyone!", "Thanks for coming.", "Let's begin."]
    pause = round(piper_engine.sentence_pause_ms * 0.8**0.6 * piper_engine.sample_rate / 1000)
    assert parts[0].visemes[0].end < pause  # the first sentence starts at once
    for p in parts[1:]:
        assert p.visemes[0].viseme is Viseme.SILENCE and p.visemes[0].end >= pause - 1
        assert not p.audio[: pause - 1].any()
    whole = piper_engine.synthesize(text)
    assert [w.text for w in whole.words][:2] == ["Hello", "everyone"]
    assert whole.words[-1].end <= len(whole.audio)


def test_long_first_sentence_starts_with_its_first_clause(piper_engine: PiperEngine) -> None:
    text = "Welcome back everyone, today we have a brand new collection, and the prices are great. Enjoy!"
    parts = list(piper_engine.stream(text))
    assert [p.text for p in parts] == [
        "Welcome back everyone,",
        "today we have a brand new collection,",
        "and the prices are great.",
        "Enjoy!",
    ]
    pause = round(piper_engine.sentence_pause_ms * piper_engine.sample_rate / 1000)
    for clause in parts[1:3]:  # clauses follow on without the sentence pause
        assert clause.visemes[0].viseme is not Viseme.SILENCE or clause.visemes[0].end < pause
    assert parts[3].visemes[0].viseme is Viseme.SILENCE and parts[3].visemes[0].end >= pause
    whole = PiperEngine.plan(piper_engine, text)
    assert [starts for _, starts in whole] == [True, False, False, True]


def test_llm_token_stream_is_spoken_as_sentences_complete(piper_engine: PiperEngine) -> None:
    tokens = ["Hi", " there", "!", " Nice", " to", " see", " you", "."]
    seen: list[int] = []

    def pieces():
        for i, t in enumerate(tokens):
            seen.append(i)
            yield t

    stream = piper_engine.stream_pieces(pieces())
    first = next(stream)
    assert first.text == "Hi there!" and len(seen) < len(tokens)  # spoken before the reply finished
    assert [u.text for u in stream] == ["Nice to see you."]


def test_nothing_speakable_gives_nothing(piper_engine: PiperEngine) -> None:
    assert list(piper_engine.stream("🎉🔥 https://example.com")) == []
    u = piper_engine.synthesize("**Hello** 🎉 see https://example.com/deal")
    assert [w.text for w in u.words] == ["Hello", "see"]


def test_calls_from_two_threads(piper_engine: PiperEngine) -> None:
    results: dict[int, Utterance] = {}

    def work(i: int) -> None:
        results[i] = piper_engine.synthesize(f"Thread number {i} says hello.")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [0, 1]
    assert all(u.duration > 1.0 and u.visemes for u in results.values())


def test_memory_is_returned_after_long_and_varied_sentences(piper_engine: PiperEngine) -> None:
    """Each sentence is a new input length; an ONNX arena kept every size it served (+390 MB after
    these five), which grew the daemon by ~10 MB a minute.  Synthesis runs on pool threads, as
    ``asyncio.to_thread`` does in the daemon."""
    clause = "we have soft cotton jackets in every colour and size"
    process = psutil.Process()
    with ThreadPoolExecutor(4) as pool:
        pool.submit(piper_engine.say_sentence, "A short warm-up sentence.").result()
        before = process.memory_info().rss
        for clauses in (6, 1, 4, 2, 5):  # up to 60 words
            pool.submit(piper_engine.say_sentence, ", ".join([clause] * clauses) + ".").result()
    grown_mb = (process.memory_info().rss - before) / 2**20
    assert grown_mb < 100, grown_mb


PROSODY_TEXTS = (
    "Thank you so much for joining the stream today.",
    "This jacket is made of soft cotton and it is on sale now.",
    "Please remember to follow me for more great deals.",
    "We will pick a winner at the end of the show.",
)


def _measure(engine: PiperEngine, emotion: EmotionState) -> dict[str, float]:
    f0, rate, rms = [], [], []
    for text in PROSODY_TEXTS:
        u = engine.synthesize(text, emotion)
        f0.append(pitch_track(u.audio, u.sample_rate).mean_hz())
        rate.append(speaking_rate(u.audio, u.sample_rate, count_syllables(text)))
        rms.append(active_rms_db(u.audio, u.sample_rate))
    return {"f0_mean_hz": float(np.mean(f0)), "syllables_per_s": float(np.mean(rate)), "rms_db": float(np.mean(rms))}


@pytest.fixture(scope="module")
def neutral_prosody(piper_engine: PiperEngine) -> dict[str, float]:
    return _measure(piper_engine, EmotionState())


@pytest.mark.parametrize("emotion", sorted(STATED_DIRECTIONS, key=str))
def test_prosody_moves_the_stated_way(piper_engine: PiperEngine, neutral_prosody, emotion: Emotion) -> None:
    measured = _measure(piper_engine, EmotionState(emotion, 1.0))
    margins = {
        "f0_mean_hz": 0.03 * neutral_prosody["f0_mean_hz"],
        "syllables_per_s": 0.03 * neutral_prosody["syllables_per_s"],
        "rms_db": 1.0,
    }
    for measure, sign in STATED_DIRECTIONS[emotion].items():
        delta = measured[measure] - neutral_prosody[measure]
        assert sign * delta > margins[measure], (emotion, measure, measured[measure], neutral_prosody[measure])


def test_nuclei_in_the_audio_match_the_syllables_of_the_text(piper_engine: PiperEngine) -> None:
    detected = known = 0.0
    for text in PROSODY_TEXTS:
        u = piper_engine.synthesize(text)
        detected += syllables_per_second(u.audio, u.sample_rate)
        known += speaking_rate(u.audio, u.sample_rate, count_syllables(text))
    assert abs(detected / known - 1) < 0.15


def test_intensity_scales_the_effect(piper_engine: PiperEngine, neutral_prosody) -> None:
    mild = _measure(piper_engine, EmotionState(Emotion.SAD, 0.3))
    full = _measure(piper_engine, EmotionState(Emotion.SAD, 1.0))
    assert full["f0_mean_hz"] < mild["f0_mean_hz"] < neutral_prosody["f0_mean_hz"]
    assert full["rms_db"] < mild["rms_db"] < neutral_prosody["rms_db"]
