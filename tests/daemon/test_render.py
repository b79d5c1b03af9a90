"""`moodcam render`: the clip decodes with the right length, and the mouth moves with the voice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from daemon.cli import PROFILES_DIR
from daemon.render import parse_script, render_clip
from pipeline.emotion import EmotionState
from pipeline.face.animator import PortraitAnimator
from pipeline.face.performer import FacePerformer
from pipeline.voice.piper_engine import PiperEngine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def voice() -> PiperEngine:
    return PiperEngine("embedded", language="en")


def decode(path: Path) -> tuple[list[np.ndarray], np.ndarray, float]:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        pcm = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
        rate = container.streams.audio[0].rate
    return frames, pcm, rate


def test_mouth_follows_the_audio_within_one_frame(tmp_path: Path, voice: PiperEngine) -> None:
    fps = 30
    animator = PortraitAnimator.load(PROFILES_DIR / "assets" / "astronaut.png", size=(256, 256))
    performer = FacePerformer(seed=1, life=False)  # no blinks or sway: only speech moves the face
    utterances = list(voice.stream("Bob made a map. Mom, pop out and pay papa.", EmotionState()))
    out = tmp_path / "clip.mp4"
    total = render_clip(utterances, animator, performer, out, fps=fps)
    frames, pcm, rate = decode(out)
    assert len(frames) == total
    speech = sum(u.duration for u in utterances)
    assert abs(pcm.size / rate - total / fps) < 0.05
    assert total / fps > speech  # the whole speech is in the clip
    # mouth motion per frame (distance from the resting first frame) vs the voice's loudness
    rest = frames[0].astype(np.float32)
    motion = np.array([np.abs(f.astype(np.float32) - rest).mean() for f in frames])
    hop = rate // fps
    loud = np.array([np.sqrt(np.mean(pcm[k * hop : (k + 1) * hop] ** 2)) for k in range(len(frames))])
    assert motion.max() > 2.0, "the mouth never moved"
    m = (motion - motion.mean()) / motion.std()
    a = (loud - loud.mean()) / loud.std()
    lags = range(-6, 7)
    score = [float(np.mean(m[max(0, -lag) : len(m) - max(0, lag)] * a[max(0, lag) : len(a) - max(0, -lag)]))
             for lag in lags]
    best = list(lags)[int(np.argmax(score))]
    assert abs(best) <= 1, (best, score)
    assert max(score) > 0.3
    # silence before the first word: the mouth is at rest
    first_sound = int(np.argmax(loud > loud.max() * 0.1))
    assert motion[: max(1, first_sound - 6)].max() < 1.0


def test_script_parsing_names_bad_lines() -> None:
    lines = parse_script("# a comment\n[happy] Hello!\nsad: Oh no.\nplain line\n")
    assert [(line.text, line.emotion.emotion.value if line.emotion else None) for line in lines] == [
        ("Hello!", "happy"),
        ("Oh no.", "sad"),
        ("plain line", None),
    ]
    with pytest.raises(ValueError, match="script line 2: unknown emotion 'elated'"):
        parse_script("[happy] ok\n[elated] no\n")


def test_render_command_writes_an_mp4(tmp_path: Path) -> None:
    script = tmp_path / "lines.txt"
    script.write_text("[happy] Fifty percent off today!\n[concerned] Sorry, that one is sold out.\n")
    out = tmp_path / "out.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "render", "--script", str(script), "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    frames, pcm, rate = decode(out)
    assert frames[0].shape == (512, 512, 3) and rate == 48000 and np.abs(pcm).max() > 0.1
    assert 2.0 < len(frames) / 30 < 12.0
    bad = subprocess.run(
        [sys.executable, "-m", "daemon.cli", "render", "--text", "hi", "--emotion", "happy", "--intensity", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 2 and "intensity" in bad.stderr
