"""Scrub personal contact details out of chat before the avatar can read them aloud.

Phone numbers (digits with any separators, Chinese numerals, English digit words), e-mail addresses
(also spelled ``name at mail dot com`` / ``艾特``), street addresses in English and Chinese, links and
off-platform contact handles (WeChat, QQ, Telegram, ...).  Each is replaced by a bracketed tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TLDS = r"(?:com|net|org|edu|gov|io|cn|tv|gg|me|co|uk|de|jp|info|biz|xyz|app|dev|ly|top)"
_AT = r"(?:@|＠|\s*[\[(（<{]\s*(?:at|艾特)\s*[\])）>}]\s*|\s+at\s+|艾特|圈a)"
_DOT = r"(?:\.|\s*[\[(（<{]\s*(?:dot|点)\s*[\])）>}]\s*|\s+dot\s+|点)"

_EMAIL_RE = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLDS}\b", re.IGNORECASE)
_URL_RE = re.compile(
    rf"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.{_TLDS}\b(?:/\S*)?", re.IGNORECASE
)
_PHONE_RE = re.compile(r"(?<![A-Za-z0-9_.,])\+?\(?\d[\d\s\-.()/]{5,}\d(?![A-Za-z0-9_]|[.,]\d)")
_CN_DIGITS = "零〇一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"
_CN_PHONE_RE = re.compile(rf"[{_CN_DIGITS}](?:\s*[{_CN_DIGITS}]){{6,}}")
_WORD_DIGITS = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_WORD_PHONE_RE = re.compile(rf"\b{_WORD_DIGITS}(?:[\s,-]+{_WORD_DIGITS}){{6,}}\b", re.IGNORECASE)
_STREET = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
    r"highway|hwy|parkway|pkwy|square|sq|circle|cir)"
)
_EN_ADDRESS_RE = re.compile(
    rf"\b\d{{1,6}}\s+(?:[A-Za-z0-9.'-]+\s+){{0,4}}{_STREET}\b\.?"
    r"(?:,?\s*(?:apt|apartment|suite|unit|flat|#)\.?\s*\w+)?",
    re.IGNORECASE,
)
_HAN = r"[\u4e00-\u9fff]"
_CN_NUM = rf"(?:\d+|[{_CN_DIGITS}十百]+)"
_NOT_FIRST = r"(?![在住是的到去和与我你他她寄送发])"
_CN_ADDRESS_RE = re.compile(
    rf"{_NOT_FIRST}(?:{_HAN}{{2,3}}(?:省|自治区))?(?:{_HAN}{{2,3}}市)?(?:{_HAN}{{1,3}}(?:区|县|镇|乡))?"
    rf"{_HAN}{{1,6}}?(?:路|街|大道|道|巷|弄|胡同|小区|花园|公寓|大厦|新村)\s*{_CN_NUM}\s*(?:号楼|号|弄|栋|幢|楼|单元|室)"
    rf"(?:\s*{_CN_NUM}\s*(?:号楼|号|弄|栋|幢|楼|单元|室))*"
)
_HANDLE_RE = re.compile(
    r"(?:微信号?|威信|薇信|vx|wx|v信|weixin|wechat|qq号?|扣扣|企鹅号|telegram|tg|whatsapp|line\s*id|discord|snap(?:chat)?)"
    r"\s*(?:号|id)?\s*[:：是为]?\s*[A-Za-z0-9_.\-]{5,}",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Scrubbed:
    """Text with contact details replaced, and which kinds were found."""

    text: str
    kinds: tuple[str, ...]


def _count_digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


_DATE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")


def _sub_phone(match: re.Match[str]) -> str:
    found = match.group(0)
    if _DATE_RE.fullmatch(found.strip()):
        return found
    return "[phone]" if 7 <= _count_digits(found) <= 16 else found


def scrub(text: str) -> Scrubbed:
    """Replace contact details in ``text`` (already display-normalised) with tags."""
    kinds: list[str] = []

    def apply(pattern: re.Pattern[str], kind: str, repl: str | None = None) -> None:
        nonlocal text
        new = pattern.sub(_sub_phone if repl is None else repl, text)
        if new != text:
            kinds.append(kind)
            text = new

    apply(_EMAIL_RE, "email", "[email]")
    apply(_HANDLE_RE, "contact", "[contact]")
    apply(_URL_RE, "link", "[link]")
    apply(_EN_ADDRESS_RE, "address", "[address]")
    apply(_CN_ADDRESS_RE, "address", "[地址]")
    apply(_PHONE_RE, "phone")
    apply(_CN_PHONE_RE, "phone", "[phone]")
    apply(_WORD_PHONE_RE, "phone", "[phone]")
    return Scrubbed(text, tuple(dict.fromkeys(kinds)))
