"""Count the syllables of a text from its espeak phonemes (one per vowel nucleus)."""

from __future__ import annotations

import unicodedata

from pipeline.visemes import Viseme
from pipeline.voice.phoneme_visemes import IPA

_SYLLABIC = "\u0329"
_VOWELS = frozenset(
    symbol for symbol, (viseme, _) in IPA.items() if viseme in (Viseme.AA, Viseme.E, Viseme.I, Viseme.O, Viseme.U)
) - {"j"}


def count_syllables(text: str, espeak_voice: str = "en-us") -> int:
    """Vowel nuclei in ``text`` as espeak phonemizes it (a diphthong counts once)."""
    from piper.phonemize_espeak import EspeakPhonemizer

    count = 0
    for sentence in EspeakPhonemizer().phonemize(espeak_voice, text):
        previous_vowel = False
        for symbol in unicodedata.normalize("NFD", "".join(sentence)):
            is_vowel = symbol in _VOWELS
            if (is_vowel and not previous_vowel) or symbol == _SYLLABIC:
                count += 1  # a vowel, or a syllabic consonant as in "cotton" [kɑʔn̩]
            if symbol not in "ˈˌː":  # stress and length marks do not break a nucleus
                previous_vowel = is_vowel
    return count
