"""A real OBS Studio (Debian obs-studio with its bundled obs-websocket 5.1) under a private Xvfb.

OBS gets its own HOME (so its settings and scene collection are the test's), a free port and a
password.  obs-websocket 5.1 reads its settings from ``global.ini``'s ``[OBSWebSocket]`` section;
the ``--websocket_*`` flags alone leave the server off.  The fixture can kill and restart OBS on
the same HOME and port, which is what the reconnect test needs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.net import free_port
from tests.servers import stop_process

PASSWORD = "moodcam-test-pass"


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


class Xvfb:
    """A private X server on a display number it picks itself (``-displayfd``)."""

    def __init__(self, log: Path) -> None:
        read, write = os.pipe()
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp", "+extension", "GLX"],
            pass_fds=(write,), stdout=self._log, stderr=subprocess.STDOUT,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            raise RuntimeError(f"Xvfb did not start: {log.read_text(errors='replace')[-500:]}")
        self.display = f":{number}"

    def stop(self) -> None:
        stop_process(self.proc)
        self._log.close()


class OBSServer:
    """OBS Studio with obs-websocket on ``port``; ``kill`` and ``start`` reuse the same HOME."""

    def __init__(self, root: Path, display: str) -> None:
        self.root = root
        self.home = root / "home"
        self.port = free_port()
        self.password = PASSWORD
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        config = self.home / ".config" / "obs-studio"
        config.mkdir(parents=True)
        (config / "global.ini").write_text(
            "[General]\nFirstRun=true\nLastVersion=486670338\nEnableAutoUpdates=false\n"
            "[BasicWindow]\nSysTrayEnabled=false\n"
            "[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\n"
            f"ServerPort={self.port}\nAlertsEnabled=false\nAuthRequired=true\nServerPassword={self.password}\n"
        )
        runtime = root / "xdg"
        runtime.mkdir(mode=0o700)
        # importing cv2 (opencv-contrib, pulled in by mediapipe) points Qt at its own plugins in
        # this process's environment; OBS must load the system Qt plugins instead
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "QML"))}
        self.env = {
            **inherited,
            "HOME": str(self.home),
            "DISPLAY": display,
            "LIBGL_ALWAYS_SOFTWARE": "1",
            "XDG_RUNTIME_DIR": str(runtime),
            "QT_QPA_PLATFORM": "xcb",
        }

    def start(self, timeout: float = 45.0) -> float:
        """Start OBS and wait until the websocket accepts connections; returns the seconds it took."""
        assert self.proc is None or self.proc.poll() is not None, "OBS is already running"
        self.starts += 1
        log = open(self.root / f"obs-{self.starts}.log", "wb")  # noqa: SIM115 - the child keeps it
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["obs", "--multi", "--disable-missing-files-check"],
            env=self.env, cwd=self.home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        while not port_open(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"OBS exited with {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() - t0 > timeout:
                self.kill()
                raise RuntimeError(f"OBS websocket not up within {timeout} s: {self.log_tail()}")
            time.sleep(0.1)
        return time.monotonic() - t0

    def kill(self) -> None:
        """Crash OBS (SIGKILL, like a power cut for the program) and wait until the port is closed."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        deadline = time.monotonic() + 5
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def freeze(self) -> None:
        """SIGSTOP OBS and wait until every thread has really stopped (kill returns before that)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            states = []
            for stat in Path(f"/proc/{self.proc.pid}/task").glob("*/stat"):
                with contextlib.suppress(OSError):
                    states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            if states and all(state in ("T", "t") for state in states):
                return
            time.sleep(0.01)
        raise RuntimeError("OBS did not stop")

    def thaw(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(8)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        path = self.root / f"obs-{self.starts}.log"
        return path.read_text(errors="replace")[-1500:] if path.exists() else ""


@pytest.fixture(scope="session")
def obs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OBSServer]:
    """One OBS for the whole session (it takes 1-3 s to start here)."""
    for tool in ("obs", "Xvfb"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    root = tmp_path_factory.mktemp("obs")
    xvfb = Xvfb(root / "xvfb.log")
    server = OBSServer(root, xvfb.display)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        xvfb.stop()
