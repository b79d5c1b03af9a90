"""English text for speech: prices, percentages, units, dates, times and numbers read as words.

Live commerce text is dense with symbols ("$19.99", "50% off", "2kg", "12/25", "3 for 2"); the
voice must say them the way a host would, and the lip sync must move for each spoken word.
"""

from __future__ import annotations

import re

from pipeline.voice.numbers_en import cardinal, decimal, digits, ordinal, year

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yuan", "yuan", "fen", "fen"),
    "￥": ("yuan", "yuan", "fen", "fen"),
    "RMB": ("yuan", "yuan", "fen", "fen"),
    "₩": ("won", "won", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
}
_UNITS = {
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "ft": ("foot", "feet"),
    "in": ("inch", "inches"),
    "l": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "gb": ("gigabyte", "gigabytes"),
    "mb": ("megabyte", "megabytes"),
    "tb": ("terabyte", "terabytes"),
    "kb": ("kilobyte", "kilobytes"),
    "mah": ("milliamp hour", "milliamp hours"),
    "w": ("watt", "watts"),
    "kw": ("kilowatt", "kilowatts"),
    "v": ("volt", "volts"),
    "hz": ("hertz", "hertz"),
    "khz": ("kilohertz", "kilohertz"),
    "ghz": ("gigahertz", "gigahertz"),
    "mph": ("mile per hour", "miles per hour"),
    "kmh": ("kilometer per hour", "kilometers per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "°c": ("degree Celsius", "degrees Celsius"),
    "℃": ("degree Celsius", "degrees Celsius"),
    "°f": ("degree Fahrenheit", "degrees Fahrenheit"),
    "℉": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "pcs": ("piece", "pieces"),
    "pc": ("piece", "pieces"),
    "k": ("thousand", "thousand"),
}
_SCALE_WORDS = {"k": "thousand", "m": "million", "mn": "million", "b": "billion", "bn": "billion"}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
# "2kg", "1.5 L", "30°C"; a unit glued to the number or separated by one space (not "in" then).
_UNIT_RE = re.compile(rf"(?<![\w.])({_NUM})(?:({_UNIT_ALT})|\s({_UNIT_ALT}))(?![\w/])", re.I)
_CUR_SYMBOLS = "|".join(re.escape(c) for c in sorted(_CURRENCIES, key=len, reverse=True))
_PRICE_RE = re.compile(rf"({_CUR_SYMBOLS})\s?({_NUM})(?:\s?(k|m|mn|b|bn|million|billion|thousand)\b)?", re.I)
_PRICE_AFTER_RE = re.compile(rf"(?<![\w.])({_NUM})\s?(USD|EUR|GBP|CNY|RMB|dollars?|yuan)\b", re.I)
_PERCENT_RE = re.compile(rf"(?<![\w.])({_NUM})\s?%")
_DATE_ISO_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH_RE = re.compile(r"(?<![\w/.])(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?(?![\w/])")
_TIME_RE = re.compile(r"\b(\d{1,2}):(\d{2})(?:\s?([ap])\.?m\b(?:\.(?=\s+(?-i:[a-z])))?)?(?![\w:])", re.I)
_HOUR_AMPM_RE = re.compile(r"\b(\d{1,2})\s?([ap])\.?m\b(?:\.(?=\s+(?-i:[a-z])))?", re.I)
_ORDINAL_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.I)
_YEAR_CONTEXT_RE = re.compile(
    r"\b(in|since|from|until|till|by|of|year|class|summer|winter|spring|fall)\s(\d{4})\b", re.I
)
_RANGE_RE = re.compile(rf"(?<![\w.])({_NUM})\s?[-–~]\s?({_NUM})(?![\w.])")
_TIMES_RE = re.compile(r"(?<![\w.])(?:x\s?(\d+)|(\d+)\s?x)(?![\w.])", re.I)
_HASH_NUM_RE = re.compile(r"#\s?(\d+)")
_PLUS_RE = re.compile(r"(?<=\d)\+")
_NUMBER_RE = re.compile(rf"(?:(?<![\w-])-)?(?:{_NUM})")
_FRACTIONS = {
    (1, 2): "one half",
    (1, 3): "one third",
    (2, 3): "two thirds",
    (1, 4): "one quarter",
    (3, 4): "three quarters",
    (1, 8): "one eighth",
}


def _plural(value: str, one: str, many: str) -> str:
    return one if value.replace(",", "") in ("1", "1.0") else many


def _say_number(value: str) -> str:
    return decimal(value)


def _price(m: re.Match[str]) -> str:
    symbol = m.group(1).upper() if m.group(1).isalpha() else m.group(1)
    one, many, sub_one, sub_many = _CURRENCIES[symbol]
    amount = m.group(2).replace(",", "")
    scale = m.group(3)
    if scale:
        word = _SCALE_WORDS.get(scale.lower(), scale.lower())
        return f"{decimal(amount)} {word} {many}"
    whole, _, frac = amount.partition(".")
    words = f"{cardinal(int(whole))} {_plural(whole, one, many)}"
    if frac and sub_many:
        cents = int((frac + "0")[:2])
        if cents and whole != "0":
            words += f" and {cardinal(cents)} {_plural(str(cents), sub_one, sub_many)}"
        elif cents:
            words = f"{cardinal(cents)} {_plural(str(cents), sub_one, sub_many)}"
    return words


