"""Never invent prices, stock or promises: every number and every commercial claim in a reply
sentence must be backed by the knowledge that was retrieved for the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

TOPICS: dict[str, tuple[str, ...]] = {
    "price": (
        "price", "cost", "costs", "how much", "dollar", "dollars", "bucks", "yuan", "euro", "euros", "$", "¥",
        "€", "£", "价格", "价钱", "售价", "多少钱", "元", "块钱", "怎么卖",
    ),
    "stock": (
        "in stock", "out of stock", "sold out", "stock", "inventory", "restock", "pieces left", "only a few left",
        "库存", "有货", "没货", "现货", "还剩", "卖完", "售罄", "补货", "还有吗",
    ),
    "shipping": (
        "free shipping", "shipping", "ship", "ships", "deliver", "delivery", "arrive", "arrives",
        "包邮", "发货", "快递", "到货", "送达", "运费", "物流",
    ),
    "refund": (
        "refund", "money back", "returns", "return policy", "return it", "free return", "退款", "退货", "退换",
        "七天无理由",
    ),
    "warranty": ("warranty", "guarantee", "guaranteed", "promise", "保修", "保证", "质保", "承诺", "包退"),
    "discount": (
        "discount", "coupon", "% off", "percent off", "half price", "buy one get one", "promo code",
        "打折", "折扣", "优惠券", "半价", "满减", "买一送一",
    ),
}
_CN_DIGITS = {"零": 0, "〇": 0, "两": 2} | {ch: i for i, ch in enumerate("零一二三四五六七八九")}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万]+(?:[块元点][零〇一二三四五六七八九])?")
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_LATIN = re.compile(r"[a-z]")


def topics_in(text: str) -> set[str]:
    """Which commercial topics ``text`` talks about."""
    lower = text.lower()
    found = set()
    for topic, words in TOPICS.items():
        for word in words:
            if _LATIN.search(word):
                if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lower):
                    found.add(topic)
                    break
            elif word in lower:
                found.add(topic)
                break
    return found


def _norm_number(raw: str) -> str:
    value = float(raw.replace(",", ""))
    return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _cn_number(run: str) -> float | None:
    """Chinese numerals to a number: 三十 -> 30, 一百二十 -> 120, 九块九 -> 9.9."""
    for sep in "块元点":
        if sep in run:
            whole, _, frac = run.partition(sep)
            base = _cn_number(whole)
            return None if base is None else base + (_CN_DIGITS.get(frac, 0) / 10 if frac else 0)
    total, section, digit = 0, 0, None
    for ch in run:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (digit if digit is not None else 1) * unit
            digit = None
    return total + section + (digit or 0)


def numbers_in(text: str) -> set[str]:
    """Every number in ``text``, normalised (29.90 -> 29.9, 1,200 -> 1200, 三十 -> 30)."""
    found = {_norm_number(m.group(0)) for m in _DIGITS.finditer(text) if any(c.isdigit() for c in m.group(0))}
    for match in _CN_RUN.finditer(text):
        run = match.group(0)
        if len(run) == 1 and run in "一两":
            continue  # "一下", "两个人": articles more than numbers
        value = _cn_number(run)
        if value is not None:
            found.add(_norm_number(str(value)))
    return found


@dataclass(frozen=True, slots=True)
class Allowed:
    """What a reply may state: numbers and topics found in the retrieved knowledge."""

    numbers: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()

    @classmethod
    def from_texts(cls, knowledge: Iterable[str], question: str = "") -> Allowed:
        """Numbers and topics from the knowledge lines; the question's own numbers may be echoed."""
        texts = list(knowledge)
        numbers = set(numbers_in(question))
        topics: set[str] = set()
        for text in texts:
            numbers |= numbers_in(text)
            topics |= topics_in(text)
        return cls(frozenset(numbers), frozenset(topics))


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str = ""
    numbers: frozenset[str] = field(default_factory=frozenset)
    topics: frozenset[str] = field(default_factory=frozenset)


def check_claims(sentence: str, allowed: Allowed) -> Verdict:
    """Is every number and commercial claim in ``sentence`` backed by ``allowed``?"""
    numbers = numbers_in(sentence)
    topics = topics_in(sentence)
    extra_numbers = numbers - allowed.numbers
    extra_topics = topics - allowed.topics
    if not extra_numbers and not extra_topics:
        return Verdict(True, "", frozenset(numbers), frozenset(topics))
    parts = []
    if extra_numbers:
        parts.append(f"number(s) {', '.join(sorted(extra_numbers))} not in the knowledge")
    if extra_topics:
        parts.append(f"claim about {', '.join(sorted(extra_topics))} not in the knowledge")
    return Verdict(False, "; ".join(parts), frozenset(numbers), frozenset(topics))
