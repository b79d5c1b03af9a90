"""WAV bytes <-> float32 mono, without third-party readers (servers send 16/24/32-bit PCM or float)."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """(float32 mono samples, sample rate) from a RIFF/WAVE file in memory; channels are averaged.

    Accepts integer PCM (8/16/24/32-bit) and IEEE float, and streamed WAVs whose size fields are
    left at 0 or 0xFFFFFFFF (the data then runs to the end).
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    fmt: tuple[int, int, int, int] | None = None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body_start = pos + 8
        if chunk_id == b"fmt ":
            tag, channels, rate = struct.unpack("<HHI", data[body_start : body_start + 8])
            bits = struct.unpack("<H", data[body_start + 14 : body_start + 16])[0]
            if tag == 0xFFFE and size >= 40:  # WAVE_FORMAT_EXTENSIBLE: real tag in the sub-format
                tag = struct.unpack("<H", data[body_start + 24 : body_start + 26])[0]
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise ValueError("WAV data before its fmt chunk")
            end = len(data) if size in (0, 0xFFFFFFFF) else min(len(data), body_start + size)
            return _samples(data[body_start:end], *fmt), fmt[2]
        pos = body_start + size + (size & 1)
    raise ValueError("WAV file has no data chunk")


def _samples(raw: bytes, tag: int, channels: int, rate: int, bits: int) -> np.ndarray:
    width = bits // 8
    usable = len(raw) - len(raw) % (width * max(1, channels))
    raw = raw[:usable]
    if tag == 3 and bits == 32:
        x = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif tag == 3 and bits == 64:
        x = np.frombuffer(raw, dtype="<f8").astype(np.float32)
    elif tag == 1 and bits == 16:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif tag == 1 and bits == 32:
        x = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    elif tag == 1 and bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / float(1 << 23)).astype(np.float32)
    elif tag == 1 and bits == 8:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        raise ValueError(f"unsupported WAV encoding (format {tag}, {bits} bits)")
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    return x.astype(np.float32)


def decode_pcm16(data: bytes) -> np.ndarray:
    """Raw little-endian 16-bit mono PCM to float32."""
    usable = len(data) - len(data) % 2
    return np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0


def encode_wav(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit mono WAV bytes of float samples in -1..1."""
    pcm = (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
