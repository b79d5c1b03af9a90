"""Viseme tracks and word timings from phoneme alignments, on hand-made alignments with known answers."""

from __future__ import annotations

import itertools

import pytest

from pipeline.visemes import Viseme, VisemeKey
from pipeline.voice.alignment_visemes import spoken_words, visemes_from_alignment, word_timings
from pipeline.voice.phoneme_visemes import pinyin_final, shapes_of

SR = 22050
FRAME = SR / 30


def at(keys: list[VisemeKey], sample: int) -> set[Viseme]:
    return {k.viseme for k in keys if k.start <= sample < k.end}


def test_edges_and_pauses_are_silence_and_vowels_open() -> None:
    # "^ h ə l ˈ o ʊ , _ w ɜː l d . $" (hello, world.)
    alignment = [
        ("^", 2000),
        ("h", 800),
        ("ə", 900),
        ("l", 700),
        ("ˈ", 500),
        ("o", 1500),
        ("ʊ", 1200),
        (",", 3000),
        (" ", 1500),
        ("w", 900),
        ("ɜ", 1400),
        ("ː", 600),
        ("l", 800),
        ("d", 700),
        (".", 1500),
        ("$", 2500),
    ]
    keys = visemes_from_alignment(alignment, SR)
    total = sum(n for _, n in alignment)
    assert keys[0].viseme is Viseme.SILENCE and keys[0].start == 0
    assert keys[-1].viseme is Viseme.SILENCE and keys[-1].end == total
    assert all(0 <= k.start <= k.end <= total for k in keys)
    assert [k.start for k in keys] == sorted(k.start for k in keys)
    pause_mid = 2000 + 800 + 900 + 700 + 500 + 1500 + 1200 + 2000
    assert at(keys, pause_mid) == {Viseme.SILENCE}
    o_mid = 2000 + 800 + 900 + 700 + 500 + 750  # the stressed "o" (stress mark time goes to it)
    assert at(keys, o_mid) == {Viseme.O}
    # the length mark lengthens the vowel before it
    er = next(k for k in keys if k.viseme is Viseme.E and k.start > pause_mid)
    assert er.end - er.start >= 1400 + 600


def test_short_closures_last_at_least_one_frame_and_are_never_overlapped() -> None:
    alignment = [("^", 2000), ("a", 2000), ("m", 200), ("a", 2000), ("p", 150), ("i", 2000), ("$", 2000)]
    keys = visemes_from_alignment(alignment, SR)
    closures = [k for k in keys if k.viseme is Viseme.MBP]
    assert len(closures) == 2
    for c in closures:
        assert c.end - c.start >= FRAME
        middle = (c.start + c.end) // 2
        assert at(keys, middle) == {Viseme.MBP}
        assert not any(k.viseme is not Viseme.MBP and k.start < c.end and k.end > c.start for k in keys)


def test_neighbouring_shapes_overlap_for_coarticulation() -> None:
    alignment = [("^", 2000), ("s", 1500), ("a", 2500), ("l", 1500), ("i", 2500), ("$", 2000)]
    keys = [k for k in visemes_from_alignment(alignment, SR, overlap_s=0.02) if k.viseme is not Viseme.SILENCE]
    assert [k.viseme for k in keys] == [Viseme.DD, Viseme.AA, Viseme.L, Viseme.I]
    for a, b in itertools.pairwise(keys):
        assert 0 < a.end - b.start <= round(0.02 * SR) * 2
    assert keys[1].weight == 1.0 and keys[0].weight < 1.0


def test_short_pause_is_a_transition_but_long_one_closes() -> None:
    short = [("^", 2000), ("a", 2000), (",", 300), ("a", 2000), ("$", 2000)]
    long = [("^", 2000), ("a", 2000), (",", 4000), ("a", 2000), ("$", 2000)]
    assert Viseme.SILENCE not in at(visemes_from_alignment(short, SR), 4150)
    assert at(visemes_from_alignment(long, SR), 6000) == {Viseme.SILENCE}


