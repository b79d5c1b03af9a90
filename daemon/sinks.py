"""Build the enabled sinks from the profile's outputs section."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from daemon.config.profile import Profile
from integrations.outputs.base import Sink
from integrations.outputs.file_sink import FileSink
from integrations.outputs.preview import PreviewSink

if TYPE_CHECKING:
    from daemon.service import Service

log = logging.getLogger(__name__)


def build_sinks(profile: Profile, preview: PreviewSink, available: dict[str, bool], service: Service) -> list[Sink]:
    """The enabled sinks; `auto` devices only when the checks found them."""
    o = profile.outputs
    size = (profile.face.width, profile.face.height)
    sinks: list[Sink] = [preview]
    if o.file.enabled:
        sinks.append(
            FileSink(
                o.file.path,
                fps=o.fps,
                video_bitrate_kbps=o.file.video_bitrate_kbps,
                audio_bitrate_kbps=o.file.audio_bitrate_kbps,
            )
        )
    cam, dev = o.virtual_camera, o.audio_device
    device_on = dev.enabled == "on" or (dev.enabled == "auto" and bool(available.get("outputs.audio_device")))
    if cam.enabled == "on" or (cam.enabled == "auto" and available.get("outputs.virtual_camera")):
        from integrations.outputs.audio_device import playback_delay_ms
        from integrations.outputs.virtual_camera import VirtualCameraSink

        delay_ms = cam.delay_ms if cam.delay_ms is not None else (
            playback_delay_ms(dev.latency_ms, o.fps) if device_on else 0.0)
        sinks.append(VirtualCameraSink(*size, fps=o.fps, device=cam.device, pixel_format=cam.pixel_format,
                                       delay_frames=round(delay_ms * o.fps / 1000)))
    if device_on:
        from integrations.outputs.audio_device import AudioDeviceSink

        sinks.append(AudioDeviceSink(dev.device, latency_ms=dev.latency_ms))
    if o.rtmp.enabled and o.rtmp.url:
        from integrations.outputs.rtmp import RTMPSink

        sinks.append(
            RTMPSink(
                o.rtmp.url,
                *size,
                o.fps,
                key_env=o.rtmp.key_env,
                video_bitrate_kbps=o.rtmp.video_bitrate_kbps,
                audio_bitrate_kbps=o.rtmp.audio_bitrate_kbps,
                keyframe_s=o.rtmp.keyframe_s,
                preset=o.rtmp.preset,
            )
        )
    if o.webrtc.enabled:
        from aiortc import RTCIceServer

        from integrations.webrtc.fanout import MediaFanout
        from integrations.webrtc.hub import WebRTCHub

        fanout = MediaFanout(o.fps)
        sinks.append(fanout)
        service.webrtc = WebRTCHub(fanout, o.webrtc.max_viewers, [RTCIceServer(u) for u in o.webrtc.stun_servers])
    return sinks
