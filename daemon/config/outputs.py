"""Where the picture and sound go, and the Stage's frame rate."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from daemon.config.base import Section

Switch = Literal["auto", "on", "off"]
"""`auto`: used when the device is present, reported absent without failing; `on`: required."""


class FileOutput(Section):
    enabled: bool = Field(False, title="Enabled", description="Record the stream to an mp4 file.")
    path: Path = Field(Path("moodcam-recording.mp4"), title="Path", description="Where the mp4 is written.")
    video_bitrate_kbps: int = Field(2500, ge=200, le=50000, title="Video bitrate", description="H.264 bitrate, kbit/s.")
    audio_bitrate_kbps: int = Field(128, ge=32, le=512, title="Audio bitrate", description="AAC bitrate, kbit/s.")


class VirtualCameraOutput(Section):
    enabled: Switch = Field("auto", title="Enabled", description="Virtual webcam for OBS/Zoom.")
    device: str | None = Field(
        None, title="Device", description="e.g. `/dev/video10` (v4l2loopback); default: the first loopback device."
    )
    pixel_format: Literal["rgb", "yuyv", "i420", "nv12"] = Field(
        "rgb", title="Pixel format", description="Format written to the device (`yuyv` suits most apps)."
    )
    delay_ms: int | None = Field(
        None,
        ge=0,
        le=2000,
        title="Delay",
        description="Hold frames back this long so the camera and the audio device line up in OBS or Zoom; "
        "empty = the audio device's own delay when it is on (twice its `latency_ms` plus half a frame), else 0.",
    )


class AudioDeviceOutput(Section):
    enabled: Switch = Field("auto", title="Enabled", description="Play the voice into a (virtual) audio device.")
    device: str | None = Field(
        None,
        title="Device",
        description="Output device name, e.g. a PulseAudio null sink or `CABLE Input` (VB-Cable).",
    )
    latency_ms: int = Field(60, ge=10, le=1000, title="Latency", description="Device buffer, ms.")


class WebRTCOutput(Section):
    enabled: bool = Field(True, title="Enabled", description="Serve the stream to browsers (preview page and WHEP).")
    max_viewers: int = Field(8, ge=1, le=64, title="Max viewers", description="Concurrent WebRTC viewers.")
    stun_servers: list[str] = Field(
        default_factory=list,
        max_length=4,
        title="STUN servers",
        description="`stun:host:port` URLs so viewers outside this network can connect; none needed on a LAN.",
    )

    @field_validator("stun_servers")
    @classmethod
    def _stun_scheme(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith("stun:"):
                raise ValueError(f"{url!r} must start with stun:")
        return value


class RTMPOutput(Section):
    enabled: bool = Field(False, title="Enabled", description="Push to a platform's RTMP ingest.")
    url: str | None = Field(None, title="Ingest URL", description="`rtmp://host/app/` (without the key).")
    key_env: str | None = Field(
        None, title="Stream key variable", description="Environment variable holding the stream key."
    )
    video_bitrate_kbps: int = Field(2500, ge=200, le=50000, title="Video bitrate", description="kbit/s.")
    audio_bitrate_kbps: int = Field(128, ge=32, le=512, title="Audio bitrate", description="kbit/s.")
    keyframe_s: float = Field(2.0, ge=0.5, le=10.0, title="Keyframe interval", description="Seconds between keyframes.")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast"] = Field(
        "veryfast",
        title="x264 preset",
        description="Encoder speed against quality; `ultrafast` leaves the most CPU for the face.",
    )

    @field_validator("url")
    @classmethod
    def _rtmp_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("rtmp://", "rtmps://")):
            raise ValueError("must start with rtmp:// or rtmps://")
        return value


class OutputsConfig(Section):
    fps: int = Field(30, ge=5, le=60, title="Frame rate", description="Frames per second of every output.")
    sink_queue: int = Field(
        8,
        ge=2,
        le=120,
        title="Sink queue",
        description="Frames each output may fall behind before dropping its oldest.",
    )
    file: FileOutput = Field(default_factory=FileOutput, title="File", description="mp4 recording.")
    virtual_camera: VirtualCameraOutput = Field(
        default_factory=VirtualCameraOutput, title="Virtual camera", description="v4l2loopback / OBS Virtual Camera."
    )
    audio_device: AudioDeviceOutput = Field(
        default_factory=AudioDeviceOutput, title="Audio device", description="Virtual audio cable."
    )
    webrtc: WebRTCOutput = Field(default_factory=WebRTCOutput, title="WebRTC", description="Browser viewers.")
    rtmp: RTMPOutput = Field(default_factory=RTMPOutput, title="RTMP", description="Platform push.")
