"""``moodcam face demo``: a real H.264 clip through every emotion and viseme."""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from daemon.face_demo import face_demo

ASSET = Path(__file__).resolve().parents[2] / "profiles" / "assets" / "astronaut.png"


def test_demo_writes_a_playable_clip(tmp_path: Path) -> None:
    photo = tmp_path / "me.png"
    shutil.copy(ASSET, photo)
    out = tmp_path / "demo.mp4"
    assert face_demo(None, out, portrait=photo, seconds=0.4, fps=15) == 0
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert frames[0].shape == (512, 512, 3)
    # 0.8 s lead-in + 8 emotions x 0.4 s + 12 visemes x 0.42 s + 0.6 s tail, at 15 fps.
    assert len(frames) == round((0.8 + 8 * 0.4 + 12 * 0.42 + 0.6) * 15)
    # The face moves: frames from different segments differ in the face, not just the caption.
    top = [f[:400].astype(int) for f in (frames[5], frames[30], frames[90])]
    assert np.abs(top[0] - top[1]).mean() > 0.3 and np.abs(top[1] - top[2]).mean() > 0.3


def test_demo_with_a_profile_and_a_bad_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ASSET, tmp_path / "me.png")
    profile = tmp_path / "p.toml"
    profile.write_text('[face]\nportrait = "me.png"\nwidth = 320\nheight = 240\n', encoding="utf-8")
    noise = tmp_path / "noise.png"
    noise.write_bytes(b"not an image at all")
    assert face_demo(profile, tmp_path / "x.mp4", portrait=noise, seconds=0.2) == 2
    assert "cannot animate this photo" in capsys.readouterr().err
    assert face_demo(profile, tmp_path / "ok.mp4", seconds=0.2, fps=10) == 0
    with av.open(str(tmp_path / "ok.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 240)
