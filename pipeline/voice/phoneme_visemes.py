"""Which mouth shape each phoneme makes: espeak IPA (English, Chinese and the other espeak languages)
and the pinyin initials/finals that piper's Chinese voices use."""

from __future__ import annotations

from pipeline.visemes import Viseme

V = Viseme

# One IPA code point -> (viseme, weight).  Weight is how far the shape goes (schwa is a lazy "E").
IPA: dict[str, tuple[Viseme, float]] = {
    # open vowels
    "a": (V.AA, 1.0),
    "ɑ": (V.AA, 1.0),
    "æ": (V.AA, 0.9),
    "ʌ": (V.AA, 0.75),
    "ɐ": (V.AA, 0.7),
    "ä": (V.AA, 1.0),
    # mid / front vowels
    "e": (V.E, 0.9),
    "ɛ": (V.E, 0.9),
    "ə": (V.E, 0.6),
    "ɚ": (V.E, 0.6),
    "ɜ": (V.E, 0.7),
    "ɝ": (V.E, 0.7),
    "ɘ": (V.E, 0.6),
    "ɤ": (V.E, 0.7),
    "œ": (V.O, 0.7),
    "ø": (V.U, 0.7),
    # close front vowels
    "i": (V.I, 0.9),
    "ɪ": (V.I, 0.8),
    "y": (V.U, 0.8),
    "ɨ": (V.I, 0.7),
    "ᵻ": (V.I, 0.7),
    "ʏ": (V.U, 0.7),
    "ɿ": (V.I, 0.6),
    "ʅ": (V.I, 0.6),
    # rounded vowels
    "o": (V.O, 1.0),
    "ɔ": (V.O, 1.0),
    "ɒ": (V.O, 0.9),
    "ɵ": (V.O, 0.7),
    "u": (V.U, 1.0),
    "ʊ": (V.U, 0.85),
    "ɯ": (V.U, 0.7),
    # lips closed
    "m": (V.MBP, 1.0),
    "b": (V.MBP, 1.0),
    "p": (V.MBP, 1.0),
    "ɱ": (V.FV, 0.9),
    # lip to teeth
    "f": (V.FV, 1.0),
    "v": (V.FV, 1.0),
    "ʋ": (V.FV, 0.8),
    # tongue between teeth
    "θ": (V.TH, 1.0),
    "ð": (V.TH, 0.9),
    # post-alveolar / palatal: lips forward
    "ʃ": (V.CH, 1.0),
    "ʒ": (V.CH, 1.0),
    "ɕ": (V.CH, 0.9),
    "ʑ": (V.CH, 0.9),
    "ʂ": (V.CH, 0.9),
    "ʐ": (V.CH, 0.9),
    "ç": (V.CH, 0.7),
    # rounded approximants
    "w": (V.WQ, 1.0),
    "ʍ": (V.WQ, 1.0),
    "ɥ": (V.WQ, 0.9),
    "ɹ": (V.WQ, 0.55),
    "r": (V.WQ, 0.5),
    "ɻ": (V.WQ, 0.5),
    "ʁ": (V.DD, 0.5),
    # laterals
    "l": (V.L, 1.0),
    "ɫ": (V.L, 1.0),
    "ɭ": (V.L, 0.9),
    "ʎ": (V.L, 0.9),
    "ɬ": (V.L, 0.8),
    # other consonants: teeth nearly closed
    "t": (V.DD, 0.8),
    "d": (V.DD, 0.8),
    "n": (V.DD, 0.7),
    "s": (V.DD, 0.8),
    "z": (V.DD, 0.8),
    "k": (V.DD, 0.6),
    "g": (V.DD, 0.6),
    "ɡ": (V.DD, 0.6),
    "ŋ": (V.DD, 0.6),
    "ɾ": (V.DD, 0.6),
    "x": (V.DD, 0.5),
    "ɣ": (V.DD, 0.5),
    "h": (V.DD, 0.4),
    "ɦ": (V.DD, 0.4),
    "ʔ": (V.DD, 0.3),
    "j": (V.I, 0.7),
    "ɲ": (V.DD, 0.6),
    "ɳ": (V.DD, 0.6),
    "c": (V.DD, 0.7),
    "ɟ": (V.DD, 0.7),
    "q": (V.DD, 0.6),
    "χ": (V.DD, 0.5),
    "ʈ": (V.DD, 0.8),
    "ɖ": (V.DD, 0.8),
    "ts": (V.DD, 0.8),
}

