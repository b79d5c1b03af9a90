"""Stage clock benchmark: does it emit exactly fps frames a second, evenly, and cheaply when idle?

Prints one JSON object.  ``--quick`` runs 10 s; the default 60 s.  The Stage drives the still
portrait with a preview sink and a null sink, as the daemon does before anything is said.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from daemon.cli import PROFILES_DIR
from daemon.stage import Stage
from integrations.outputs.base import Sink, SinkRunner
from integrations.outputs.preview import PreviewSink
from pipeline.face.still import RestPerformer, StillAnimator
from pipeline.frames import MediaTick


class NullSink(Sink):
    name = "null"

    async def write(self, tick: MediaTick) -> None:
        return None


async def measure(seconds: float, fps: int, size: int) -> dict[str, object]:
    stage = Stage(StillAnimator(PROFILES_DIR / "assets" / "astronaut.png", (size, size)), RestPerformer(), fps=fps)
    stage.add_sink(SinkRunner(PreviewSink()))
    stage.add_sink(SinkRunner(NullSink()))
    proc = psutil.Process()
    stop = asyncio.Event()
    task = asyncio.create_task(stage.run(stop))
    await stage.running.wait()
    await asyncio.sleep(0.5)  # settle
    frames0, cpu0, wall0 = stage.stats.frames, proc.cpu_times(), time.monotonic()
    stage.stats.intervals_ms.clear()
    await asyncio.sleep(seconds)
    frames1, cpu1, wall1 = stage.stats.frames, proc.cpu_times(), time.monotonic()
    intervals = np.array(stage.stats.intervals_ms)
    stop.set()
    await task
    elapsed = wall1 - wall0
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return {
        "cores": os.cpu_count(),
        "fps_target": fps,
        "seconds": round(elapsed, 3),
        "frames_expected": round(elapsed * fps),
        "frames_emitted": frames1 - frames0,
        "interval_p50_ms": round(float(np.percentile(intervals, 50)), 3),
        "interval_p99_ms": round(float(np.percentile(intervals, 99)), 3),
        "interval_max_ms": round(float(intervals.max()), 3),
        "late_frames": stage.stats.late_frames,
        "cpu_percent": round(100.0 * cpu / elapsed, 2),
        "rss_mb": round(proc.memory_info().rss / 2**20, 1),
        "frame_size": f"{size}x{size}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60 s")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    print(json.dumps(asyncio.run(measure(seconds, args.fps, args.size))))


if __name__ == "__main__":
    main()
