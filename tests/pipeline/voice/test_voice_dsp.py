"""Signal processing under the voice: YIN pitch, PSOLA pitch/tempo, shelf, limiter, pauses, WAV, resampling."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from pipeline.voice.analysis import active_rms_db, pitch_track, syllable_nuclei
from pipeline.voice.pauses import find_pauses, scale_pauses
from pipeline.voice.pitch_tempo import psola, semitones_to_factor
from pipeline.voice.prosody import apply_level, high_shelf
from pipeline.voice.resample import resample
from pipeline.voice.wav import decode_pcm16, decode_wav, encode_wav

SR = 22050


def vowel(f0: float | np.ndarray, seconds: float, sr: int = SR, formants=(700.0, 1200.0, 2600.0)) -> np.ndarray:
    """A synthetic vowel: a glottal pulse train (f0 may glide) through three formant resonators."""
    import scipy.signal

    n = int(seconds * sr)
    f = np.broadcast_to(np.asarray(f0, dtype=np.float64), (n,))
    phase = np.cumsum(f / sr)
    pulses = np.diff(np.floor(phase), prepend=0.0)
    x = pulses.astype(np.float64)
    for fc in formants:
        r = np.exp(-np.pi * 90.0 / sr)
        a = [1.0, -2 * r * np.cos(2 * np.pi * fc / sr), r * r]
        x = scipy.signal.lfilter([1.0 - r], a, x)
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


def spectral_peak_hz(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Frequency of the strongest spectral line in lo..hi."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / sr)
    band = (freqs >= lo) & (freqs <= hi)
    return float(freqs[band][np.argmax(spec[band])])


def formant_hz(x: np.ndarray, sr: int, lo: float, hi: float, order: int = 14) -> float:
    """Peak of the LPC spectral envelope in lo..hi: where the vocal tract resonates."""
    import scipy.linalg
    import scipy.signal

    x = x.astype(np.float64)
    r = np.correlate(x, x, "full")[len(x) - 1 : len(x) + order]
    a = scipy.linalg.solve_toeplitz(r[:order], -r[1 : order + 1])
    w, h = scipy.signal.freqz([1.0], np.concatenate([[1.0], a]), worN=4096, fs=sr)
    band = (w >= lo) & (w <= hi)
    return float(w[band][np.argmax(np.abs(h[band]))])


@pytest.mark.parametrize("f0", [85.0, 120.0, 220.0, 330.0])
def test_yin_finds_the_pitch(f0: float) -> None:
    track = pitch_track(vowel(f0, 0.6), SR)
    voiced = track.f0[track.f0 > 0]
    assert voiced.size > 0.8 * track.f0.size
    assert abs(np.median(voiced) / f0 - 1) < 0.02


def test_yin_leaves_noise_unvoiced() -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32)
    assert np.mean(pitch_track(noise, SR).f0 > 0) < 0.1


@pytest.mark.parametrize("semitones", [-4.0, -2.0, 2.0, 4.0])
def test_psola_moves_pitch_but_keeps_formants_and_length(semitones: float) -> None:
    x = vowel(110.0, 1.0)
    y = psola(x, SR, pitch_factor=semitones_to_factor(semitones))
    assert len(y) == len(x)
    ratio = pitch_track(y, SR).mean_hz() / pitch_track(x, SR).mean_hz()
    assert abs(ratio / semitones_to_factor(semitones) - 1) < 0.03
    # No chipmunk: the first formant stays where it was (resampling would move it by the same ratio).
    for lo, hi in ((400, 1000), (1000, 1600)):
        before, after = formant_hz(x, SR, lo, hi), formant_hz(y, SR, lo, hi)
        assert abs(after - before) < 0.03 * before, (lo, before, after)
    assert abs(active_rms_db(y, SR) - active_rms_db(x, SR)) < 1.0


@pytest.mark.parametrize("tempo", [0.8, 1.25])
def test_psola_tempo_changes_duration_not_pitch(tempo: float) -> None:
    x = vowel(140.0, 1.0)
    y = psola(x, SR, tempo=tempo)
    assert abs(len(y) / len(x) - 1 / tempo) < 0.01
    assert abs(pitch_track(y, SR).mean_hz() / 140.0 - 1) < 0.03


def test_psola_pitch_range_scales_intonation() -> None:
    glide = np.linspace(100.0, 160.0, SR)
    x = vowel(glide, 1.0)

    def spread(a: np.ndarray) -> float:
        f = pitch_track(a, SR).f0
        return float(np.std(np.log(f[f > 0])))

    assert spread(psola(x, SR, range_factor=1.5)) > 1.3 * spread(x)
    assert spread(psola(x, SR, range_factor=0.5)) < 0.7 * spread(x)


def test_high_shelf_tilts_only_the_highs() -> None:
    t = np.arange(SR) / SR
    low = np.sin(2 * np.pi * 100 * t).astype(np.float32)
    high = np.sin(2 * np.pi * 8000 * t).astype(np.float32)
    gain = lambda a, b: 20 * np.log10(np.std(b[1000:]) / np.std(a[1000:]))  # noqa: E731
    assert abs(gain(low, high_shelf(low, SR, 6.0))) < 0.5
    assert 5.0 < gain(high, high_shelf(high, SR, 6.0)) < 6.5
    assert -6.5 < gain(high, high_shelf(high, SR, -6.0)) < -5.0


def test_level_gain_never_clips() -> None:
    x = vowel(120.0, 0.5)
    y = apply_level(x, 20.0)
    assert np.max(np.abs(y)) <= 0.98 + 1e-6
    assert active_rms_db(y, SR) > active_rms_db(x, SR) + 6


def test_pauses_stretch_and_shrink_in_their_middle() -> None:
    gap = np.zeros(int(0.3 * SR), dtype=np.float32)
    x = np.concatenate([vowel(120.0, 0.4), gap, vowel(120.0, 0.4)])
    [(start, end)] = find_pauses(x, SR)
    assert abs((end - start) / SR - 0.3) < 0.03
    longer = scale_pauses(x, SR, 1.5)
    shorter = scale_pauses(x, SR, 0.5)
    assert abs((len(longer) - len(x)) / SR - 0.15) < 0.02
    assert abs((len(x) - len(shorter)) / SR - 0.15) < 0.03
    # speech on both sides is untouched
    np.testing.assert_array_equal(longer[: int(0.4 * SR)], x[: int(0.4 * SR)])
    np.testing.assert_array_equal(shorter[-int(0.4 * SR) :], x[-int(0.4 * SR) :])


def test_syllable_nuclei_count_separated_vowels() -> None:
    gap = np.zeros(int(0.08 * SR), dtype=np.float32)
    x = np.concatenate([np.concatenate([vowel(120.0, 0.15), gap]) for _ in range(5)])
    assert len(syllable_nuclei(x, SR)) == 5


def test_wav_roundtrip_and_formats() -> None:
    x = (0.5 * np.sin(np.linspace(0, 40 * np.pi, 4000))).astype(np.float32)
    y, rate = decode_wav(encode_wav(x, 16000))
    assert rate == 16000 and np.max(np.abs(y - x)) < 1e-3

    def wav(tag: int, bits: int, channels: int, payload: bytes, size: int | None = None) -> bytes:
        fmt = struct.pack("<HHIIHH", tag, channels, 24000, 24000 * channels * bits // 8, channels * bits // 8, bits)
        data_size = len(payload) if size is None else size
        body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_size) + payload
        return b"RIFF" + struct.pack("<I", len(body)) + body

    f32 = wav(3, 32, 1, x.astype("<f4").tobytes())
    np.testing.assert_allclose(decode_wav(f32)[0], x, atol=1e-7)
    i24 = (np.round(x * 8388607).astype(np.int32)).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    np.testing.assert_allclose(decode_wav(wav(1, 24, 1, i24))[0], x, atol=1e-6)
    stereo = np.stack([x, x], axis=1).astype("<f4").tobytes()
    np.testing.assert_allclose(decode_wav(wav(3, 32, 2, stereo))[0], x, atol=1e-7)
    streamed = wav(1, 16, 1, (x * 32767).astype("<i2").tobytes(), size=0xFFFFFFFF)
    assert len(decode_wav(streamed)[0]) == len(x)
    with pytest.raises(ValueError):
        decode_wav(b"not a wav file at all")
    np.testing.assert_allclose(decode_pcm16((x * 32767).astype("<i2").tobytes() + b"\x00"), x, atol=1e-4)


@pytest.mark.parametrize(("rate_in", "rate_out"), [(22050, 16000), (24000, 48000), (48000, 22050)])
def test_resample_keeps_tone_and_length(rate_in: int, rate_out: int) -> None:
    t = np.arange(rate_in) / rate_in
    x = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    y = resample(x, rate_in, rate_out)
    assert abs(len(y) - rate_out) <= 2
    assert abs(spectral_peak_hz(y, rate_out, 200, 1000) - 440) < 5
