"""Sample-rate conversion for voices, sinks and analysis (soxr when present, polyphase otherwise)."""

from __future__ import annotations

from math import gcd

import numpy as np


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """float32 mono ``audio`` from ``rate_in`` to ``rate_out`` Hz, band-limited (no aliasing)."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if rate_in == rate_out or x.size == 0:
        return x.copy()
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError("sample rates must be positive")
    try:
        import soxr

        return np.asarray(soxr.resample(x, rate_in, rate_out, quality="HQ"), dtype=np.float32)
    except ImportError:
        import scipy.signal

        g = gcd(rate_in, rate_out)
        return scipy.signal.resample_poly(x, rate_out // g, rate_in // g).astype(np.float32)
