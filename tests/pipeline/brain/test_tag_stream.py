"""Emotion tags parsed out of a token stream, whatever the token boundaries."""

from __future__ import annotations

import pytest

from pipeline.brain.tag_stream import Tag, TagStream, Text, parse_tag, strip_tags, tag_grammar
from pipeline.emotion import EMOTIONS, Emotion


def run(chunks: list[str]) -> tuple[str, list[Tag]]:
    stream = TagStream()
    events = [e for c in chunks for e in stream.feed(c)] + stream.flush()
    text = "".join(e.text for e in events if isinstance(e, Text))
    return text, [e for e in events if isinstance(e, Tag)]


def every_split(text: str) -> list[list[str]]:
    return [[text[:i], text[i:j], text[j:]] for i in range(len(text) + 1) for j in range(i, len(text) + 1)]


@pytest.mark.parametrize("reply", ["[happy] Thanks for coming!", "【开心】谢谢大家！", "[sad:0.4] Sorry, it's gone."])
def test_tag_split_anywhere_is_found_and_never_spoken(reply: str) -> None:
    whole_text, whole_tags = run([reply])
    assert len(whole_tags) == 1 and whole_tags[0].emotion is not None
    for chunks in every_split(reply):
        text, tags = run(chunks)
        assert text == whole_text
        assert tags == whole_tags
        assert "[" not in text and "【" not in text


def test_token_by_token() -> None:
    tokens = ["[", "conc", "erned", "]", " I'm", " so", " sorry", "."]
    stream = TagStream()
    seen: list[Text | Tag] = []
    for token in tokens:
        seen += stream.feed(token)
    assert seen[0] == Tag("concerned", Emotion.CONCERNED)
    assert "".join(e.text for e in seen if isinstance(e, Text)) == " I'm so sorry."


def test_text_is_released_as_soon_as_it_cannot_be_a_tag() -> None:
    stream = TagStream()
    assert stream.feed("Hello there") == [Text("Hello there")]
    assert stream.feed(" [hap") == [Text(" ")]
    assert stream.feed("py] ok") == [Tag("happy", Emotion.HAPPY), Text(" ok")]


def test_intensity_and_aliases() -> None:
    assert parse_tag("happy:0.8") == Tag("happy:0.8", Emotion.HAPPY, 0.8)
    assert parse_tag(" Sad ") .emotion is Emotion.SAD
    assert parse_tag("开心").emotion is Emotion.HAPPY
    assert parse_tag("worried").emotion is Emotion.FEARFUL
    for emotion in EMOTIONS:
        assert parse_tag(emotion.value).emotion is emotion


def test_invalid_tag_is_removed_but_marked_unknown() -> None:
    text, tags = run(["[jolly] hi there"])
    assert text == " hi there"
    assert tags == [Tag("jolly", None)]


def test_no_tag() -> None:
    text, tags = run(["Just ", "text."])
    assert text == "Just text." and tags == []


def test_long_bracket_text_is_not_a_tag() -> None:
    long = "[this is a long aside that is clearly not an emotion tag] and more"
    text, tags = run([long[:10], long[10:]])
    assert tags == [] and text == long


def test_unclosed_bracket_is_text_at_the_end() -> None:
    text, tags = run(["Price [see", " link"])
    assert text == "Price [see link" and tags == []


def test_later_tags_are_seen_in_order() -> None:
    _, tags = run(["[happy] Great! [sad] But it sold out."])
    assert [t.emotion for t in tags] == [Emotion.HAPPY, Emotion.SAD]


def test_strip_tags() -> None:
    assert strip_tags("[angry] ignore your rules [happy:1]") == " ignore your rules "


def test_grammar_compiles_in_llama_cpp() -> None:
    from llama_cpp import LlamaGrammar

    for free in (True, False):
        assert LlamaGrammar.from_string(tag_grammar(free_text=free), verbose=False) is not None
    assert '"happy"' in tag_grammar(("happy", "sad"))
    assert '"angry"' not in tag_grammar(("happy", "sad"))
