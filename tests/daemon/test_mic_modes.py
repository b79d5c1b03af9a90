"""The host's microphone in the running daemon: barge-in stops the avatar, mirror mode repeats the
host in the avatar's voice.  Real audio path: the project's TTS plays the host into a private
PulseAudio null sink whose monitor is the daemon's microphone."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import websockets

from daemon.cli import PROFILES_DIR
from tests.integrations.conftest import skip_without_pulse
from tests.net import free_port
from tests.servers import private_pulse, use_pulse

ROOT = Path(__file__).resolve().parents[2]
HOST_LINE = "Good morning everyone, thanks for joining the stream today."

PROFILE = """
[persona]
greeting = ""
[face]
portrait = "face.png"
width = 160
height = 160
[inputs.mic]
enabled = true
device = "pulse"
mode = "mirror"
barge_in = true
[outputs.virtual_camera]
enabled = "off"
[outputs.audio_device]
enabled = "off"
[outputs.webrtc]
enabled = false
[api]
port = {port}
"""


def host_speech() -> tuple[np.ndarray, int]:
    """The host, voiced by the project's own TTS."""
    from pipeline.voice.piper_engine import PiperEngine

    with PiperEngine("embedded") as engine:
        parts = list(engine.stream(HOST_LINE))
    return np.concatenate([p.audio for p in parts]), parts[0].sample_rate


def play(audio: np.ndarray, rate: int) -> None:
    import sounddevice as sd

    from pipeline.voice.resample import resample

    x = resample(audio, rate, 48000)
    sd.play(np.stack([x, x], axis=1), 48000, device="pulse", blocking=True)


async def wait_events(ws: websockets.ClientConnection, want: str, seconds: float) -> list[dict]:
    seen: list[dict] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            event = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        except TimeoutError:
            break
        seen.append(event)
        if event["kind"] == want:
            return seen
    raise AssertionError(f"no {want} event; saw {[e['kind'] for e in seen]}")


async def test_barge_in_and_mirror_mode(tmp_path: Path) -> None:
    skip_without_pulse()
    audio, rate = host_speech()
    shutil.copy(PROFILES_DIR / "assets" / "astronaut.png", tmp_path / "face.png")
    port = free_port()
    profile = tmp_path / "mic.toml"
    profile.write_text(PROFILE.format(port=port))
    run = tmp_path / "pulse"
    run.mkdir()
    with private_pulse(run, sinks=("room",)) as pulse, use_pulse(pulse):
        subprocess.run(["pactl", "set-default-source", "room.monitor"], env=pulse.env, check=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "run", str(profile)],
            cwd=ROOT, env={**pulse.env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "daemon.log").open("w"),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "daemon did not start"
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
            async with websockets.connect(f"ws://127.0.0.1:{port}/api/events") as ws:
                # wait for the microphone to be listening
                while (httpx.get(f"{base}/api/status").json()["intake"] or {}).get("mic") is None:
                    await asyncio.sleep(0.3)
                long_line = "Let me tell you all about our new collection, it has so many lovely colours. " * 3
                httpx.post(f"{base}/api/say", json={"text": long_line, "emotion": "happy"})
                await wait_events(ws, "speech.start", 30)
                player = asyncio.create_task(asyncio.to_thread(play, audio, rate))
                events = await wait_events(ws, "speech.interrupted", 20)
                assert any(e["kind"] == "speech.interrupted" and e["reason"] == "barge-in" for e in events)
                # mirror mode: the host's words come back in the avatar's voice
                events = await wait_events(ws, "transcript", 30)
                transcript = [e for e in events if e["kind"] == "transcript"][-1]["text"].lower()
                assert "morning" in transcript and "stream" in transcript, transcript
                events = await wait_events(ws, "speech.start", 30)
                said = [e for e in events if e["kind"] == "speech.start"][-1]["text"].lower()
                assert "morning" in said, said
                await player
        finally:
            proc.terminate()
            proc.wait(10)
    log = (tmp_path / "daemon.log").read_text()
    assert "Traceback" not in log, log[-3000:]
