"""The emotion reader on the real embedded model: held-out accuracy, cues, and the data's hygiene."""

from __future__ import annotations

import re

import pytest

from pipeline.brain import emotion_reader
from pipeline.brain.emotion_reader import EmotionReader, EmotionReading, viewer_feeling
from pipeline.brain.evaluate import evaluate_reader, load_labelled, score
from pipeline.brain.prototypes import PROTOTYPES
from pipeline.emotion import EMOTIONS, Emotion, EmotionState
from tests.pipeline.brain.conftest import LABELLED

E = Emotion


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def test_labelled_set_is_big_bilingual_and_covers_every_emotion() -> None:
    rows = load_labelled(LABELLED)
    assert len(rows) >= 300
    labels = {label for _, label in rows}
    assert labels == set(EMOTIONS)
    chinese = sum(1 for text, _ in rows if re.search(r"[\u4e00-\u9fff]", text))
    assert 0.3 * len(rows) <= chinese <= 0.7 * len(rows)


def test_prototypes_are_disjoint_from_the_labelled_set() -> None:
    held_out = {_norm(text) for text, _ in load_labelled(LABELLED)}
    copied = [p for examples in PROTOTYPES.values() for p in examples if _norm(p) in held_out]
    assert copied == []
    assert set(PROTOTYPES) == set(EMOTIONS)


def test_held_out_macro_f1(reader: EmotionReader) -> None:
    result = evaluate_reader(reader, load_labelled(LABELLED))
    assert result.n >= 300
    assert result.macro_f1 >= 0.80, result.per_label_f1
    assert min(result.per_label_f1.values()) >= 0.6, result.per_label_f1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thank you so much, this is wonderful", E.HAPPY),
        ("谢谢你，太开心了", E.HAPPY),
        ("where is my refund? this is outrageous", E.ANGRY),
        ("包裹到现在还没到，你们怎么回事", E.ANGRY),
        ("I'm scared the battery could catch fire", E.FEARFUL),
        ("担心尺码不合适", E.FEARFUL),
        ("what colours does it come in", E.NEUTRAL),
        ("这个有大码吗", E.NEUTRAL),
    ],
)
def test_reads_plain_lines_in_both_languages(reader: EmotionReader, text: str, expected: Emotion) -> None:
    assert reader.read(text).emotion is expected


def test_emoji_steer_the_reading(reader: EmotionReader) -> None:
    plain = reader.read("the package came today")
    crying = reader.read("the package came today 😭😭")
    assert crying.scores[E.SAD] > plain.scores[E.SAD]
    assert crying.emotion is E.SAD
    assert any("emoji" in note for note in crying.cues)


def test_negation_turns_praise_around(reader: EmotionReader) -> None:
    assert reader.read("I am happy with this purchase").emotion is E.HAPPY
    negated = reader.read("I am not happy with this purchase")
    assert negated.emotion is not E.HAPPY
    assert negated.scores[E.HAPPY] < 0.2
    zh = reader.read("用了一次，不太满意")
    assert zh.emotion is not E.HAPPY


def test_intensifiers_and_punctuation_raise_intensity_hedges_lower_it(reader: EmotionReader) -> None:
    base = reader.read("I love this dress").state.intensity
    strong = reader.read("I really REALLY love this dress!!!").state.intensity
    mild = reader.read("I kind of like this dress a bit").state.intensity
    assert strong > base > mild > 0.0


def test_sarcasm_is_not_praise(reader: EmotionReader) -> None:
    reading = reader.read("oh great, late again, thanks a lot 🙄")
    assert reading.emotion is E.ANGRY


def test_empty_text_is_neutral(reader: EmotionReader) -> None:
    reading = reader.read("   ")
    assert reading.state == EmotionState()


def test_read_many_matches_read(reader: EmotionReader) -> None:
    texts = ["wow really?!", "好恶心", ""]
    assert [r.state for r in reader.read_many(texts)] == [reader.read(t).state for t in texts]


def test_viewer_feeling_treats_unsure_readings_as_neutral() -> None:
    unsure = EmotionReading(EmotionState(E.SAD, 0.4), {E.SAD: 0.25, E.NEUTRAL: 0.24})
    sure = EmotionReading(EmotionState(E.SAD, 0.8), {E.SAD: 0.9})
    assert viewer_feeling(unsure) == EmotionState()
    assert viewer_feeling(sure) == EmotionState(E.SAD, 0.8)


def test_prototype_cache_gives_the_same_reader(tmp_path, embedder) -> None:
    small = {
        E.HAPPY: ("what a lovely day", "太好了，谢谢"),
        E.SAD: ("I miss my old dog", "好难过"),
        E.NEUTRAL: ("what size is it", "几号链接"),
    }
    first = EmotionReader(embedder, small, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("emotion-prototypes-*.npy"))) == 1
    emotion_reader._VECTORS.clear()  # forget the in-process copy: the second reader reads the file
    second = EmotionReader(embedder, small, cache_dir=tmp_path)
    for text in ("so happy today", "我好伤心"):
        assert first.read(text).scores == second.read(text).scores
    assert first.read("so happy today").emotion is E.HAPPY


def test_score_counts_macro_f1() -> None:
    truth = [E.HAPPY, E.HAPPY, E.SAD, E.SAD]
    result = score(truth, [E.HAPPY, E.SAD, E.SAD, E.SAD])
    assert result.accuracy == 0.75
    assert result.per_label_f1[E.HAPPY] == pytest.approx(2 / 3)
    assert result.per_label_f1[E.SAD] == pytest.approx(0.8)
    assert result.confusions == {(E.HAPPY, E.SAD): 1}
