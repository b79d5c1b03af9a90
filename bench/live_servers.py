"""Private servers for the live benchmark: a PulseAudio with a null sink, and nginx-rtmp.

Both listen only on this machine (a unix socket, 127.0.0.1) and live in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")

NGINX_CONF = """
load_module {module};
user root;
worker_processes 1;
error_log {run}/error.log warn;
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout} s")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes], sig_timeout: float = 10.0) -> None:
    proc.terminate()
    try:
        proc.wait(sig_timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def pulse_null_sink(run: Path, sink: str) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon with one null sink; yields the environment its clients need."""
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("pulseaudio is not installed")
    run.mkdir(parents=True, exist_ok=True)
    run.chmod(0o700)
    sock = run / "pulse.sock"
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run), PULSE_RUNTIME_PATH=str(run / "rt"), HOME=str(run))
    proc = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit=yes",
         "--use-pid-file=no", f"--log-target=file:{run / 'pulse.log'}",
         f"--load=module-native-protocol-unix auth-anonymous=1 socket={sock}",
         f"--load=module-null-sink sink_name={sink} rate=48000 channels=2"],
        env=env,
    )
    env["PULSE_SERVER"] = f"unix:{sock}"
    try:
        wait_for(lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0,
                 10, "pulseaudio")
        yield {"PULSE_SERVER": env["PULSE_SERVER"], "XDG_RUNTIME_DIR": str(run)}
    finally:
        _stop(proc, 5)


@dataclass
class RTMPServer:
    run: Path
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/"

    def recordings(self) -> list[Path]:
        return sorted((self.run / "rec").glob("*.flv"), key=lambda p: p.stat().st_mtime)

    def stop(self) -> None:
        """Graceful stop: nginx finalises its recordings."""
        if self.proc.poll() is None:
            self.proc.send_signal(3)  # SIGQUIT
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                _stop(self.proc)


@contextlib.contextmanager
def nginx_rtmp(run: Path) -> Iterator[RTMPServer]:
    """nginx with the RTMP module on a free loopback port, recording every stream under ``run/rec``."""
    if shutil.which("nginx") is None or not RTMP_MODULE.exists():
        raise RuntimeError("nginx with libnginx-mod-rtmp is not installed")
    (run / "rec").mkdir(parents=True, exist_ok=True)
    port = free_port()
    (run / "nginx.conf").write_text(NGINX_CONF.format(module=RTMP_MODULE, run=run, port=port))
    proc = subprocess.Popen(["nginx", "-p", str(run), "-c", str(run / "nginx.conf"), "-g", "daemon off;"],
                            stderr=subprocess.DEVNULL)
    server = RTMPServer(run, port, proc)

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError("nginx exited")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(listening, 10, "nginx-rtmp")
        yield server
    finally:
        server.stop()
