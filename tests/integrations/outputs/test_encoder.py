"""AVEncoder: H.264 + AAC files that ffprobe and FFmpeg read back as what went in."""

from __future__ import annotations

import subprocess

import av
import numpy as np
import pytest

from integrations.outputs.encoder import AVEncoder
from tests.integrations.outputs.media import SR, ticks
from tests.servers import ffprobe

W, H, FPS = 160, 120, 30


def _tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.4 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _decode_audio(path) -> np.ndarray:  # type: ignore[no-untyped-def]
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])


def _keyframe_times(path) -> list[float]:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=key_frame,pts_time",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = [line.split(",") for line in out.split()]
    return [round(float(row[1]), 2) for row in rows if row[0] == "1"]


def test_mp4_reads_back_with_the_right_streams_and_keyframes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "out.mp4"
    enc = AVEncoder(path, W, H, FPS, video_bitrate=400_000, audio_bitrate=96_000, keyframe_s=1.0)
    for tick in ticks(_tone(3.0), FPS, W, H):
        enc.encode(tick)
    enc.close()
    enc.close()  # twice is harmless
    info = ffprobe(path)
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert streams["video"]["codec_name"] == "h264" and int(streams["video"]["nb_read_frames"]) == 90
    assert (streams["video"]["width"], streams["video"]["height"]) == (W, H)
    assert streams["video"]["avg_frame_rate"] == "30/1"
    assert streams["audio"]["codec_name"] == "aac" and int(streams["audio"]["channels"]) == 2
    assert abs(float(info["format"]["duration"]) - 3.0) < 0.1
    assert _keyframe_times(path) == [0.0, 1.0, 2.0], "a keyframe exactly every keyframe_s"
    audio = _decode_audio(path)
    spectrum = np.abs(np.fft.rfft(audio[SR // 2 : SR // 2 + SR]))
    assert abs(np.argmax(spectrum) - 440) <= 2, "the tone comes back at 440 Hz"


def test_dropped_ticks_leave_silence_in_place_and_keep_sync(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Ticks lost upstream: the video skips those frame times and the audio gap becomes silence,
    so what follows still plays at the right moment."""
    path = tmp_path / "gap.mp4"
    enc = AVEncoder(path, W, H, FPS, keyframe_s=1.0)
    kept = [t for t in ticks(_tone(3.0), FPS, W, H, first_index=300) if not 330 <= t.video.index < 345]
    for tick in kept:  # starts mid-stream (index 300): timestamps are rebased to zero
        enc.encode(tick)
    enc.close()
    info = ffprobe(path)
    assert abs(float(info["format"]["duration"]) - 3.0) < 0.1, "the gap still takes its time"
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert int(video["nb_read_frames"]) == 75
    audio = _decode_audio(path)
    level = lambda a, b: float(np.sqrt(np.mean(audio[int(a * SR) : int(b * SR)] ** 2)))  # noqa: E731
    assert level(1.1, 1.45) < 0.01, "silence where the ticks were lost"
    assert level(0.2, 0.9) > 0.2 and level(1.6, 2.8) > 0.2


def test_mismatched_frames_are_scaled_and_odd_sizes_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="even"):
        AVEncoder(tmp_path / "odd.mp4", 161, 120, FPS)
    path = tmp_path / "scaled.mp4"
    enc = AVEncoder(path, W, H, FPS)
    for tick in ticks(_tone(0.5), FPS, 2 * W, 2 * H):
        enc.encode(tick)
    enc.close()
    video = next(s for s in ffprobe(path)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (W, H) and int(video["nb_read_frames"]) == 15
    with pytest.raises(RuntimeError, match="closed"):
        enc.encode(next(ticks(_tone(0.1), FPS, W, H)))
