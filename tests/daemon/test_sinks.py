"""Which sinks a profile builds, and how the virtual camera lines up with the audio device."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from daemon.cli import PROFILES_DIR
from daemon.config.profile import load_profile
from daemon.sinks import build_sinks
from integrations.outputs.preview import PreviewSink
from integrations.outputs.virtual_camera import VirtualCameraSink


def _camera(update: dict[str, Any], available: dict[str, bool]) -> VirtualCameraSink:
    profile = load_profile(PROFILES_DIR / "default.toml")
    outputs = profile.outputs.model_copy(update={
        "file": profile.outputs.file.model_copy(update={"enabled": False}),
        "webrtc": profile.outputs.webrtc.model_copy(update={"enabled": False}),
        "virtual_camera": profile.outputs.virtual_camera.model_copy(update={"enabled": "on", **update}),
        "audio_device": profile.outputs.audio_device.model_copy(update={"latency_ms": 60}),
    })
    sinks = build_sinks(profile.model_copy(update={"outputs": outputs}), PreviewSink(), available,
                        SimpleNamespace())  # type: ignore[arg-type]
    return next(s for s in sinks if isinstance(s, VirtualCameraSink))


@pytest.mark.parametrize(
    ("update", "device_found", "frames"),
    [
        ({}, True, 4),  # 2 x 60 ms + half a frame = 137 ms: 4 frames at 30 fps
        ({}, False, 0),  # no audio device: nothing to line up with
        ({"delay_ms": 0}, True, 0),
        ({"delay_ms": 200}, False, 6),
    ],
)
def test_camera_holds_frames_back_by_the_audio_devices_delay(update, device_found, frames) -> None:  # type: ignore[no-untyped-def]
    camera = _camera(update, {"outputs.audio_device": device_found, "outputs.virtual_camera": True})
    assert camera.delay_frames == frames
