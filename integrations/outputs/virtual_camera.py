"""The virtual webcam: Stage frames into v4l2loopback (Linux) or OBS Virtual Camera (Windows/macOS).

pyvirtualcam does the device work.  Pixel conversion happens here, in the sink's worker thread,
with FFmpeg's swscale (BT.601, limited range: what webcams deliver and what apps expect), so the
device gets exactly the format the profile asks for.
"""

from __future__ import annotations

import collections
import glob
import logging
import os
import struct
import sys
from typing import Any, Literal

import av
import numpy as np

from integrations.outputs.base import Sink
from integrations.outputs.encoder import EncoderThread
from pipeline.frames import MediaTick

log = logging.getLogger(__name__)

PixelFormatName = Literal["rgb", "yuyv", "i420", "nv12"]

_SWS_FORMATS: dict[str, str] = {"yuyv": "yuyv422", "i420": "yuv420p", "nv12": "nv12"}

MODPROBE_HINT = (
    "sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=moodcam exclusive_caps=1"
)

_VIDIOC_QUERYCAP = (2 << 30) | (104 << 16) | (ord("V") << 8) | 0  # _IOR('V', 0, struct v4l2_capability)


class VirtualCameraUnavailable(RuntimeError):
    """No usable virtual camera device: the message says how to get one."""


def rgb_to_device_format(
    image: np.ndarray, pixel_format: PixelFormatName, width: int, height: int
) -> np.ndarray:
    """Convert an H x W x 3 RGB image to the layout pyvirtualcam expects for ``pixel_format``.

    Returns (H, W, 3) for rgb, (H, W, 2) for yuyv, and a flat (H*W*3/2,) buffer for i420/nv12.
    The picture is scaled to ``width`` x ``height`` when it differs.
    """
    image = np.ascontiguousarray(image)
    same_size = image.shape[0] == height and image.shape[1] == width
    if pixel_format == "rgb":
        if same_size:
            return image
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(width=width, height=height)
        return frame.to_ndarray()
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(
        width=width, height=height, format=_SWS_FORMATS[pixel_format]
    )
    if pixel_format == "yuyv":
        return frame.to_ndarray().reshape(height, width, 2)
    return _planes_to_flat(frame, pixel_format, width, height)


