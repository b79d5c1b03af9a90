"""Real servers for the output tests: a private PulseAudio with null sinks, nginx-rtmp, a FUSE camera.

Each server is a context manager (for fixtures of any scope) and a fixture of the usual scope.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.net import free_port

HERE = Path(__file__).parent / "outputs"


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout} s")
        time.sleep(0.05)


# --- PulseAudio -------------------------------------------------------------------------------------


@dataclass
class Pulse:
    server: str
    env: dict[str, str]

    def record(self, source: str, path: Path) -> subprocess.Popen[bytes]:
        """parec the monitor into a file (an unread pipe would fill up and lose audio)."""
        out = open(path, "wb")  # noqa: SIM115 - handed to the child, closed by the caller via stop()
        proc = subprocess.Popen(
            ["parec", "-d", source, "--format=float32le", "--rate=48000", "--channels=2",
             "--latency-msec=20", "--raw"],
            stdout=out, env=self.env,
        )
        out.close()
        return proc


@contextlib.contextmanager
def private_pulse(run: Path, sinks: tuple[str, ...] = ("other_sink", "moodcam_voice")) -> Iterator[Pulse]:
    """A private PulseAudio daemon in ``run`` with null sinks (the first is the default one).

    The process environment is left alone: clients need ``Pulse.env`` (or ``use_pulse``).
    """
    run.chmod(0o700)
    sock = run / "pulse.sock"
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run), PULSE_RUNTIME_PATH=str(run / "rt"), HOME=str(run))
    loads = [f"--load=module-null-sink sink_name={name} rate=48000 channels=2" for name in sinks]
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit=yes",
         "--use-pid-file=no", f"--log-target=file:{run / 'pulse.log'}",
         f"--load=module-native-protocol-unix auth-anonymous=1 socket={sock}", *loads],
        env=env,
    )
    env["PULSE_SERVER"] = f"unix:{sock}"

    def up() -> bool:
        return subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0

    try:
        wait_for(up, 10, "pulseaudio")
        subprocess.run(["pactl", "set-default-sink", sinks[0]], env=env, check=True)
        yield Pulse(env["PULSE_SERVER"], env)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def use_pulse(server: Pulse) -> Iterator[None]:
    """Point this process's PulseAudio clients (PortAudio's ``pulse`` device, pactl) at ``server``."""
    keys = ("PULSE_SERVER", "XDG_RUNTIME_DIR")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["PULSE_SERVER"] = server.env["PULSE_SERVER"]
    os.environ["XDG_RUNTIME_DIR"] = server.env["XDG_RUNTIME_DIR"]
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


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

NGINX_CONF = """
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
user root;
worker_processes 1;
error_log {run}/error.log info;
pid {run}/nginx.pid;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{port};
        chunk_size 4096;
        application live {{
            live on;
            record all;
            record_path {run}/rec;
            record_unique on;
            allow publish 127.0.0.1; deny publish all;
            allow play 127.0.0.1; deny play all;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    run: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/"

    @property
    def recordings(self) -> list[Path]:
        return sorted((self.run / "rec").glob("*.flv"), key=lambda p: p.stat().st_mtime)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.run), "-c", str(self.run / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.DEVNULL,
        )

        def listening() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "nginx exited"
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(listening, 10, "nginx-rtmp")

    def kill(self) -> None:
        """Take the server down hard (master and worker), like a crashed ingest."""
        if self.proc is None:
            return
        pid_file = self.run / "nginx.pid"
        workers = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        self.proc.send_signal(signal.SIGKILL)
        for w in workers.split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(w), signal.SIGKILL)
        self.proc.wait()
        pid_file.unlink(missing_ok=True)
        self.proc = None

    def _signal_all(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        workers = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        for pid in [self.proc.pid, *map(int, workers.split())]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def pause(self) -> None:
        """Freeze the server: connections stay open but nothing is read (a stalled network)."""
        self._signal_all(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal_all(signal.SIGCONT)

    def stop(self) -> None:
        """Graceful stop: nginx finalises its recordings."""
        if self.proc is None:
            return
        self.resume()
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None


def skip_without_nginx_rtmp() -> None:
    if shutil.which("nginx") is None or not Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists():
        pytest.skip("nginx with libnginx-mod-rtmp is not installed")


@contextlib.contextmanager
def nginx_server(run: Path) -> Iterator[Nginx]:
    """nginx-rtmp on a free loopback port, recording every stream under ``run/rec``."""
    (run / "rec").mkdir(parents=True)
    port = free_port()
    (run / "nginx.conf").write_text(NGINX_CONF.format(run=run, port=port))
    server = Nginx(run, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nginx_rtmp(tmp_path: Path) -> Iterator[Nginx]:
    skip_without_nginx_rtmp()
    with nginx_server(tmp_path / "nginx") as server:
        yield server


def ffprobe(path: Path | str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_name,codec_type,width,height,avg_frame_rate,r_frame_rate,sample_rate,channels,"
         "nb_read_frames:format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    return json.loads(out)


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
        subprocess.run(["fusermount", "-u", str(mnt)], capture_output=True)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def fuse_camera(tmp_path: Path) -> Iterator[FuseCamera]:
    skip_without_fuse()
    with fuse_camera_device(tmp_path) as camera:
        yield camera