def _price_after(m: re.Match[str]) -> str:
    code = m.group(2).lower()
    unit = {"usd": "dollars", "eur": "euros", "gbp": "pounds", "cny": "yuan", "rmb": "yuan"}.get(code, code)
    if unit.startswith("dollar"):
        unit = "dollars"
    return f"{decimal(m.group(1))} {unit if m.group(1) not in ('1',) else unit.rstrip('s')}"


def _unit(m: re.Match[str]) -> str:
    value = m.group(1)
    unit = (m.group(2) or m.group(3)).lower()
    if m.group(3) and unit in ("in", "m", "g", "w", "v", "k"):
        return m.group(0)  # "3 in a row", "2 m" is ambiguous apart: only glued forms convert
    one, many = _UNITS[unit]
    if re.search(r"\b(?:a|an)\s+$", m.string[: m.start()], re.I):
        return f"{decimal(value)} {one}"  # "a 2kg bag": the measure is an adjective
    return f"{decimal(value)} {_plural(value, one, many)}"


def _date(month: int, day: int, yr: str | None) -> str:
    words = f"{_MONTHS[month - 1]} {ordinal(day)}"
    if yr:
        full = int(yr) + (2000 if len(yr) == 2 else 0)
        words += f", {year(full)}"
    return words


def _slash(m: re.Match[str]) -> str:
    a, b, yr = int(m.group(1)), int(m.group(2)), m.group(3)
    if yr is None and (a, b) in _FRACTIONS:
        return _FRACTIONS[(a, b)]
    if 1 <= a <= 12 and 1 <= b <= 31:
        return _date(a, b, yr)
    if 1 <= b <= 12 and 1 <= a <= 31:
        return _date(b, a, yr)  # day/month
    return f"{cardinal(a)} over {cardinal(b)}"


def _iso_date(m: re.Match[str]) -> str:
    month, day = int(m.group(2)), int(m.group(3))
    if 1 <= month <= 12 and 1 <= day <= 31:
        return _date(month, day, m.group(1))
    return m.group(0)


def _time(m: re.Match[str]) -> str:
    hour, minute, ampm = int(m.group(1)), int(m.group(2)), m.group(3)
    if hour > 24 or minute > 59:
        return m.group(0)
    if minute == 0:
        words = f"{cardinal(hour)}" + ("" if ampm else " o'clock")
    elif minute < 10:
        words = f"{cardinal(hour)} oh {cardinal(minute)}"
    else:
        words = f"{cardinal(hour)} {cardinal(minute)}"
    return words + (f" {ampm.lower()} m" if ampm else "")


def _range(m: re.Match[str]) -> str:
    return f"{_say_number(m.group(1))} to {_say_number(m.group(2))}"


def normalize_en(text: str) -> str:
    """English text with every number, price, unit, date and time spelled out in words."""
    text = text.replace("&", " and ").replace("w/", "with ")
    text = _PRICE_RE.sub(_price, text)
    text = _PRICE_AFTER_RE.sub(_price_after, text)
    text = _PERCENT_RE.sub(lambda m: f"{_say_number(m.group(1))} percent", text)
    text = _DATE_ISO_RE.sub(_iso_date, text)
    text = _TIME_RE.sub(_time, text)
    text = _HOUR_AMPM_RE.sub(lambda m: f"{cardinal(int(m.group(1)))} {m.group(2).lower()} m", text)
    text = _SLASH_RE.sub(_slash, text)
    text = _UNIT_RE.sub(_unit, text)
    text = _ORDINAL_RE.sub(lambda m: ordinal(int(m.group(1))), text)
    text = _YEAR_CONTEXT_RE.sub(lambda m: f"{m.group(1)} {year(int(m.group(2)))}", text)
    text = _TIMES_RE.sub(
        lambda m: f"times {cardinal(int(m.group(1)))}" if m.group(1) else f"{cardinal(int(m.group(2)))} times", text
    )
    text = _HASH_NUM_RE.sub(lambda m: f"number {cardinal(int(m.group(1)))}", text)
    text = _PLUS_RE.sub(" plus", text)
    text = _RANGE_RE.sub(_range, text)
    text = re.sub(r"\b0\d{3,}\b", lambda m: digits(m.group(0)), text)  # codes with a leading zero
    text = re.sub(r"\b\d{7,}\b", lambda m: digits(m.group(0)), text)  # phone numbers, order ids
    text = _NUMBER_RE.sub(lambda m: _say_number(m.group(0)), text)
    text = text.replace("%", " percent").replace("=", " equals ").replace("@", " at ")
    return re.sub(r"\s+", " ", text).strip()
