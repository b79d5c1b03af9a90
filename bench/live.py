"""Live benchmark: the real daemon with its outputs on, asked chat questions, measured at the sinks.

``moodcam run`` starts as a subprocess with a temporary profile: the mp4 file, an RTMP push into
a private nginx-rtmp, WebRTC, and the audio device on a private PulseAudio null sink.  The
virtual camera stays off: this kernel has no v4l2loopback and the only stand-in is a FUSE mount
that needs root; the camera is covered by ``tests/integrations/test_av_sync.py``.  This process is
a WHEP viewer (aiortc, loopback only) and listens to ``/api/events``.

Questions go to ``POST /api/chat``.  A question's latency ends when the first frame of its answer
reaches the viewer: the Stage publishes ``speech.start`` as it sends that frame out, and the
frame is the first whose packets arrive after it.  The breakdown: inbox (post to ``turn``),
brain first sentence and voice first audio (the daemon's own histograms, read from
``/api/status`` before and after), face (``reply`` to ``speech.start``: the Stage's planning lead)
and sink (``speech.start`` to the viewer).  Every fourth answer is interrupted while its voice is
sounding; ``interrupt_audio_ms`` is from the request to the last sound reaching the viewer.  Lip
sync is measured over the whole run in the mp4, the RTMP recording and at the viewer
(``live_analysis``); memory and CPU are the daemon process's, after one warm-up question.

Prints one JSON object.  ``--quick`` takes under a minute; the default run streams 10 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aioice.ice
import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import live_analysis as la  # noqa: E402
from live_client import Answer, Bench, growth_by_mapping, metric, questions, smaps  # noqa: E402

from pipeline.blendshapes import zeros  # noqa: E402
from pipeline.face.animator import PortraitAnimator  # noqa: E402
from pipeline.face.performer import VISUAL_LEAD_S  # noqa: E402
from tests.integrations import avsync  # noqa: E402
from tests.net import free_port  # noqa: E402
from tests.servers import nginx_server, portrait_in, private_pulse, stop_process  # noqa: E402

SINK = "moodcam_bench"
SIZE = 512
KEY_ENV = "MOODCAM_BENCH_KEY"
PROFILE = """
[persona]
name = "Mia"
greeting = ""
[face]
portrait = "face.png"
width = {size}
height = {size}
[brain]
cache_seconds = 0
[outputs]
fps = 30
[outputs.file]
enabled = true
path = "{rec}"
[outputs.rtmp]
enabled = true
url = "{rtmp}"
key_env = "{key_env}"
[outputs.webrtc]
enabled = true
[outputs.audio_device]
enabled = "on"
device = "{sink}"
[outputs.virtual_camera]
enabled = "off"
[api]
port = {port}
"""


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _timings(answers: list[Answer]) -> dict[str, Any]:
    done = [a for a in answers if a.first_frame is not None and a.start is not None]
    total = [1000 * (a.first_frame - a.posted) for a in done]  # type: ignore[operator]
    parts: dict[str, list[float]] = {"inbox": [], "brain_first_sentence": [], "voice_first_audio": [],
                                     "face": [], "sink": []}
    for a in done:
        if a.turn is not None:
            parts["inbox"].append(1000 * (a.turn - a.posted))
        for name in ("brain_first_sentence", "voice_first_audio"):
            if name in a.stages:
                parts[name].append(a.stages[name])
        if a.reply is not None:
            parts["face"].append(1000 * (a.start - a.reply))  # type: ignore[operator]
        parts["sink"].append(1000 * (a.first_frame - a.start))  # type: ignore[operator]
    return {
        "questions": len(answers),
        "answered": len(done),
        "chat_to_first_frame_ms_p50": _pct(total, 50),
        "chat_to_first_frame_ms_p95": _pct(total, 95),
        "breakdown_ms_p50": {k: _pct(v, 50) for k, v in parts.items()},
        "breakdown_ms_p95": {k: _pct(v, 95) for k, v in parts.items()},
    }


def _sync(track: la.Track) -> dict[str, Any]:
    s = la.summary(track.offsets())
    if s["median_ms"] is not None:
        s["net_median_ms"] = round(float(s["median_ms"]) + 1000 * VISUAL_LEAD_S, 1)
    return s


async def measure(seconds: float, quick: bool, keep: bool = False) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="moodcam-live-"))
    try:
        portrait_in(work, "face.png")
        with private_pulse(work / "pulse", (SINK,)) as pulse, nginx_server(work / "nginx") as rtmp:
            pulse_env = {"PULSE_SERVER": pulse.server, "XDG_RUNTIME_DIR": pulse.env["XDG_RUNTIME_DIR"]}
            result, box = await _run(work, pulse_env, rtmp.url, seconds, quick)
            rtmp.stop()  # nginx finalises its recordings
            recordings = rtmp.recordings
        result["av_offset_ms"]["file"] = _sync(la.read_container(work / "rec.mp4", box))
        if recordings:
            result["av_offset_ms"]["rtmp"] = _sync(la.read_container(recordings[-1], box))
        return result
    finally:
        if keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


async def _run(
    work: Path, pulse_env: dict[str, str], rtmp_url: str, seconds: float, quick: bool
) -> tuple[dict[str, Any], tuple[slice, slice]]:
    """Start the daemon, ask questions for ``seconds``, stop it; the figures and the face's mouth box."""
    port = free_port()
    profile = work / "live.toml"
    profile.write_text(PROFILE.format(size=SIZE, rec=work / "rec.mp4", rtmp=rtmp_url, key_env=KEY_ENV, sink=SINK,
                                      port=port))
    moodcam = Path(sys.executable).with_name("moodcam")
    command = [str(moodcam), "run", str(profile)] if moodcam.exists() else [sys.executable, "-m", "daemon.cli",
                                                                            "run", str(profile)]
    env = {**os.environ, **pulse_env, KEY_ENV: "bench", "PYTHONUNBUFFERED": "1"}
    log = (work / "daemon.log").open("w")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    animator = await asyncio.to_thread(PortraitAnimator.load, work / "face.png", (SIZE, SIZE))
    box = avsync.mouth_box(animator.render(zeros()), animator.render(avsync.open_mouth_weights(0.66)))
    # every ICE candidate of this viewer on loopback: the traffic stays on this machine
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            started = time.monotonic()
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the daemon exited: {(work / 'daemon.log').read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/api/health")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            startup_s = time.monotonic() - started
            bench = Bench(http, psutil.Process(proc.pid))
            await bench.events.start(port)
            meter = la.MouthMeter((box[0], box[1]))
            bench.viewer = await avsync.Viewer.connect(http, keep_video=meter, keep_audio=la.loudness_of_frame)
            await asyncio.sleep(2.5)  # idle frames: the viewer learns the face at rest
            asked = questions()
            await bench.ask(asked.pop(), "warmup", interrupt=quick)  # loads and warms every model
            metrics0 = (await bench.get("/metrics")).text
            status0 = (await bench.get("/api/status")).json()
            cpu0, t0 = bench.daemon.cpu_times(), time.monotonic()
            maps0 = smaps(proc.pid)
            sampler = asyncio.create_task(bench.sample())
            n = 0
            while time.monotonic() - t0 < seconds and asked:
                n += 1
                interrupt = n % (2 if quick else 4) == 0
                bench.answers.append(await bench.ask(asked.pop(), f"viewer{n}", interrupt=interrupt))
                await asyncio.sleep(1.0)
            cpu1, t1 = bench.daemon.cpu_times(), time.monotonic()
            maps1 = smaps(proc.pid)
            sampler.cancel()
            metrics1 = (await bench.get("/metrics")).text
            status1 = (await bench.get("/api/status")).json()
            arrivals = bench.frame_arrivals()
            window = arrivals[(arrivals >= t0) & (arrivals <= t1)]
            await bench.viewer.close(http)
            bench.events.stop()
    finally:
        stop_process(proc, 20)
        log.close()
    dropped0 = metric(metrics0, "moodcam_frames_dropped_total")
    dropped1 = metric(metrics1, "moodcam_frames_dropped_total")
    dropped = {re.sub(r'.*sink="([^"]+)".*', r"\1", k): int(v - dropped0.get(k, 0.0)) for k, v in dropped1.items()}
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    interrupts = [a.interrupt_ms for a in bench.answers if a.interrupt_ms is not None]
    late_at = [[round(t - t0), n] for t, n in bench.late][:20]
    rss = bench.rss or [0.0]
    # RSS swings by tens of MB around each answer (buffers of one sentence come and go), so growth
    # compares the medians of the first and the last tenth of the run, not two single samples
    tenth = max(3, len(rss) // 10)
    head, tail = float(np.median(rss[:tenth])), float(np.median(rss[-tenth:]))
    result: dict[str, Any] = {
        "cores": os.cpu_count(),
        "seconds": round(t1 - t0, 1),
        "startup_s": round(startup_s, 1),
        "endpoint": "/api/chat",
        **_timings(bench.answers),
        "frames_dropped": sum(dropped.values()),
        "frames_dropped_by_sink": dropped,
        "late_frames": status1["late_frames"] - status0["late_frames"],
        "late_frames_at_s": late_at,
        "interval_p99_ms": round(float(np.percentile(np.diff(window) * 1000, 99)), 1) if window.size > 2 else None,
        "av_offset_ms": {"webrtc": {**_sync(la.webrtc_track(bench.viewer, meter)),
                                    "rtp_clock_drift_ms": la.webrtc_clock_drift(bench.viewer)}},
        "interrupt_audio_ms": _pct(interrupts, 50),
        "interrupt_audio_ms_max": round(max(interrupts), 1) if interrupts else None,
        "rss_mb": round(tail, 1),
        "rss_growth_mb": round(tail - head, 1),
        "rss_growth_mb_first_to_last_sample": round(rss[-1] - rss[0], 1),
        "rss_growth_where_mb": growth_by_mapping(maps0, maps1),
        "rss_mb_per_min_second_half": _slope_per_min(rss[len(rss) // 2 :], 2.0),
        "rss_mb_by_quarter": [round(float(np.median(q)), 1) for q in np.array_split(np.array(rss), 4) if q.size],
        "cpu_percent": round(100 * cpu / (t1 - t0), 1),
        "frame_size": f"{SIZE}x{SIZE}",
        "sinks": sorted(status1["sinks"]),
    }
    return result, box


def _slope_per_min(samples: list[float], every_s: float) -> float | None:
    """Trend of evenly spaced samples, per minute (a leak keeps climbing; warm-up levels off)."""
    if len(samples) < 5:
        return None
    return round(float(np.polyfit(np.arange(len(samples)) * every_s / 60.0, samples, 1)[0]), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few questions, under a minute in all")
    parser.add_argument("--seconds", type=float, help="how long to keep asking (default 600; --quick 20)")
    parser.add_argument("--keep", action="store_true", help="keep the recordings and the daemon's log")
    args = parser.parse_args()
    seconds = args.seconds or (20.0 if args.quick else 600.0)
    print(json.dumps(asyncio.run(measure(seconds, args.quick, args.keep))))


if __name__ == "__main__":
    main()
