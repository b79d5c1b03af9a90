"""How each emotion colours speech: rate, pitch, pitch range, loudness, brightness and pauses.

The table holds each emotion at full intensity; an EmotionState scales it by its intensity (and the
profile's emotion strength), so a mildly happy line is only a little quicker and brighter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.signal

from pipeline.emotion import Emotion, EmotionState


@dataclass(frozen=True, slots=True)
class Prosody:
    """A prosody target relative to the voice's own delivery (neutral = all defaults)."""

    rate: float = 1.0
    """Speaking rate (1.2 = 20 % quicker)."""
    pitch_semitones: float = 0.0
    """Shift of the whole pitch contour."""
    pitch_range: float = 1.0
    """Scale of the intonation excursions around the median pitch (> 1 livelier, < 1 flatter)."""
    energy_db: float = 0.0
    """Loudness change."""
    brightness_db: float = 0.0
    """High-shelf gain above about 1.5 kHz: bright/firm (> 0) or soft/dark (< 0)."""
    pause: float = 1.0
    """Scale of the pauses at commas and between sentences."""
    variability: float = 1.0
    """Scale of the engine's expressive randomness (piper noise scales), where it has one."""

    @property
    def pitch_factor(self) -> float:
        return float(2.0 ** (self.pitch_semitones / 12.0))

    @property
    def is_neutral(self) -> bool:
        return self == Prosody()


# Full-intensity targets.  Directions follow the usual findings on vocal emotion (Scherer 2003,
# Juslin & Laukka 2003): joy quicker/higher/livelier, sadness slower/lower/flatter/quieter, anger
# louder/firmer, fear quicker/higher/softer, disgust slower/lower, surprise higher with a wide range.
EMOTION_PROSODY: dict[Emotion, Prosody] = {
    Emotion.NEUTRAL: Prosody(),
    Emotion.HAPPY: Prosody(
        rate=1.18, pitch_semitones=2.0, pitch_range=1.3, energy_db=1.5, brightness_db=2.0, pause=0.8, variability=1.15
    ),
    Emotion.SAD: Prosody(
        rate=0.8,
        pitch_semitones=-2.0,
        pitch_range=0.65,
        energy_db=-4.0,
        brightness_db=-3.0,
        pause=1.5,
        variability=0.85,
    ),
    Emotion.ANGRY: Prosody(
        rate=1.06, pitch_semitones=0.5, pitch_range=1.2, energy_db=4.0, brightness_db=3.5, pause=0.85, variability=0.9
    ),
    Emotion.SURPRISED: Prosody(
        rate=1.05, pitch_semitones=3.5, pitch_range=1.45, energy_db=1.5, brightness_db=1.5, pause=1.0, variability=1.2
    ),
    Emotion.FEARFUL: Prosody(
        rate=1.2, pitch_semitones=2.5, pitch_range=1.1, energy_db=-3.0, brightness_db=-1.0, pause=0.9, variability=1.25
    ),
    Emotion.DISGUSTED: Prosody(
        rate=0.85, pitch_semitones=-1.5, pitch_range=0.85, energy_db=0.0, brightness_db=-1.0, pause=1.2, variability=0.9
    ),
    Emotion.CONCERNED: Prosody(
        rate=0.86,
        pitch_semitones=-0.5,
        pitch_range=0.85,
        energy_db=-3.0,
        brightness_db=-2.0,
        pause=1.3,
        variability=0.9,
    ),
}


def prosody_for(state: EmotionState, strength: float = 1.0, base_rate: float = 1.0) -> Prosody:
    """The prosody for ``state``: its emotion's table entry scaled by intensity x ``strength``
    (ratios geometrically, dB and semitones linearly), times the voice's ``base_rate``."""
    if strength < 0:
        raise ValueError("emotion strength must be >= 0")
    target = EMOTION_PROSODY[state.emotion]
    k = min(2.0, state.intensity * strength)
    scaled = Prosody(
        rate=target.rate**k,
        pitch_semitones=target.pitch_semitones * k,
        pitch_range=target.pitch_range**k,
        energy_db=target.energy_db * k,
        brightness_db=target.brightness_db * k,
        pause=target.pause**k,
        variability=target.variability**k,
    )
    return replace(scaled, rate=scaled.rate * base_rate)


def high_shelf(audio: np.ndarray, sample_rate: int, gain_db: float, corner_hz: float = 1500.0) -> np.ndarray:
    """First-order high-shelf filter (bilinear transform): tilts brightness by ``gain_db`` above the corner."""
    if abs(gain_db) < 1e-3 or audio.size == 0:
        return audio
    g = 10.0 ** (gain_db / 20.0)
    k = np.tan(np.pi * corner_hz / sample_rate)
    # H(s) = (g*s + w) / (s + w), with s prewarped: a high shelf of gain g, unity at DC.
    b = np.array([g + k, k - g]) / (1 + k)
    a = np.array([1.0, (k - 1) / (1 + k)])
    return scipy.signal.lfilter(b, a, audio).astype(np.float32)


def apply_level(audio: np.ndarray, gain_db: float, ceiling: float = 0.98) -> np.ndarray:
    """Apply gain, then a soft limiter so loud emotions never clip."""
    y = audio.astype(np.float32) * np.float32(10.0 ** (gain_db / 20.0))
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > ceiling:
        knee = 0.8 * ceiling
        over = np.abs(y) > knee
        span = ceiling - knee
        y[over] = np.sign(y[over]) * (knee + span * np.tanh((np.abs(y[over]) - knee) / span))
    return y


STATED_DIRECTIONS: dict[Emotion, dict[str, int]] = {
    Emotion.HAPPY: {"syllables_per_s": +1, "f0_mean_hz": +1},
    Emotion.SAD: {"syllables_per_s": -1, "f0_mean_hz": -1, "rms_db": -1},
    Emotion.ANGRY: {"rms_db": +1},
    Emotion.CONCERNED: {"syllables_per_s": -1, "rms_db": -1},
    Emotion.SURPRISED: {"f0_mean_hz": +1},
    Emotion.FEARFUL: {"syllables_per_s": +1, "f0_mean_hz": +1, "rms_db": -1},
    Emotion.DISGUSTED: {"syllables_per_s": -1, "f0_mean_hz": -1},
}
"""How each emotion must differ from neutral when measured (+1 higher, -1 lower): happy quicker and
brighter, sad slower and lower, angry louder, concerned softer and slower, surprised higher, fearful
quicker/higher/softer, disgusted slower/lower.  The benchmark and tests check these."""
