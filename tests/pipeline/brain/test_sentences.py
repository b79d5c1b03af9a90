"""Streaming sentence cutting in English and Chinese."""

from __future__ import annotations

import pytest

from pipeline.brain.sentences import SentenceCutter, continues_sentence, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there! How are you? Fine.", ["Hello there!", "How are you?", "Fine."]),
        ("It costs $3.50 today. Buy now.", ["It costs $3.50 today.", "Buy now."]),
        ("Dr. Smith and Mr. Lee said hi. Bye.", ["Dr. Smith and Mr. Lee said hi.", "Bye."]),
        ("Visit shop.example.com for more. OK", ["Visit shop.example.com for more.", "OK"]),
        ("Wow!!! Really?! Yes...", ["Wow!!!", "Really?!", "Yes..."]),
        ('She said "it fits." Great.', ['She said "it fits."', "Great."]),
        ("1. Pick a size. 2. Pay.", ["1. Pick a size.", "2. Pay."]),
        ("你好！这个多少钱？今天有优惠。", ["你好！", "这个多少钱？", "今天有优惠。"]),
        ("好的……我看看。谢谢", ["好的……", "我看看。", "谢谢"]),
        ("“真的吗？”她问。", ["“真的吗？”", "她问。"]),
        ("价格是9.9元。快下单！", ["价格是9.9元。", "快下单！"]),
        ("Mixed 中文。English part. 好！", ["Mixed 中文。", "English part.", "好！"]),
        ("line one\nline two", ["line one", "line two"]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Hello there! The price is $3.50. Dr. Who? Yes.", "你好！这个多少钱？我们有9.9元的。好", "A. B. C."],
)
def test_streaming_char_by_char_equals_whole(text: str) -> None:
    cutter = SentenceCutter()
    out: list[str] = []
    for ch in text:
        out += cutter.feed(ch)
    out += cutter.flush()
    assert out == split_sentences(text)


def test_a_sentence_is_released_when_the_next_character_arrives() -> None:
    cutter = SentenceCutter()
    assert cutter.feed("Hi there.") == []
    assert cutter.feed(" Next") == ["Hi there."]
    assert cutter.feed("。") == []
    assert cutter.feed("好") == ["Next。"]
    assert cutter.pending == "好"
    assert cutter.flush() == ["好"]


def test_long_run_is_cut_at_a_comma() -> None:
    text = "This sentence goes on, and on, " * 8 + "and ends."
    parts = split_sentences(text, max_chars=60)
    assert all(len(p) <= 60 for p in parts)
    assert " ".join(parts).replace("  ", " ") == " ".join(text.split())
    zh = "这款面膜补水效果很好，" * 10 + "推荐。"
    assert all(len(p) <= 40 for p in split_sentences(zh, max_chars=40))


def test_flush_empties() -> None:
    cutter = SentenceCutter()
    cutter.feed("trailing words")
    assert cutter.flush() == ["trailing words"]
    assert cutter.flush() == []


def _fed(cutter: SentenceCutter, pieces: list[str]) -> list[tuple[int, str]]:
    """(index of the piece whose arrival released it, text) for every sentence released."""
    return [(k, s) for k, piece in enumerate(pieces) for s in cutter.feed(piece)]


def test_the_first_clause_goes_ahead_of_its_sentence() -> None:
    pieces = ["Oh", ",", " this", " lamp", " is", " lovely", ",", " and", " cheap", ",", " too", ".",
              " Buy", " it", "."]
    cutter = SentenceCutter(first_clause_chars=12)
    released = _fed(cutter, pieces)
    # "Oh," is too short to go alone; the first comma after 12 letters releases once the next piece arrives
    assert released[0] == (7, "Oh, this lamp is lovely,")
    # only the first clause goes early: the rest waits for the end of its sentence
    assert released[1] == (12, "and cheap, too.")
    assert cutter.flush() == ["Buy it."]
    assert continues_sentence("Oh, this lamp is lovely,") and not continues_sentence("and cheap, too.")


def test_a_thousands_comma_is_not_a_clause() -> None:
    cutter = SentenceCutter(first_clause_chars=4)
    assert cutter.feed("It holds 3,000") == []
    assert cutter.feed(" songs, easily") == ["It holds 3,000 songs,"]
    zh = SentenceCutter(first_clause_chars=4)
    assert zh.feed("这款面膜补水效果很好，") == []  # the character after the mark has not arrived
    assert zh.feed("推荐") == ["这款面膜补水效果很好，"]


def test_without_first_clause_chars_sentences_are_whole() -> None:
    cutter = SentenceCutter()
    assert cutter.feed("Oh, this lamp is lovely, and cheap, too. ") == ["Oh, this lamp is lovely, and cheap, too."]
