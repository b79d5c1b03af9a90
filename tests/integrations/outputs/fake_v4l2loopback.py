"""A userspace stand-in for a v4l2loopback output device, served over FUSE (test use only).

This kernel cannot load v4l2loopback, so tests mount this instead: MOUNT/video0 answers the ioctls
pyvirtualcam's native v4l2loopback backend makes (VIDIOC_QUERYCAP reporting driver
``v4l2 loopback``, VIDIOC_S_FMT / G_FMT for an output buffer) and appends every byte written to
OUTDIR/frames.raw; the negotiated format goes to OUTDIR/format.json.  FUSE forwards these ioctls
because their numbers encode size and direction.

Usage: python fake_v4l2loopback.py MOUNTPOINT OUTDIR   (runs in the foreground; fusermount -u to stop)
"""

from __future__ import annotations

import ctypes
import errno
import json
import stat
import struct
import sys
import threading
import time
from pathlib import Path

from fuse import FUSE, FuseOSError, Operations


def _ioc(direction: int, kind: str, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord(kind) << 8) | nr


VIDIOC_QUERYCAP = _ioc(2, "V", 0, 104)
VIDIOC_G_FMT = _ioc(3, "V", 4, 208)
VIDIOC_S_FMT = _ioc(3, "V", 5, 208)
CAP_VIDEO_OUTPUT, CAP_STREAMING, CAP_DEVICE_CAPS = 0x2, 0x4000000, 0x80000000
BUF_TYPE_VIDEO_OUTPUT = 2
FRAME_BYTES = {"YU12": 3 / 2, "NV12": 3 / 2, "YUYV": 2, "UYVY": 2, "RGB3": 3, "BGR3": 3, "GREY": 1}


class FakeLoopback(Operations):  # type: ignore[misc]
    use_ns = True

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        self.guard = threading.Lock()
        self.fmt: dict[str, object] | None = None
        self.out = open(outdir / "frames.raw", "wb", buffering=0)  # noqa: SIM115 - lives as long as the mount
        self.now = time.time_ns()

    def getattr(self, path: str, fh: int | None = None) -> dict[str, int]:
        t = self.now
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2, "st_atime": t, "st_mtime": t, "st_ctime": t}
        if path == "/video0":
            return {"st_mode": stat.S_IFREG | 0o666, "st_nlink": 1, "st_size": 0,
                    "st_atime": t, "st_mtime": t, "st_ctime": t}
        raise FuseOSError(errno.ENOENT)

    def readdir(self, path: str, fh: int) -> list[str]:
        return [".", "..", "video0"]

    def open(self, path: str, flags: int) -> int:
        if path != "/video0":
            raise FuseOSError(errno.ENOENT)
        return 0

    def truncate(self, path: str, length: int, fh: int | None = None) -> int:
        return 0

    def ioctl(self, path: str, cmd: int, arg: int, fh: int, flags: int, data: int) -> int:
        cmd &= 0xFFFFFFFF
        if cmd == VIDIOC_QUERYCAP:
            caps = CAP_VIDEO_OUTPUT | CAP_STREAMING
            blob = struct.pack("16s32s32sIII12x", b"v4l2 loopback", b"moodcam test loopback",
                               b"platform:v4l2loopback-000", 0x000C07, caps | CAP_DEVICE_CAPS, caps)
            ctypes.memmove(data, blob, len(blob))
            return 0
        if cmd in (VIDIOC_S_FMT, VIDIOC_G_FMT):
            raw = bytearray(ctypes.string_at(data, 208))
            if cmd == VIDIOC_S_FMT:
                (kind,) = struct.unpack_from("I", raw, 0)
                if kind != BUF_TYPE_VIDEO_OUTPUT:
                    raise FuseOSError(errno.EINVAL)
                width, height, pixfmt = struct.unpack_from("III", raw, 8)
                fourcc = struct.pack("I", pixfmt).decode("ascii", "replace")
                size = int(width * height * FRAME_BYTES.get(fourcc, 3 / 2))
                with self.guard:
                    self.fmt = {"width": width, "height": height, "fourcc": fourcc, "sizeimage": size}
                    (self.outdir / "format.json").write_text(json.dumps(self.fmt))
            if self.fmt:
                fourcc_code = struct.unpack("I", str(self.fmt["fourcc"]).encode())[0]
                struct.pack_into("III", raw, 8, self.fmt["width"], self.fmt["height"], fourcc_code)
                struct.pack_into("I", raw, 28, self.fmt["sizeimage"])
            ctypes.memmove(data, bytes(raw), 208)
            return 0
        raise FuseOSError(errno.ENOTTY)

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        with self.guard:
            self.out.write(data)
        return len(data)

    def release(self, path: str, fh: int) -> int:
        return 0

    def flush(self, path: str, fh: int) -> int:
        return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        return 0


if __name__ == "__main__":
    mount, outdir = Path(sys.argv[1]), Path(sys.argv[2])
    FUSE(FakeLoopback(outdir), str(mount), foreground=True, nothreads=True, direct_io=True,
         big_writes=True, max_write=1 << 20)
