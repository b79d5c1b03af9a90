"""Chinese text for speech: prices, discounts, percentages, units, dates, times and numbers as 汉字.

Live commerce reads "¥199" as 一百九十九元, "买2送1" as 买二送一, "8.5折" as 八五折, "第3件半价" as
第三件半价 and "2024年11月11日" with the year digit by digit.
"""

from __future__ import annotations

import re

from pipeline.voice.numbers_zh import cardinal, decimal, digits, with_measure

_FULL_WIDTH = str.maketrans("０１２３４５６７８９％＄￥．：／－～", "0123456789%$¥.:/-~")
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CURRENCY_BEFORE = {"¥": "元", "$": "美元", "US$": "美元", "€": "欧元", "£": "英镑", "HK$": "港币", "RMB": "元"}
_UNITS = {
    "kg": "公斤",
    "g": "克",
    "mg": "毫克",
    "km": "公里",
    "m": "米",
    "cm": "厘米",
    "mm": "毫米",
    "l": "升",
    "ml": "毫升",
    "mah": "毫安时",
    "w": "瓦",
    "kw": "千瓦",
    "v": "伏",
    "hz": "赫兹",
    "°c": "摄氏度",
    "℃": "摄氏度",
    "°": "度",
    "gb": "G",
    "tb": "T",
    "mb": "兆",
    "k": "千",
}
# Measure words after which 2 is read 两 (两件, 两瓶); 第 and 买/送 keep 二.
_MEASURES = "件个斤块瓶盒包双套条支位次天种台份杯袋箱只张本部名颗粒片根把对罐桶元克公斤千克升毫升米厘米分钟小时周"
_CUR_ALT = "|".join(re.escape(c) for c in sorted(_CURRENCY_BEFORE, key=len, reverse=True))
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
_PRICE_RE = re.compile(rf"({_CUR_ALT})\s?({_NUM})(万|千|百)?")
_PERCENT_RE = re.compile(rf"({_NUM})\s?%")
_DISCOUNT_RE = re.compile(r"(\d)(?:\.(\d))?\s?折")
_FULL_DATE_RE = re.compile(r"(\d{2,4})\s?年\s?(\d{1,2})\s?月\s?(\d{1,2})\s?[日号]")
_YEAR_RE = re.compile(r"(\d{2,4})\s?年(?!\s?[级代度])")
_MONTH_DAY_RE = re.compile(r"(\d{1,2})\s?月\s?(\d{1,2})\s?([日号])")
_MONTH_RE = re.compile(r"(\d{1,2})\s?月")
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_SLASH_DATE_RE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
_TIME_RE = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")
_ORDINAL_RE = re.compile(rf"第\s?({_NUM})")
_HASH_RE = re.compile(r"#\s?(\d+)")  # "#3" -> 三号 (link number three)
_UNIT_RE = re.compile(rf"({_NUM})\s?({_UNIT_ALT})(?![A-Za-z])", re.I)
_RANGE_RE = re.compile(rf"({_NUM})\s?[-~～到至]\s?({_NUM})")
_MEASURE_RE = re.compile(rf"({_NUM})(?=\s?[{_MEASURES}])")
_LONG_DIGITS_RE = re.compile(r"\d{5,}")
_NUMBER_RE = re.compile(rf"(?:(?<![\w-])-)?(?:{_NUM})")


def _price(m: re.Match[str]) -> str:
    scale = m.group(3) or ""
    unit = _CURRENCY_BEFORE[m.group(1).upper() if m.group(1).isalpha() else m.group(1)]
    return f"{decimal(m.group(2))}{scale}{unit}"


def _discount(m: re.Match[str]) -> str:
    return f"{digits(m.group(1))}{digits(m.group(2)) if m.group(2) else ''}折"


def _year(text: str) -> str:
    return digits(text)


def _month_day(month: str, day: str, suffix: str = "日") -> str:
    return f"{cardinal(int(month))}月{cardinal(int(day))}{suffix}"


def _iso_date(m: re.Match[str]) -> str:
    month, day = int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return f"{_year(m.group(1))}年{_month_day(m.group(2), m.group(3))}"


def _slash_date(m: re.Match[str]) -> str:
    a, b = int(m.group(1)), int(m.group(2))
    if 1 <= a <= 12 and 1 <= b <= 31:
        return _month_day(m.group(1), m.group(2))
    return f"{cardinal(b)}分之{cardinal(a)}"


def _time(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 24 or minute > 59:
        return m.group(0)
    hour_words = "两" if hour == 2 else cardinal(hour)
    if minute == 0:
        return f"{hour_words}点"
    return f"{hour_words}点{'零' if minute < 10 else ''}{cardinal(minute)}分"


def _unit(m: re.Match[str]) -> str:
    unit = _UNITS[m.group(2).lower()]
    return f"{with_measure(m.group(1))}{unit}"


def normalize_zh(text: str) -> str:
    """Chinese text with every number, price, unit, date and time in 汉字."""
    text = text.translate(_FULL_WIDTH)
    text = _PRICE_RE.sub(_price, text)
    text = _PERCENT_RE.sub(lambda m: f"百分之{decimal(m.group(1))}", text)
    text = _DISCOUNT_RE.sub(_discount, text)
    text = _FULL_DATE_RE.sub(lambda m: f"{_year(m.group(1))}年{_month_day(m.group(2), m.group(3))}", text)
    text = _ISO_DATE_RE.sub(_iso_date, text)
    text = _YEAR_RE.sub(lambda m: f"{_year(m.group(1))}年", text)
    text = _MONTH_DAY_RE.sub(lambda m: _month_day(m.group(1), m.group(2), m.group(3)), text)
    text = _MONTH_RE.sub(lambda m: f"{cardinal(int(m.group(1)))}月", text)
    text = _TIME_RE.sub(_time, text)
    text = _SLASH_DATE_RE.sub(_slash_date, text)
    text = _ORDINAL_RE.sub(lambda m: f"第{decimal(m.group(1))}", text)
    text = _HASH_RE.sub(lambda m: f"{cardinal(int(m.group(1)))}号", text)
    text = _UNIT_RE.sub(_unit, text)
    text = _RANGE_RE.sub(lambda m: f"{decimal(m.group(1))}到{decimal(m.group(2))}", text)
    text = _MEASURE_RE.sub(lambda m: with_measure(m.group(1)), text)
    text = _LONG_DIGITS_RE.sub(lambda m: digits(m.group(0)), text)
    text = _NUMBER_RE.sub(lambda m: decimal(m.group(0)), text)
    text = text.replace("%", "百分比").replace("+", "加").replace("=", "等于").replace("&", "和")
    return re.sub(r"[ \t]+", " ", text).strip()
