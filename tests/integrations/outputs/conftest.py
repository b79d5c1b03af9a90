"""Real servers for the sink tests: a private PulseAudio with null sinks, nginx-rtmp, a FUSE camera."""

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

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulse]:
    """A private PulseAudio daemon with two null sinks: the default one and the one we target by name."""
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed")
    run = tmp_path_factory.mktemp("pulse")
    run.chmod(0o700)
    sock = run / "pulse.sock"
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run), PULSE_RUNTIME_PATH=str(run / "rt"), HOME=str(run))
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit=yes",
         "--use-pid-file=no", f"--log-target=file:{run / 'pulse.log'}",
         f"--load=module-native-protocol-unix auth-anonymous=1 socket={sock}",
         "--load=module-null-sink sink_name=other_sink rate=48000 channels=2",
         "--load=module-null-sink sink_name=moodcam_voice rate=48000 channels=2"],
        env=env,
    )
    env["PULSE_SERVER"] = f"unix:{sock}"

    def up() -> bool:
        return subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0

    try:
        wait_for(up, 10, "pulseaudio")
        subprocess.run(["pactl", "set-default-sink", "other_sink"], env=env, check=True)
        saved = {k: os.environ.get(k) for k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
        os.environ["PULSE_SERVER"] = env["PULSE_SERVER"]
        os.environ["XDG_RUNTIME_DIR"] = str(run)
        yield Pulse(env["PULSE_SERVER"], env)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


@pytest.fixture
def nginx_rtmp(tmp_path: Path) -> Iterator[Nginx]:
    if shutil.which("nginx") is None or not Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists():
        pytest.skip("nginx with libnginx-mod-rtmp is not installed")
    run = tmp_path / "nginx"
    (run / "rec").mkdir(parents=True)
    port = free_port()
    (run / "nginx.conf").write_text(NGINX_CONF.format(run=run, port=port))
    server = Nginx(run, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture
def fuse_camera(tmp_path: Path) -> Iterator[FuseCamera]:
    """A FUSE file that answers pyvirtualcam's two ioctls like v4l2loopback and records what is written.

    This kernel has no v4l2loopback module, so the device is this stand-in; pyvirtualcam's real native
    backend still opens it, negotiates the format and writes frames exactly as it would to /dev/videoN.
    """
    if not Path("/dev/fuse").exists() or shutil.which("fusermount") is None:
        pytest.skip("FUSE is not available")
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
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
