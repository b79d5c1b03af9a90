"""Surface cues the embedding misses: emoji, exclamation, intensifiers, hedges, negation, sarcasm.

Each cue nudges the classifier's log-probabilities (``bonus``) or the intensity, and leaves a short
note so a reading can be explained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.emotion import Emotion

E = Emotion

EMOJI: dict[str, Emotion] = {
    **dict.fromkeys("😀😃😄😁😆😊🙂😍🥰😘😻❤💕💖💗💞🎉🥳👍👏🤩😂🤣😹🌹✨💯", E.HAPPY),
    **dict.fromkeys("😢😭😞😔😿💔🥺😥😓", E.SAD),
    **dict.fromkeys("😡😠🤬🙄👎💢😤", E.ANGRY),
    **dict.fromkeys("😮😯😲🤯😳‼⁉", E.SURPRISED),
    **dict.fromkeys("😨😰😟😧😱😬", E.FEARFUL),
    **dict.fromkeys("🤢🤮😷💩", E.DISGUSTED),
    **dict.fromkeys("🤗🙏🩹💐", E.CONCERNED),
}
EMOTICONS: dict[str, Emotion] = {
    ":)": E.HAPPY, ":-)": E.HAPPY, ":D": E.HAPPY, "xD": E.HAPPY, "^_^": E.HAPPY, "^^": E.HAPPY,
    ":(": E.SAD, ":-(": E.SAD, ":'(": E.SAD, "T_T": E.SAD, "QAQ": E.SAD, "orz": E.SAD,
    ">:(": E.ANGRY, "o_O": E.SURPRISED, "O_O": E.SURPRISED,
}
SARCASM = (
    "just what i needed", "thanks a lot", "yeah right", "thanks for nothing", "oh great", "how wonderful",
    "呵呵", "真行", "服了", "无语", "醉了", "真棒啊", "谢谢啊",
)
INTENSIFIERS_EN = frozenset(
    ("very", "so", "really", "super", "extremely", "totally", "absolutely", "incredibly", "truly", "such")
)
INTENSIFIERS_ZH = ("太", "超级", "超", "非常", "特别", "真的", "巨", "极其", "死了", "爆", "好好")
HEDGES_EN = ("a bit", "a little", "kind of", "kinda", "slightly", "somewhat", "sort of", "a tad")
HEDGES_ZH = ("有点", "有一点", "稍微", "一点点", "略微", "还行")
NEGATORS_EN = frozenset(("not", "no", "never", "hardly", "barely", "nothing", "none", "cannot"))
POSITIVE_EN = frozenset(
    (
        "happy", "good", "great", "love", "like", "nice", "worth", "satisfied", "glad", "pleased", "fun",
        "recommend", "amazing", "perfect", "awesome", "fine", "impressed",
    )
)
NEGATIVE_EN: dict[str, Emotion] = {
    "bad": E.SAD, "terrible": E.ANGRY, "awful": E.ANGRY, "sad": E.SAD, "upset": E.SAD, "angry": E.ANGRY,
    "mad": E.ANGRY, "worried": E.FEARFUL, "worry": E.FEARFUL, "scared": E.FEARFUL, "afraid": E.FEARFUL,
    "ugly": E.DISGUSTED, "gross": E.DISGUSTED, "disappointed": E.SAD, "expensive": E.ANGRY,
}
NEGATORS_ZH = ("不是很", "不怎么", "并不", "不太", "没有", "不", "没", "别")
POSITIVE_ZH = ("喜欢", "满意", "开心", "值得", "值", "好看", "好用", "好吃", "推荐", "划算", "舒服", "高兴")
NEGATIVE_ZH: dict[str, Emotion] = {
    "差": E.SAD, "贵": E.ANGRY, "难看": E.DISGUSTED, "难过": E.SAD, "生气": E.ANGRY, "担心": E.FEARFUL,
    "怕": E.FEARFUL, "难用": E.ANGRY, "伤心": E.SAD, "害怕": E.FEARFUL, "着急": E.FEARFUL,
}
NEGATIVE_EMOTIONS = (E.SAD, E.ANGRY, E.FEARFUL, E.DISGUSTED)

_NEG_ZH = re.compile(
    "(?:" + "|".join(NEGATORS_ZH) + ")(?:是|很|太|那么)?"
    + "(?P<word>" + "|".join(sorted([*POSITIVE_ZH, *NEGATIVE_ZH], key=len, reverse=True)) + "|好(?![意的]))"
)
_WORD = re.compile(r"[A-Za-z']+")
_CAPS = re.compile(r"\b[A-Z]{3,}\b")
_ELONGATED = re.compile(r"([A-Za-z])\1{2,}")


@dataclass(slots=True)
class Cues:
    """Log-probability nudges per emotion, intensity changes, and what was noticed."""

    bonus: dict[Emotion, float] = field(default_factory=dict)
    intensity_scale: float = 1.0
    intensity_add: float = 0.0
    notes: list[str] = field(default_factory=list)

    def nudge(self, emotion: Emotion, amount: float) -> None:
        self.bonus[emotion] = self.bonus.get(emotion, 0.0) + amount


def find_cues(text: str) -> Cues:
    """Every cue in ``text`` (English and Chinese)."""
    cues = Cues()
    lower = text.lower()
    _symbols(text, cues)
    _punctuation(text, cues)
    _degree(text, lower, cues)
    _negation_en(lower, cues)
    _negation_zh(text, cues)
    for marker in SARCASM:
        if marker in lower:
            cues.nudge(E.ANGRY, 1.0)
            cues.nudge(E.HAPPY, -1.5)
            cues.notes.append(f"sarcasm '{marker}'")
            break
    for emotion in list(cues.bonus):
        cues.bonus[emotion] = max(-3.0, min(3.0, cues.bonus[emotion]))
    return cues


def _symbols(text: str, cues: Cues) -> None:
    seen: dict[Emotion, int] = {}
    for ch in text:
        emotion = EMOJI.get(ch)
        if emotion is not None:
            seen[emotion] = seen.get(emotion, 0) + 1
    for face, emotion in EMOTICONS.items():
        if face in text:
            seen[emotion] = seen.get(emotion, 0) + 1
    for emotion, count in seen.items():
        cues.nudge(emotion, min(2.5, 1.4 + 0.4 * (count - 1)))
        cues.intensity_add += min(0.2, 0.05 * count)
        cues.notes.append(f"emoji {emotion.value} x{count}")
    if E.ANGRY in seen and E.HAPPY not in seen:
        cues.nudge(E.HAPPY, -1.0)  # an eye-roll turns praise into sarcasm


def _punctuation(text: str, cues: Cues) -> None:
    bangs = text.count("!") + text.count("！")
    if bangs:
        cues.intensity_add += min(0.25, 0.08 * bangs)
        cues.notes.append(f"exclamation x{bangs}")
    if re.search(r"[?？][!！]|[!！][?？]", text):
        cues.nudge(E.SURPRISED, 0.6)
        cues.notes.append("?!")
    caps = _CAPS.findall(text)
    if caps:
        cues.intensity_add += 0.15
        cues.notes.append("shouting")
    if _ELONGATED.search(text):
        cues.intensity_add += 0.1
        cues.notes.append("elongation")


def _degree(text: str, lower: str, cues: Cues) -> None:
    words = _WORD.findall(lower)
    plain = text.replace("不太", "").replace("不是很", "")  # "not very" weakens, it does not intensify
    strong = sum(1 for w in words if w in INTENSIFIERS_EN) + sum(plain.count(z) for z in INTENSIFIERS_ZH)
    if strong:
        cues.intensity_scale *= min(1.45, 1.0 + 0.15 * strong)
        cues.notes.append(f"intensifier x{strong}")
    if any(h in lower for h in HEDGES_EN) or any(h in text for h in HEDGES_ZH):
        cues.intensity_scale *= 0.7
        cues.notes.append("hedge")


def _negation_en(lower: str, cues: Cues) -> None:
    words = [w.strip("'") for w in _WORD.findall(lower)]
    for i, word in enumerate(words):
        window = words[max(0, i - 3) : i]
        negated = any(w in NEGATORS_EN or w.endswith("n't") for w in window)
        if not negated:
            continue
        if word in POSITIVE_EN:
            _negated_positive(cues, f"not {word}")
        elif word in NEGATIVE_EN:
            _negated_negative(cues, NEGATIVE_EN[word], f"not {word}")


def _negation_zh(text: str, cues: Cues) -> None:
    for match in _NEG_ZH.finditer(text.replace("不好意思", "")):
        word = match.group("word")
        if word in NEGATIVE_ZH:
            _negated_negative(cues, NEGATIVE_ZH[word], match.group(0))
        else:
            _negated_positive(cues, match.group(0))


def _negated_positive(cues: Cues, note: str) -> None:
    cues.nudge(E.HAPPY, -1.8)
    cues.nudge(E.SAD, 0.8)
    cues.nudge(E.ANGRY, 0.4)
    cues.notes.append(f"negation '{note}'")


def _negated_negative(cues: Cues, emotion: Emotion, note: str) -> None:
    cues.nudge(emotion, -1.2)
    cues.nudge(E.NEUTRAL, 0.3)
    cues.nudge(E.HAPPY, 0.3)
    cues.notes.append(f"negation '{note}'")