def _planes_to_flat(frame: av.VideoFrame, pixel_format: str, width: int, height: int) -> np.ndarray:
    """Copy the planes of a 4:2:0 frame into one tight buffer (FFmpeg may pad its lines)."""
    out = np.empty(width * height * 3 // 2, np.uint8)
    y = np.frombuffer(frame.planes[0], np.uint8).reshape(height, frame.planes[0].line_size)[:, :width]
    out[: width * height].reshape(height, width)[:] = y
    if pixel_format == "i420":
        cw, ch = width // 2, height // 2
        for k, plane in enumerate(frame.planes[1:3]):
            data = np.frombuffer(plane, np.uint8).reshape(ch, plane.line_size)[:, :cw]
            offset = width * height + k * cw * ch
            out[offset : offset + cw * ch].reshape(ch, cw)[:] = data
    else:
        uv = frame.planes[1]
        data = np.frombuffer(uv, np.uint8).reshape(height // 2, uv.line_size)[:, :width]
        out[width * height :].reshape(height // 2, width)[:] = data
    return out


def _loopback_name(path: str) -> str | None:
    """The card label of a v4l2loopback device, or None when ``path`` is not one."""
    import fcntl  # POSIX only; this path is Linux only

    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        buf = bytearray(104)
        fcntl.ioctl(fd, _VIDIOC_QUERYCAP, buf)
    except OSError:
        return None
    finally:
        os.close(fd)
    driver, card = struct.unpack_from("16s32s", buf)
    if driver.split(b"\0", 1)[0] != b"v4l2 loopback":
        return None
    return card.split(b"\0", 1)[0].decode("utf-8", "replace")


def _video_nodes() -> list[str]:
    return sorted(glob.glob("/dev/video*"), key=lambda p: int("".join(c for c in p if c.isdigit()) or 0))


def probe_virtual_camera(device: str | None = None) -> tuple[bool, str]:
    """Is a virtual camera there?  (ok, one line for ``moodcam check``)."""
    if sys.platform.startswith("linux"):
        candidates = [device] if device else _video_nodes()
        for path in candidates:
            card = _loopback_name(path)
            if card is not None:
                return True, f"OK {path} (v4l2 loopback: {card})"
        if device:
            what = "does not exist" if not os.path.exists(device) else "is not a v4l2loopback device"
            return False, f"{device} {what}: {MODPROBE_HINT}"
        return False, f"no v4l2loopback device found: {MODPROBE_HINT}"
    try:
        import pyvirtualcam

        with pyvirtualcam.Camera(width=64, height=48, fps=30, device=device) as cam:
            name = cam.device
    except Exception as exc:
        hint = "install OBS Studio and start its Virtual Camera once"
        return False, f"virtual camera unavailable ({exc}); {hint}"
    return True, f"OK {name}"


class VirtualCameraSink(Sink):
    """Writes every Stage frame to a virtual camera in the profile's pixel format, ``delay_frames``
    ticks late when it must line up with a separately buffered audio device."""

    name = "virtual_camera"

    def __init__(
        self,
        width: int,
        height: int,
        fps: int,
        device: str | None = None,
        pixel_format: PixelFormatName = "rgb",
        backend: str | None = None,
        delay_frames: int = 0,
    ) -> None:
        if pixel_format not in ("rgb", "yuyv", "i420", "nv12"):
            raise ValueError(f"unknown pixel format {pixel_format!r}")
        if pixel_format != "rgb" and (width % 2 or height % 2):
            raise ValueError(f"{pixel_format} needs an even frame size, got {width}x{height}")
        self.width, self.height, self.fps = width, height, fps
        self.device, self.pixel_format, self.backend = device, pixel_format, backend
        self.frames_sent = 0
        self.delay_frames = max(0, delay_frames)
        self._held: collections.deque[np.ndarray] = collections.deque()
        self._cam: Any = None
        self._worker: EncoderThread | None = None

    @property
    def device_name(self) -> str | None:
        """The device actually opened (None while closed)."""
        return None if self._cam is None else self._cam.device

    def _open_blocking(self) -> Any:
        import pyvirtualcam

        fmt = getattr(pyvirtualcam.PixelFormat, self.pixel_format.upper())
        kwargs: dict[str, Any] = {"fmt": fmt, "device": self.device}
        if self.backend is not None:
            kwargs["backend"] = self.backend
        try:
            return pyvirtualcam.Camera(self.width, self.height, self.fps, **kwargs)
        except Exception as exc:
            where = self.device or "any /dev/video*"
            if sys.platform.startswith("linux"):
                hint = MODPROBE_HINT
            else:
                hint = "install OBS Studio (28+) and start its Virtual Camera once"
            raise VirtualCameraUnavailable(f"cannot open virtual camera ({where}): {exc}. {hint}") from exc

    async def open(self) -> None:
        self._worker = EncoderThread("vcam")
        try:
            self._cam = await self._worker.run(self._open_blocking)
        except BaseException:
            self._worker.shutdown()
            self._worker = None
            raise
        log.info("virtual camera open: %s (%s, %dx%d@%d)", self._cam.device, self.pixel_format,
                 self.width, self.height, self.fps)

    def _send(self, image: np.ndarray) -> None:
        self._cam.send(rgb_to_device_format(image, self.pixel_format, self.width, self.height))

    async def write(self, tick: MediaTick) -> None:
        if self._cam is None or self._worker is None:
            raise RuntimeError("virtual camera is not open")
        image = tick.video.image
        if self.delay_frames:
            # held back to line up with the audio device; until the delay is filled the oldest
            # frame repeats, so the device still gets one frame per tick
            self._held.append(image)
            image = self._held.popleft() if len(self._held) > self.delay_frames else self._held[0]
        await self._worker.run(self._send, image)
        self.frames_sent += 1

    async def close(self) -> None:
        cam, worker = self._cam, self._worker
        self._cam, self._worker = None, None
        if worker is None:
            return
        if cam is not None:
            try:
                await worker.run(cam.close)
            except Exception:
                log.exception("virtual camera failed to close")
        worker.shutdown()
