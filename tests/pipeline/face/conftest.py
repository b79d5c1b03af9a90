"""Shared, expensive face fixtures: the default portrait prepared once, a landmark detector."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.face.animator import PortraitAnimator

ASSET = Path(__file__).resolve().parents[3] / "profiles" / "assets" / "astronaut.png"


@pytest.fixture(scope="session")
def portrait_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the default portrait, so caches land in a temporary folder."""
    folder = tmp_path_factory.mktemp("portrait")
    shutil.copy(ASSET, folder / "astronaut.png")
    return folder


@pytest.fixture(scope="session")
def portrait_path(portrait_dir: Path) -> Path:
    return portrait_dir / "astronaut.png"


@pytest.fixture(scope="session")
def animator(portrait_path: Path, tmp_path_factory: pytest.TempPathFactory) -> PortraitAnimator:
    return PortraitAnimator.load(portrait_path, (512, 512), cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def detector():
    from pipeline.face.detect import LandmarkDetector

    with LandmarkDetector(max_faces=1) as det:
        yield det


def face_measures(detector, image: np.ndarray) -> dict[str, float]:
    """Measure a rendered frame with a fresh face-mesh run (not the renderer's own mesh).

    Every measure is in shares of the face height (forehead landmark to chin).
    """
    faces = detector.faces(image)
    assert faces, "no face found in the rendered frame"
    p = faces[0][:, :2].astype(np.float64)
    height = float(np.linalg.norm(p[10] - p[152]))
    right_eye, left_eye = p[[33, 133]].mean(axis=0), p[[263, 362]].mean(axis=0)
    return {
        "lip_gap": float(np.linalg.norm(p[13] - p[14])) / height,
        # Positive when the corners sit below where the lips meet.
        "corner_drop": float((p[61, 1] + p[291, 1]) / 2 - (p[13, 1] + p[14, 1]) / 2) / height,
        "mouth_width": float(np.linalg.norm(p[61] - p[291])) / height,
        "inner_brow": float((right_eye[1] - p[107, 1]) + (left_eye[1] - p[336, 1])) / 2 / height,
        "outer_brow": float((right_eye[1] - p[70, 1]) + (left_eye[1] - p[300, 1])) / 2 / height,
        "eye_open": float(np.linalg.norm(p[159] - p[145]) + np.linalg.norm(p[386] - p[374])) / 2 / height,
        "nose_to_lip": float(p[0, 1] - p[2, 1]) / height,
        "nose_x": float(p[1, 0]),
    }
