"""Real servers for tests and benchmarks, as plain context managers: a private PulseAudio with null
sinks and nginx-rtmp, both reachable only from this machine (a unix socket, 127.0.0.1).

The pytest fixtures around them live in ``tests/integrations/conftest.py``; ``bench/live.py`` uses
them directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.face.portrait import CACHE_SUFFIX
from tests.net import free_port

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
PORTRAIT = Path(__file__).resolve().parents[1] / "profiles" / "assets" / "astronaut.png"


def stop_process(proc: subprocess.Popen[bytes], grace: float = 5.0, terminate: bool = True) -> None:
    """Ask a child to end (SIGTERM, unless ``terminate`` is off because it was told some other way)
    and kill it if it has not after ``grace`` seconds."""
    if terminate and proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def portrait_in(folder: Path, name: str = PORTRAIT.name) -> Path:
    """The default portrait copied into ``folder`` as ``name``, with its prepared-face cache when one
    exists, so a run in a temporary folder does not prepare the face again."""
    photo = folder / name
    shutil.copy(PORTRAIT, photo)
    cache = PORTRAIT.with_name(PORTRAIT.name + CACHE_SUFFIX)
    if cache.exists():
        shutil.copy(cache, photo.with_name(photo.name + CACHE_SUFFIX))
    return photo


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
    run.mkdir(parents=True, exist_ok=True)
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
        stop_process(proc)


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


# --- nginx-rtmp -------------------------------------------------------------------------------------

NGINX_CONF = """
load_module {module};
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


@contextlib.contextmanager
def nginx_server(run: Path) -> Iterator[Nginx]:
    """nginx-rtmp on a free loopback port, recording every stream under ``run/rec``."""
    (run / "rec").mkdir(parents=True)
    port = free_port()
    (run / "nginx.conf").write_text(NGINX_CONF.format(module=RTMP_MODULE, run=run, port=port))
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
