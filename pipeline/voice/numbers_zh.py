"""Chinese number words: cardinals with 万/亿 grouping, decimals, digit strings and 两 before measures."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _section(n: int) -> str:
    """0 < n < 10000, with inner zeros as 零 (1005 -> 一千零五)."""
    out: list[str] = []
    zero = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[d] + _SMALL_UNITS[power])
    return "".join(out)


def cardinal(n: int) -> str:
    """``199`` -> 一百九十九; ``10`` -> 十; ``100005`` -> 十万零五."""
    if n < 0:
        return "负" + cardinal(-n)
    if n == 0:
        return "零"
    groups: list[int] = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    out: list[str] = []
    need_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out.append("零")
        out.append(_section(g) + _BIG_UNITS[i])
        need_zero = False
    text = "".join(out)
    if text.startswith("一十"):
        text = text[1:]  # 十五, not 一十五
    return text


def digits(text: str) -> str:
    """Digit by digit: ``2024`` -> 二零二四."""
    return "".join(_DIGITS[int(d)] for d in text if d.isdigit())


def decimal(text: str) -> str:
    """``19.99`` -> 十九点九九; ``0.5`` -> 零点五."""
    text = text.replace(",", "")
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    words = cardinal(int(whole or "0"))
    if frac:
        words += "点" + digits(frac)
    return ("负" if negative else "") + words


def with_measure(text: str) -> str:
    """A count before a measure word: 2 -> 两 (两件), 2000 -> 两千; otherwise the cardinal."""
    if "." in text:
        return decimal(text)
    n = int(text.replace(",", ""))
    words = cardinal(n)
    if n == 2:
        return "两"
    if words.startswith("二") and len(words) > 1 and words[1] in "千万亿":
        return "两" + words[1:]
    return words
