"""Output sinks benchmark: what each output costs per Stage frame on this machine.

- H.264 + AAC encoding (``AVEncoder``: the RTMP push and the mp4 recorder), per preset and size;
- RGB -> YUYV / I420 / NV12 conversion for the virtual camera;
- WebRTC: the VP8 + Opus encoding each extra viewer adds (aiortc encodes per viewer);
- the audio device's jitter buffer (push + pull of one tick).

Prints one JSON object.  ``--quick`` encodes fewer frames.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.outputs.audio_device import JitterBuffer
from integrations.outputs.encoder import AVEncoder
from integrations.outputs.virtual_camera import rgb_to_device_format
from pipeline.frames import AudioChunk, MediaTick, VideoFrame

FPS, SR = 30, 48000
SIZES = [(512, 512), (1280, 720)]


def frames(width: int, height: int, n: int) -> list[np.ndarray]:
    """A moving, textured picture (x264 and VP8 work about as hard as on a face)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    base = np.kron(base, np.ones((8, 8, 1), np.uint8))[:height, :width]
    return [np.roll(base, 3 * k, axis=1) for k in range(n)]


def tick(i: int, image: np.ndarray) -> MediaTick:
    per = SR // FPS
    t = (np.arange(per) + i * per) / SR
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return MediaTick(video=VideoFrame(index=i, pts=i / FPS, image=image),
                     audio=AudioChunk(start=i * per, sample_rate=SR, pcm=pcm))


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "mean_ms": round(statistics.fmean(ms), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "frame_budget_share": round(statistics.fmean(ms) / (1000 / FPS), 3),
    }


def bench_encoder(n: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in SIZES:
            pics = frames(width, height, n)
            for preset in ("ultrafast", "veryfast"):
                enc = AVEncoder(Path(tmp) / f"{preset}.mp4", width, height, FPS, preset=preset)
                ms = []
                for i, pic in enumerate(pics):
                    t0 = time.perf_counter()
                    enc.encode(tick(i, pic))
                    ms.append((time.perf_counter() - t0) * 1000)
                enc.close()
                out[f"{width}x{height}_{preset}"] = summary(ms[5:])
    return out


def bench_vcam(n: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for width, height in SIZES:
        pics = frames(width, height, n)
        for fmt in ("yuyv", "i420", "nv12"):
            ms = []
            for pic in pics:
                t0 = time.perf_counter()
                rgb_to_device_format(pic, fmt, width, height)  # type: ignore[arg-type]
                ms.append((time.perf_counter() - t0) * 1000)
            out[f"{width}x{height}_{fmt}"] = summary(ms[2:])
    return out


def bench_webrtc_viewer(n: int) -> dict[str, object]:
    """The encoding one more WebRTC viewer costs (VP8 video + Opus audio), as aiortc does it."""
    import fractions

    import av
    from aiortc.codecs import get_encoder
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    out: dict[str, object] = {}
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000)
    for width, height in SIZES:
        enc = get_encoder(vp8)
        ms = []
        for i, pic in enumerate(frames(width, height, n)):
            frame = av.VideoFrame.from_ndarray(pic, format="rgb24")
            frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
            t0 = time.perf_counter()
            enc.encode(frame)
            ms.append((time.perf_counter() - t0) * 1000)
        stats = summary(ms[5:])
        out[f"vp8_{width}x{height}"] = stats
        out[f"viewers_at_{width}x{height}_if_all_cores_encode"] = int(
            (os.cpu_count() or 1) * (1000 / FPS) / max(stats["mean_ms"], 0.01)
        )
    opus = get_encoder(RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2))
    ms = []
    for i in range(200):
        pcm = (np.sin(np.arange(960) / 10) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SR, i * 960, fractions.Fraction(1, SR)
        t0 = time.perf_counter()
        opus.encode(frame)
        ms.append((time.perf_counter() - t0) * 1000)
    out["opus_20ms_frame"] = {"mean_ms": round(statistics.fmean(ms[10:]), 3)}
    return out


def bench_jitter_buffer() -> dict[str, float]:
    buf = JitterBuffer(target=2880, limit=2880 + 14400)
    chunk = np.zeros(SR // FPS, np.float32)
    t0 = time.perf_counter()
    for _ in range(3000):
        buf.push(chunk)
        buf.pull(SR // FPS)
    return {"push_pull_per_tick_us": round((time.perf_counter() - t0) / 3000 * 1e6, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer frames (about 20 s in all)")
    n = 60 if parser.parse_args().quick else 150
    result = {
        "bench": "outputs",
        "cores": os.cpu_count(),
        "fps": FPS,
        "frames_per_case": n,
        "h264_aac_encode": bench_encoder(n),
        "virtual_camera_convert": bench_vcam(n),
        "webrtc_per_viewer": bench_webrtc_viewer(n),
        "audio_jitter_buffer": bench_jitter_buffer(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
