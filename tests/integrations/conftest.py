"""Real servers for the output tests: a private PulseAudio with null sinks, nginx-rtmp, a FUSE camera.

Each server is a context manager (for fixtures of any scope) and a fixture of the usual scope.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import RTMP_MODULE, Nginx, Pulse, nginx_server, private_pulse, stop_process, use_pulse, wait_for

HERE = Path(__file__).parent / "outputs"


# --- PulseAudio -------------------------------------------------------------------------------------


def skip_without_pulse() -> None:
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed")


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulse]:
    """A private PulseAudio daemon with two null sinks: the default one and the one we target by name."""
    skip_without_pulse()
    with private_pulse(tmp_path_factory.mktemp("pulse")) as server, use_pulse(server):
        yield server


# --- nginx-rtmp -------------------------------------------------------------------------------------

def skip_without_nginx_rtmp() -> None:
    if shutil.which("nginx") is None or not RTMP_MODULE.exists():
        pytest.skip("nginx with libnginx-mod-rtmp is not installed")


@pytest.fixture
def nginx_rtmp(tmp_path: Path) -> Iterator[Nginx]:
    skip_without_nginx_rtmp()
    with nginx_server(tmp_path / "nginx") as server:
        yield server


# --- FUSE stand-in for a v4l2loopback device --------------------------------------------------------


@dataclass
class FuseCamera:
    device: str
    out: Path

    def format(self) -> dict:  # type: ignore[type-arg]
        return json.loads((self.out / "format.json").read_text())

    def raw(self) -> bytes:
        return (self.out / "frames.raw").read_bytes()


def skip_without_fuse() -> None:
    if not Path("/dev/fuse").exists() or shutil.which("fusermount") is None:
        pytest.skip("FUSE is not available")


@contextlib.contextmanager
def fuse_camera_device(root: Path) -> Iterator[FuseCamera]:
    """A FUSE file that answers pyvirtualcam's two ioctls like v4l2loopback and records what is written.

    This kernel has no v4l2loopback module, so the device is this stand-in; pyvirtualcam's real native
    backend still opens it, negotiates the format and writes frames exactly as it would to /dev/videoN.
    """
    mnt, out = root / "mnt", root / "out"
    mnt.mkdir(parents=True)
    out.mkdir()
    proc = subprocess.Popen([sys.executable, str(HERE / "fake_v4l2loopback.py"), str(mnt), str(out)])
    try:
        wait_for(lambda: (mnt / "video0").exists() or proc.poll() is not None, 10, "FUSE device")
        if proc.poll() is not None:
            pytest.skip("FUSE mount failed")
        yield FuseCamera(str(mnt / "video0"), out)
    finally:
        subprocess.run(["fusermount", "-u", str(mnt)], capture_output=True)  # the stand-in exits on unmount
        stop_process(proc, terminate=False)


@pytest.fixture
def fuse_camera(tmp_path: Path) -> Iterator[FuseCamera]:
    skip_without_fuse()
    with fuse_camera_device(tmp_path) as camera:
        yield camera
