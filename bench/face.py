"""Face benchmark: how fast one thread animates the default portrait, and how fast it starts.

Prints one JSON object.  Every frame asks the performer for new weights (an emotion change, a
viseme track and idle life, so blendshapes change every frame) and renders them; numba, OpenCV
and BLAS are held to one thread.  ``fps_*`` are wall-clock; ``*_cpu`` count only this process's
CPU time, which is what the renderer costs when the machine is shared.  ``prepare_s`` is
``PortraitAnimator.load`` in a fresh interpreter with a warm cache (imports not counted;
``start_s`` counts them).  ``--quick`` finishes in well under 30 s.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.emotion import Emotion, EmotionState  # noqa: E402
from pipeline.face.animator import PortraitAnimator  # noqa: E402
from pipeline.face.performer import FacePerformer  # noqa: E402
from pipeline.utterance import Utterance  # noqa: E402
from pipeline.visemes import Viseme, VisemeKey  # noqa: E402

ASSET = ROOT / "profiles" / "assets" / "astronaut.png"
FPS = 30

_PREPARE = """
import sys, time, json
t0 = time.perf_counter()
from pathlib import Path
from pipeline.face.animator import PortraitAnimator
t1 = time.perf_counter()
PortraitAnimator.load(Path(sys.argv[1]), (512, 512), cache_dir=Path(sys.argv[2]))
t2 = time.perf_counter()
print(json.dumps({"prepare_s": t2 - t1, "start_s": t2 - t0, "mediapipe": "mediapipe" in sys.modules}))
"""


def _script(frames: int) -> FacePerformer:
    """A performer that changes every frame: emotions in turn, with speech over them."""
    performer = FacePerformer(seed=1)
    emotions = [e for e in Emotion]
    seconds = frames / FPS
    for k, emotion in enumerate(emotions):
        performer.set_emotion(
            EmotionState(emotion, 0.0 if emotion is Emotion.NEUTRAL else 0.9), at=k * seconds / len(emotions)
        )
    rate = 16000
    visemes = [v for v in Viseme if v is not Viseme.SILENCE]
    keys, t = [], 0.0
    while t < seconds:
        v = visemes[len(keys) % len(visemes)]
        keys.append(VisemeKey(round(t * rate), round((t + 0.11) * rate), v))
        t += 0.11
    audio = np.zeros(round(seconds * rate) + 1, dtype=np.float32)
    performer.speak(Utterance("bench", EmotionState(), audio, rate, visemes=keys), at=0.0)
    return performer


def _run(size: tuple[int, int], frames: int, cache: Path, photo: Path) -> dict[str, float]:
    animator = PortraitAnimator.load(photo, size, cache_dir=cache)
    performer = _script(frames)
    for k in range(10):  # warm caches
        animator.render(performer.weights_at(k / FPS))
    performer = _script(frames)
    times = np.empty(frames)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for k in range(frames):
        t0 = time.perf_counter()
        animator.render(performer.weights_at(k / FPS))
        times[k] = time.perf_counter() - t0
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "fps": frames / wall,
        "fps_cpu": frames / cpu,
        "ms_median": float(np.median(times) * 1e3),
        "ms_p95": float(np.percentile(times, 95) * 1e3),
        "crop_px": (animator.crop[2] - animator.crop[0]) * (animator.crop[3] - animator.crop[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames (under 30 s)")
    args = parser.parse_args()
    frames = 300 if args.quick else 1500
    cv2.setNumThreads(1)
    numba.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="moodcam-face-bench-") as tmp:
        work = Path(tmp)
        photo = work / "astronaut.png"
        shutil.copy(ASSET, photo)
        cache = work / "cache"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # First run detects the face and fills the cache (cold); the timed run reads it (warm).
        cold_t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _PREPARE, str(photo), str(cache)], check=True, env=env, capture_output=True, cwd=ROOT
        )
        cold = time.perf_counter() - cold_t0
        warm = json.loads(
            subprocess.run(
                [sys.executable, "-c", _PREPARE, str(photo), str(cache)],
                check=True,
                env=env,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
        )
        r512 = _run((512, 512), frames, cache, photo)
        r720 = _run((1280, 720), frames, cache, photo)
    result = {
        "cores": os.cpu_count(),
        "threads": 1,
        "frames": frames,
        "fps_512": round(r512["fps"], 1),
        "fps_720p": round(r720["fps"], 1),
        "frame_ms_p95_512": round(r512["ms_p95"], 2),
        "frame_ms_median_512": round(r512["ms_median"], 2),
        "frame_ms_p95_720p": round(r720["ms_p95"], 2),
        "fps_512_cpu": round(r512["fps_cpu"], 1),
        "fps_720p_cpu": round(r720["fps_cpu"], 1),
        "prepare_s": round(warm["prepare_s"], 3),
        "start_s": round(warm["start_s"], 3),
        "warm_imports_mediapipe": warm["mediapipe"],
        "prepare_cold_s": round(cold, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
