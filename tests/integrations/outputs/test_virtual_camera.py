"""The virtual camera sink through pyvirtualcam's real native v4l2loopback backend.

The device is a FUSE stand-in (see ``fake_v4l2loopback.py``) because this kernel has no
v4l2loopback; everything above the kernel (pyvirtualcam, its format negotiation, our pixel
conversion) is the real thing, and the test checks the bytes that reach the device.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from integrations.outputs.base import SinkRunner
from integrations.outputs.virtual_camera import (
    VirtualCameraSink,
    VirtualCameraUnavailable,
    probe_virtual_camera,
    rgb_to_device_format,
)
from tests.integrations.outputs.media import pattern, ticks

W, H, FPS = 64, 48, 30

# BT.601 limited range, what webcams deliver: (Y, U, V) of pure red and pure blue
RED_YUV = (82, 90, 240)
BLUE_YUV = (41, 240, 110)


def _close(value: int, expected: int, tol: int = 2) -> bool:
    return abs(int(value) - expected) <= tol


def _check_yuv_halves(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """Left half red, right half blue (away from the moving bar and the split)."""
    h, w = y.shape
    rows = slice(h // 4, 3 * h // 4)
    for plane, k in ((y, 0), (u, 1), (v, 2)):
        ph, pw = plane.shape
        left = plane[ph // 4 : 3 * ph // 4, : pw // 2 - 2]
        right = plane[ph // 4 : 3 * ph // 4, pw // 2 + 2 :]
        assert _close(np.median(left), RED_YUV[k]), (k, np.median(left))
        assert _close(np.median(right), BLUE_YUV[k]), (k, np.median(right))
    assert y[rows].shape[1] == w


async def _run_sink(sink: VirtualCameraSink, n: int) -> None:
    await sink.open()
    try:
        for tick in ticks(np.zeros(n * 1600, np.float32), FPS, W, H):
            await sink.write(tick)
    finally:
        await sink.close()


@pytest.mark.parametrize("pixel_format", ["yuyv", "i420", "nv12", "rgb"])
async def test_frames_arrive_as_the_right_bytes(fuse_camera, pixel_format) -> None:  # type: ignore[no-untyped-def]
    n = 6
    sink = VirtualCameraSink(W, H, FPS, device=fuse_camera.device, pixel_format=pixel_format)
    await _run_sink(sink, n)
    fmt = fuse_camera.format()
    expected_fourcc = {"yuyv": "YUYV", "i420": "YU12", "nv12": "NV12", "rgb": "YU12"}[pixel_format]
    assert (fmt["width"], fmt["height"], fmt["fourcc"]) == (W, H, expected_fourcc)
    raw = np.frombuffer(fuse_camera.raw(), np.uint8)
    size = fmt["sizeimage"]
    assert len(raw) == n * size, "every frame arrives once, whole"
    for k in range(n):
        frame = raw[k * size : (k + 1) * size]
        if fmt["fourcc"] == "YUYV":
            pairs = frame.reshape(H, W // 2, 4)
            y = frame.reshape(H, W, 2)[:, :, 0]
            _check_yuv_halves(y, pairs[:, :, 1], pairs[:, :, 3])
        elif fmt["fourcc"] == "YU12":
            y = frame[: W * H].reshape(H, W)
            u = frame[W * H : W * H * 5 // 4].reshape(H // 2, W // 2)
            v = frame[W * H * 5 // 4 :].reshape(H // 2, W // 2)
            # pyvirtualcam's own RGB->I420 (rgb) and ours (i420) must agree on the colours
            _check_yuv_halves(y, u, v)
        else:
            y = frame[: W * H].reshape(H, W)
            uv = frame[W * H :].reshape(H // 2, W // 2, 2)
            _check_yuv_halves(y, uv[:, :, 0], uv[:, :, 1])
        bar = (k * 8) % W  # the white bar on the top row moves frame by frame
        if bar > 4:
            assert y[0, : bar - 2].min() > 200 and y[0, bar + 2 :].max() < 100


def test_conversion_shapes_and_scaling() -> None:
    img = pattern(0, 80, 60)
    assert rgb_to_device_format(img, "rgb", 80, 60) is not None
    assert rgb_to_device_format(img, "yuyv", 80, 60).shape == (60, 80, 2)
    assert rgb_to_device_format(img, "i420", 80, 60).shape == (80 * 60 * 3 // 2,)
    scaled = rgb_to_device_format(img, "nv12", 40, 30)  # a frame of another size is scaled to the device
    assert scaled.shape == (40 * 30 * 3 // 2,)
    assert _close(np.median(scaled[: 40 * 30].reshape(30, 40)[10:20, 2:15]), RED_YUV[0])


async def test_probe_finds_the_loopback_device(fuse_camera) -> None:  # type: ignore[no-untyped-def]
    ok, message = probe_virtual_camera(fuse_camera.device)
    assert ok and message.startswith(f"OK {fuse_camera.device}") and "v4l2 loopback" in message


def test_probe_reports_a_missing_device_with_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ok, message = probe_virtual_camera(str(tmp_path / "video99"))
    assert not ok and "modprobe v4l2loopback" in message
    not_loopback = tmp_path / "plain"
    not_loopback.write_bytes(b"")
    ok, message = probe_virtual_camera(str(not_loopback))
    assert not ok and "not a v4l2loopback device" in message


async def test_missing_device_fails_open_clearly_and_runner_keeps_retrying(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sink = VirtualCameraSink(W, H, FPS, device=str(tmp_path / "video42"), pixel_format="yuyv")
    with pytest.raises(VirtualCameraUnavailable, match="modprobe v4l2loopback"):
        await sink.open()
    runner = SinkRunner(sink, queue_size=4, backoff_initial=0.05, backoff_max=0.1)
    runner.start()
    for tick in ticks(np.zeros(10 * 1600, np.float32), FPS, W, H):
        runner.offer(tick)
        await asyncio.sleep(0.02)
    await runner.stop()
    assert runner.stats.failures >= 2 and runner.stats.written == 0
    assert "modprobe" in (runner.stats.last_error or "")