def test_pinyin_symbols() -> None:
    assert shapes_of("v", pinyin=True) == [(Viseme.U, 0.9)]  # ü, not lip-teeth v
    assert shapes_of("v") == [(Viseme.FV, 1.0)]
    assert [v for v, _ in pinyin_final("iao")] == [Viseme.I, Viseme.AA, Viseme.U]
    assert [v for v, _ in pinyin_final("ang")] == [Viseme.AA]
    # 买 (m ai 3) 吧 (b a 5): two closures, tones carry no shape
    alignment = [("^", 2000), ("m", 500), ("ai", 3000), ("3", 400), ("b", 300), ("a", 2500), ("5", 300), ("$", 2000)]
    keys = visemes_from_alignment(alignment, SR, pinyin=True)
    order = [k.viseme for k in keys if k.viseme is not Viseme.SILENCE]
    assert order == [Viseme.MBP, Viseme.AA, Viseme.I, Viseme.MBP, Viseme.AA]


def test_word_timings_follow_word_breaks() -> None:
    alignment = [
        ("^", 1000),
        ("h", 500),
        ("a", 500),
        ("ɪ", 500),
        (" ", 400),
        ("ð", 500),
        ("ɛ", 800),
        ("ɹ", 600),
        ("!", 800),
        ("$", 1000),
    ]
    words = word_timings(alignment, "Hi there!")
    assert [w.text for w in words] == ["Hi", "there"]
    assert words[0].start == 1000 and words[0].end == 2500
    assert words[1].start == 2900 and words[1].end == 4800


def test_word_timings_spread_when_espeak_joins_words() -> None:
    alignment = [
        ("^", 1000),
        ("ʌ", 500),
        ("v", 500),
        ("ð", 500),
        ("ə", 500),
        (" ", 300),
        ("k", 500),
        ("a", 900),
        ("ɹ", 600),
        ("$", 1000),
    ]
    words = word_timings(alignment, "of the car")
    assert [w.text for w in words] == ["of", "the", "car"]
    assert words[0].start == 1000 and words[-1].end == 5300
    assert all(a.end <= b.start for a, b in itertools.pairwise(words))


def test_spoken_words_split_cjk_per_character() -> None:
    assert spoken_words("买二送一, OK! don't-stop") == ["买", "二", "送", "一", "OK", "don't-stop"]


def test_dots_inside_chinese_syllables_are_not_pauses() -> None:
    # espeak cmn writes 直 as "ts.ˈi.ɜ": the dots are part of the syllable, the final "." is a pause
    alignment = [
        ("^", 2000),
        ("t", 600),
        ("s", 600),
        (".", 2000),
        ("ˈ", 300),
        ("i", 1500),
        (".", 2000),
        ("ɜ", 200),
        (".", 3000),
        ("$", 2000),
    ]
    keys = visemes_from_alignment(alignment, SR)
    inner = [k for k in keys if k.viseme is Viseme.SILENCE and 2000 < k.start < 8000]
    assert inner == []
    assert keys[-1].viseme is Viseme.SILENCE and keys[-1].start <= 2000 + 600 + 600 + 2000 + 300 + 1500 + 2000 + 200


@pytest.mark.parametrize(
    ("voice", "text"),
    [
        ("cmn", "欢迎来到直播间，今天全场五折，买二送一！我们卖苹果、面包和牛奶。"),
        ("en-us", "The quick brown fox jumps over the lazy dog; judge, measure, thin, this, yellow, church, sing."),
    ],
)
def test_every_espeak_symbol_has_a_shape(voice: str, text: str) -> None:
    from piper.phonemize_espeak import EspeakPhonemizer

    from pipeline.voice.phoneme_visemes import LENGTH, PAUSES, STRESS, TONES, WORD_BREAK

    symbols = [s for sentence in EspeakPhonemizer().phonemize(voice, text) for s in sentence]
    modifiers = STRESS | LENGTH | TONES | PAUSES | {WORD_BREAK}
    assert [s for s in symbols if s not in modifiers and shapes_of(s) is None] == []
    assert (Viseme.MBP, 1.0) in [shape for s in symbols for shape in (shapes_of(s) or [])]