# Symbols that only modify their neighbour: stress goes to the next phoneme, length to the previous.
STRESS = frozenset("ˈˌ")
LENGTH = frozenset("ːˑ\u0303\u0329\u032f\u0361\u02de\u02b0\u02b2\u02b7")  # ː, nasal, syllabic, aspirated...
TONES = frozenset("0123456789˥˦˧˨˩")
PAUSES = frozenset(",.!?;:…—-_^$。，！？；：、")
WORD_BREAK = " "


def is_pause(symbols: list[str], i: int) -> bool:
    """Whether ``symbols[i]`` is a pause: punctuation that ends a word (espeak's Chinese output also
    uses "." and "-" inside syllables, where they are not pauses)."""
    symbol = symbols[i]
    if symbol not in PAUSES:
        return False
    if symbol not in ".-" or i + 1 >= len(symbols):
        return True
    following = symbols[i + 1]
    return following == WORD_BREAK or following in PAUSES


# Pinyin (piper's zh voices): initials and finals are whole symbols.
PINYIN_INITIALS: dict[str, list[tuple[Viseme, float]]] = {
    "b": [(V.MBP, 1.0)],
    "p": [(V.MBP, 1.0)],
    "m": [(V.MBP, 1.0)],
    "f": [(V.FV, 1.0)],
    "d": [(V.DD, 0.8)],
    "t": [(V.DD, 0.8)],
    "n": [(V.DD, 0.7)],
    "l": [(V.L, 1.0)],
    "g": [(V.DD, 0.6)],
    "k": [(V.DD, 0.6)],
    "h": [(V.DD, 0.4)],
    "j": [(V.I, 0.7)],
    "q": [(V.I, 0.7)],
    "x": [(V.I, 0.7)],
    "zh": [(V.CH, 1.0)],
    "ch": [(V.CH, 1.0)],
    "sh": [(V.CH, 1.0)],
    "r": [(V.CH, 0.8)],
    "z": [(V.DD, 0.8)],
    "c": [(V.DD, 0.8)],
    "s": [(V.DD, 0.8)],
    "y": [(V.I, 0.7)],
    "w": [(V.WQ, 1.0)],
    "Ø": [],
}
_FINAL_LETTERS: dict[str, tuple[Viseme, float]] = {
    "a": (V.AA, 1.0),
    "o": (V.O, 1.0),
    "e": (V.E, 0.8),
    "i": (V.I, 0.8),
    "u": (V.U, 1.0),
    "v": (V.U, 0.9),
    "n": (V.DD, 0.5),
    "r": (V.E, 0.6),
}


def pinyin_final(final: str) -> list[tuple[Viseme, float]]:
    """Shapes of a pinyin final in order ("iao" -> I, AA, U; "ang" -> AA)."""
    sounds = final.replace("ao", "au").replace("ong", "ung")  # ao = [au], ong = [ʊŋ]
    letters = sounds[:-2] if sounds.endswith("ng") else sounds  # velar -ng keeps the vowel's shape
    return [_FINAL_LETTERS[ch] for ch in letters if ch in _FINAL_LETTERS]


def shapes_of(symbol: str, pinyin: bool = False) -> list[tuple[Viseme, float]] | None:
    """Shapes a phoneme symbol makes, in order; [] for none of its own; None if unknown.

    ``pinyin`` selects the pinyin reading of symbols (there "v" is the vowel ü, not a lip-teeth v).
    """
    if pinyin:
        if symbol in PINYIN_INITIALS:
            return PINYIN_INITIALS[symbol]
        if symbol and all(ch in _FINAL_LETTERS or ch == "g" for ch in symbol):
            return pinyin_final(symbol)
        return None
    if symbol in IPA:
        return [IPA[symbol]]
    return None
