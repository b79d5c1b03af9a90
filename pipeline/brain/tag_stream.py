"""The emotion tag: ``[happy]`` leading a reply (or ``[sad:0.4]`` with an intensity).

The parser works on a token stream: a tag may arrive split over several tokens (``[`` ``hap`` ``py]``),
text is released as soon as it cannot be part of a tag, and tags are never passed on as text.
Full-width brackets and Chinese emotion names (``【开心】``) are accepted too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.emotion import EMOTIONS, Emotion

ALIASES: dict[str, Emotion] = {
    **{e.value: e for e in EMOTIONS},
    "calm": Emotion.NEUTRAL, "joy": Emotion.HAPPY, "excited": Emotion.HAPPY, "glad": Emotion.HAPPY,
    "anger": Emotion.ANGRY, "fear": Emotion.FEARFUL, "scared": Emotion.FEARFUL,
    "worried": Emotion.FEARFUL, "surprise": Emotion.SURPRISED, "disgust": Emotion.DISGUSTED,
    "sorry": Emotion.CONCERNED, "caring": Emotion.CONCERNED, "sadness": Emotion.SAD,
    "平静": Emotion.NEUTRAL, "中性": Emotion.NEUTRAL, "开心": Emotion.HAPPY, "高兴": Emotion.HAPPY,
    "快乐": Emotion.HAPPY, "难过": Emotion.SAD, "伤心": Emotion.SAD, "生气": Emotion.ANGRY,
    "愤怒": Emotion.ANGRY, "惊讶": Emotion.SURPRISED, "吃惊": Emotion.SURPRISED, "害怕": Emotion.FEARFUL,
    "恐惧": Emotion.FEARFUL, "厌恶": Emotion.DISGUSTED, "恶心": Emotion.DISGUSTED, "关心": Emotion.CONCERNED,
    "担心": Emotion.CONCERNED, "关切": Emotion.CONCERNED,
}
OPENERS = {"[": "]", "【": "】", "［": "］"}
MAX_TAG_CHARS = 24
_BODY = re.compile(r"^\s*(?P<name>[^\s:：=,，]+)\s*(?:[:：=,，]\s*(?P<level>[01](?:\.\d+)?))?\s*$")


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag seen in the stream; ``emotion`` is None when the name is not one we know."""

    raw: str
    emotion: Emotion | None
    intensity: float | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """Plain reply text, free of tags."""

    text: str


def parse_tag(body: str) -> Tag:
    """Interpret the inside of a bracket pair."""
    match = _BODY.match(body)
    if match is None:
        return Tag(body, None)
    emotion = ALIASES.get(match.group("name").lower())
    level = match.group("level")
    return Tag(body, emotion, min(1.0, float(level)) if level else None)


class TagStream:
    """Feed tokens, get ``Text`` and ``Tag`` events in order."""

    def __init__(self) -> None:
        self._pending = ""  # an opened bracket whose closing bracket has not arrived yet

    def feed(self, chunk: str) -> list[Text | Tag]:
        events: list[Text | Tag] = []
        text = self._pending + chunk
        self._pending = ""
        out: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            closer = OPENERS.get(ch)
            if closer is None:
                out.append(ch)
                i += 1
                continue
            end = text.find(closer, i + 1)
            if end == -1:
                if len(text) - i <= MAX_TAG_CHARS and "\n" not in text[i:]:
                    self._pending = text[i:]  # wait for more tokens
                    break
                out.append(ch)  # too long for a tag: plain text
                i += 1
                continue
            body = text[i + 1 : end]
            if len(body) > MAX_TAG_CHARS or "\n" in body:
                out.append(ch)
                i += 1
                continue
            if out:
                events.append(Text("".join(out)))
                out = []
            events.append(parse_tag(body))
            i = end + 1
        if out:
            events.append(Text("".join(out)))
        return events

    def flush(self) -> list[Text | Tag]:
        """End of stream: an unclosed bracket is plain text after all."""
        rest, self._pending = self._pending, ""
        return [Text(rest)] if rest else []


def strip_tags(text: str) -> str:
    """Remove every tag-shaped bracket from ``text`` (viewer input, cached text)."""
    stream = TagStream()
    events = [*stream.feed(text), *stream.flush()]
    return "".join(e.text for e in events if isinstance(e, Text))


def tag_grammar(names: Iterable[str] | None = None, free_text: bool = True) -> str:
    """GBNF that forces a reply to open with a valid tag, e.g. ``[happy] ...``.

    With ``free_text`` False the grammar ends after the tag (used to pick the tag alone).
    """
    choices = " | ".join(f'"{n}"' for n in (names or [e.value for e in EMOTIONS]))
    if free_text:
        return f'root ::= "[" emotion "]" rest\nemotion ::= {choices}\nrest ::= [^\\[\\]]*\n'
    return f'root ::= "[" emotion "]"\nemotion ::= {choices}\n'
