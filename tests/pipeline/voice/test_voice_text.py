"""Text for speech: numbers, prices, units and dates read naturally; markup never read; sentences split."""

from __future__ import annotations

import re

import pytest

from pipeline.voice.markup import strip_markup
from pipeline.voice.numbers_en import cardinal as en_cardinal
from pipeline.voice.numbers_en import ordinal, year
from pipeline.voice.numbers_zh import cardinal as zh_cardinal
from pipeline.voice.sentences import SentenceStream, split_clauses, split_sentences, stream_sentences
from pipeline.voice.text_normalize import guess_language, normalize_for_speech


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Only $19.99 today!", "Only nineteen dollars and ninety-nine cents today!"),
        ("¥199 each", "one hundred ninety-nine yuan each"),
        ("Buy 3 for 2", "Buy three for two"),
        ("50% off everything", "fifty percent off everything"),
        ("A 2kg bag", "A two kilogram bag"),
        ("Weighs 2kg, 1.5 L", "Weighs two kilograms, one point five liters"),
        ("Sale ends 12/25.", "Sale ends December twenty-fifth."),
        ("Live at 8:30 pm", "Live at eight thirty p m"),
        ("Launch on 2024-11-11", "Launch on November eleventh, twenty twenty-four"),
        ("Half price: 1/2 off", "Half price: one half off"),
        ("The 21st caller wins #1 prize", "The twenty-first caller wins number one prize"),
        ("Only $0.99", "Only ninety-nine cents"),
        ("$1.5M raised", "one point five million dollars raised"),
        ("Ships in 3-5 days", "Ships in three to five days"),
        ("We hit 10k followers", "We hit ten thousand followers"),
        ("Best since 1999", "Best since nineteen ninety-nine"),
        ("1,299 sold", "one thousand two hundred ninety-nine sold"),
        ("Water boils at 100°C", "Water boils at one hundred degrees Celsius"),
        ("COVID-19 tests", "COVID-nineteen tests"),
        ("2 in 1 deal", "two in one deal"),
    ],
)
def test_english_numbers_read_naturally(text: str, spoken: str) -> None:
    assert normalize_for_speech(text, "en") == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("¥199包邮", "一百九十九元包邮"),
        ("买二送一", "买二送一"),
        ("买2送1", "买二送一"),
        ("全场50%折扣", "全场百分之五十折扣"),
        ("2kg装", "两公斤装"),
        ("12/25圣诞特惠", "十二月二十五日圣诞特惠"),
        ("2024年11月11日开抢", "二零二四年十一月十一日开抢"),
        ("第3件半价", "第三件半价"),
        ("今天8.5折", "今天八五折"),
        ("满300减50", "满三百减五十"),
        ("拍2件", "拍两件"),
        ("今晚8:30开播", "今晚八点三十分开播"),
        ("只要19.99元", "只要十九点九九元"),
        ("原价￥1,299", "原价一千二百九十九元"),
        ("$5一件", "五美元一件"),
        ("上#3链接", "上三号链接"),
        ("客服电话13812345678", "客服电话一三八一二三四五六七八"),
    ],
)
def test_chinese_numbers_read_naturally(text: str, spoken: str) -> None:
    assert normalize_for_speech(text, "zh") == spoken


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (10005, "一万零五"),
        (100000, "十万"),
        (120000000, "一亿二千万"),
        (100000001, "一亿零一"),
    ],
)
def test_chinese_cardinals(n: int, words: str) -> None:
    assert zh_cardinal(n) == words


def test_english_number_words() -> None:
    assert en_cardinal(0) == "zero"
    assert en_cardinal(1_000_001) == "one million one"
    assert en_cardinal(-42) == "minus forty-two"
    assert ordinal(12) == "twelfth" and ordinal(20) == "twentieth" and ordinal(103) == "one hundred third"
    assert year(2005) == "two thousand five" and year(1905) == "nineteen oh five" and year(1900) == "nineteen hundred"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_digits_or_symbols_left(lang: str) -> None:
    text = "Deal: $19.99, 50% off, 2kg, 12/25, 8:30, #1, 3 for 2, 2024年11月11日, 第3件, ¥199, 10-20, 1,299 & more"
    out = normalize_for_speech(text, lang)  # type: ignore[arg-type]
    assert not re.search(r"[0-9$¥%#&]", out), out


def test_markup_urls_and_emoji_are_never_read() -> None:
    text = (
        "**Big** sale 🎉🔥 on *all* `jackets`! See [our shop](https://shop.example.com/a?b=1) or "
        "https://moodcam.dev/x, mail me@example.com <b>now</b> &amp; <script>alert(1)</script>later 👍🏽 #deal @amy\n"
        "```\nprint('no')\n```\n# Heading\n- item one"
    )
    out = strip_markup(text)
    for banned in ("**", "`", "http", "example", "moodcam.dev", "<", ">", "script", "alert", "print", "#", "@"):
        assert banned not in out, (banned, out)
    assert not any(ord(ch) >= 0x1F000 for ch in out)
    for kept in ("Big sale", "all jackets", "our shop", "now & later", "deal", "amy", "Heading", "item one"):
        assert kept in out, (kept, out)


def test_syllable_count_from_phonemes() -> None:
    from pipeline.voice.syllables import count_syllables

    assert count_syllables("Please remember to follow me for more great deals.") == 12
    assert count_syllables("I hope everybody is having a lovely evening so far.") == 16
    assert count_syllables("This cotton jacket is on sale.") == 8  # syllabic n in "cotton" counts


def test_language_guess() -> None:
    assert guess_language("今天全场五折，欢迎来到直播间") == "zh"
    assert guess_language("Welcome to the stream, 你好") == "en"


def test_sentence_split_english_keeps_numbers_and_abbreviations() -> None:
    text = "Hi Mr. Smith! The price is $19.99. Is that e.g. cheap? Yes... it is. Visit shop.example.com now"
    assert split_sentences(text) == [
        "Hi Mr. Smith!",
        "The price is $19.99.",
        "Is that e.g. cheap?",
        "Yes...",
        "it is.",
        "Visit shop.example.com now",
    ]


def test_sentence_split_chinese_and_mixed() -> None:
    text = "欢迎来到直播间！今天全场五折。你想要哪一款？OK, let's go. 好的…"
    assert split_sentences(text) == ["欢迎来到直播间！", "今天全场五折。", "你想要哪一款？", "OK, let's go.", "好的…"]
    assert split_sentences("他说：“快买！”然后走了。") == ["他说：“快买！”", "然后走了。"]


def test_line_breaks_end_sentences() -> None:
    assert split_sentences(strip_markup("Today:\n- red scarf\n- blue hat\n\nEnjoy")) == [
        "Today:",
        "red scarf",
        "blue hat",
        "Enjoy",
    ]


def test_sentence_stream_releases_each_sentence_when_complete() -> None:
    splitter = SentenceStream()
    assert splitter.push("Hello the") == []
    assert splitter.push("re! How are") == ["Hello there!"]
    assert splitter.push(" you? I am") == ["How are you?"]
    assert splitter.flush() == ["I am"]
    assert list(stream_sentences(["好的。", "我们", "开始吧！", "Go"])) == ["好的。", "我们开始吧！", "Go"]


def test_split_clauses_only_long_sentences() -> None:
    short = "Hello there, friend."
    assert split_clauses(short, 48) == [short]
    long = "Welcome back everyone, today we have a brand new collection, and the prices are great."
    parts = split_clauses(long, 48)
    assert len(parts) >= 2 and " ".join(parts) == long
