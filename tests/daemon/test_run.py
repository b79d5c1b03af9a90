"""`moodcam run`: starts streaming, stops within 2 s on SIGINT/SIGTERM with the mp4 finalised."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import httpx
import pytest

from daemon.cli import PROFILES_DIR
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]




def profile(tmp_path: Path, port: int) -> Path:
    shutil.copy(PROFILES_DIR / "assets" / "astronaut.png", tmp_path / "face.png")
    path = tmp_path / "run.toml"
    path.write_text(
        f"""
[face]
portrait = "face.png"
width = 256
height = 256
[outputs.file]
enabled = true
path = "{tmp_path / 'rec.mp4'}"
[outputs.virtual_camera]
enabled = "off"
[outputs.audio_device]
enabled = "off"
[api]
port = {port}
"""
    )
    return path


def wait_healthy(port: int, proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).json().get("ok"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("daemon did not become healthy")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_within_2s_and_finalises_mp4(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon.cli", "--log-json", "run", str(profile(tmp_path, port))],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_healthy(port, proc)
        snapshot = httpx.get(f"http://127.0.0.1:{port}/api/snapshot.jpg", timeout=5)
        assert snapshot.status_code == 200 and snapshot.content[:2] == b"\xff\xd8"
        time.sleep(1.5)
        sent = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 0, stderr
    assert took < 2.0, took
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert records and all({"ts", "level", "logger", "msg"} <= r.keys() for r in records)
    stopped = [r for r in records if r["msg"].startswith("stopped after")]
    frames = int(stopped[0]["msg"].split()[2])
    with av.open(str(tmp_path / "rec.mp4")) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        assert container.streams.audio[0].codec_context.name == "aac"
    assert decoded >= frames - 2 and decoded > 30  # plays to the end: the index was written


def test_run_with_unavailable_component_exits_1(tmp_path: Path) -> None:
    path = profile(tmp_path, free_port())
    path.write_text(path.read_text() + "[voice]\nengine = 'openai'\nurl = 'http://127.0.0.1:9/'\n")
    result = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "run", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "voice" in result.stderr and "unreachable" in result.stderr
