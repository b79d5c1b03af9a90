"""MFCC frames for mouth-shape recognition: 25 ms windows every 10 ms, mel bands up to 8 kHz.

The band limit makes the features the same at any sample rate from 16 kHz up, so one classifier
serves a 16 kHz microphone, a 22.05 kHz piper voice and a 48 kHz capture alike.
"""

from __future__ import annotations

import numpy as np

HOP_S = 0.01
WIN_S = 0.025
N_MELS = 26
N_CEPS = 12
MAX_HZ = 8000.0


def _mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log1p(np.asarray(hz) / 700.0)


def _hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * np.expm1(mel / 1127.0)


class MfccExtractor:
    """Cepstra c1..c12 and the frame level (dBFS) for frames of ``hop`` samples."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate < 8000:
            raise ValueError("sample rate must be at least 8 kHz")
        self.sample_rate = sample_rate
        self.hop = round(HOP_S * sample_rate)
        self.win = round(WIN_S * sample_rate)
        self.n_fft = 1 << int(np.ceil(np.log2(self.win)))
        self.window = np.hamming(self.win)
        top = min(MAX_HZ, sample_rate / 2)
        freqs = np.fft.rfftfreq(self.n_fft, 1.0 / sample_rate)
        edges = _hz(np.linspace(_mel(60.0), _mel(top), N_MELS + 2))
        bank = np.zeros((N_MELS, freqs.size))
        for m in range(N_MELS):
            lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
            rise = (freqs - lo) / (mid - lo)
            fall = (hi - freqs) / (hi - mid)
            bank[m] = np.clip(np.minimum(rise, fall), 0.0, None) * (2.0 / (hi - lo))
        self.bank = bank
        n = np.arange(N_MELS)
        self.dct = np.cos(np.pi / N_MELS * (n[None, :] + 0.5) * np.arange(1, N_CEPS + 1)[:, None])

    def frames(self, samples: np.ndarray) -> np.ndarray:
        """Frames of ``win`` samples every ``hop`` from ``samples`` (no padding); shape (n, win)."""
        count = 0 if len(samples) < self.win else 1 + (len(samples) - self.win) // self.hop
        if count == 0:
            return np.zeros((0, self.win))
        idx = np.arange(self.win)[None, :] + self.hop * np.arange(count)[:, None]
        return np.asarray(samples, dtype=np.float64)[idx]

    def features(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cepstra (n, 12), level dBFS (n,)) for frames from ``frames``."""
        if frames.shape[0] == 0:
            return np.zeros((0, N_CEPS)), np.zeros(0)
        level = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
        emphasised = frames.copy()
        emphasised[:, 1:] -= 0.97 * frames[:, :-1]
        spec = np.abs(np.fft.rfft(emphasised * self.window, self.n_fft, axis=1)) ** 2
        mel = np.log(spec @ self.bank.T + 1e-10)
        return mel @ self.dct.T, level


class FeatureStream:
    """Incremental frames -> (normalised cepstra, level relative to the running peak, level).

    Speaker normalisation is running, so it works live: the cepstral mean adapts over about two
    seconds of speech (starting from ``cep_mean``), the peak level decays slowly after loud speech.
    Frame i is centred on sample i * hop of the stream.
    """

    def __init__(
        self,
        sample_rate: int,
        cep_mean: np.ndarray,
        *,
        floor_db: float = -55.0,
        below_peak_db: float = 35.0,
        cmn_seconds: float = 2.0,
        peak_decay_db_per_s: float = 2.0,
    ) -> None:
        self.mfcc = MfccExtractor(sample_rate)
        self.hop = self.mfcc.hop
        self.floor_db = floor_db
        self.below_peak_db = below_peak_db
        self.cep_mean = np.asarray(cep_mean, dtype=np.float64).copy()
        self.peak = -25.0
        self._alpha = 1.0 - float(np.exp(-HOP_S / cmn_seconds))
        self._decay = peak_decay_db_per_s * HOP_S
        self._buffer = np.zeros(self.mfcc.win // 2, dtype=np.float64)

    def is_speech(self, level: float) -> bool:
        return level > max(self.floor_db, self.peak - self.below_peak_db)

    def push(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features of the frames completed by ``samples``: (cepstra (n, 12), relative dB, dB)."""
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, dtype=np.float64).reshape(-1)])
        frames = self.mfcc.frames(self._buffer)
        if len(frames) == 0:
            return np.zeros((0, N_CEPS)), np.zeros(0), np.zeros(0)
        self._buffer = self._buffer[len(frames) * self.hop :]
        ceps, level = self.mfcc.features(frames)
        norm = np.empty_like(ceps)
        rel = np.empty_like(level)
        for i in range(len(level)):
            self.peak = max(float(level[i]), self.peak - self._decay)
            rel[i] = level[i] - self.peak
            if self.is_speech(float(level[i])):
                self.cep_mean += self._alpha * (ceps[i] - self.cep_mean)
            norm[i] = ceps[i] - self.cep_mean
        return norm, rel, level

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features of the last frames (the stream end is padded with silence)."""
        return self.push(np.zeros(self.mfcc.win, dtype=np.float64))
