"""Dense face landmarks from the face-mesh model bundled in the mediapipe wheel.

mediapipe is imported here only, and only when a portrait has to be prepared (a cold cache) or a
test measures rendered frames: importing it costs over a second.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections import Counter, defaultdict
from typing import Any

import numpy as np


def _quiet_import() -> Any:
    """Import mediapipe's face mesh while keeping its start-up chatter off the console."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with contextlib.redirect_stderr(io.StringIO()):
        from mediapipe.python.solutions import face_mesh
    return face_mesh


class LandmarkDetector:
    """Finds every face in an RGB image and returns its 478 landmarks in pixels (x, y, z).

    ``z`` is relative depth on the same scale as ``x`` (smaller is nearer the camera).  Keep one
    instance to measure many frames: the model loads once.
    """

    def __init__(self, max_faces: int = 4, static: bool = True) -> None:
        face_mesh = _quiet_import()
        self._mesh = face_mesh.FaceMesh(
            static_image_mode=static,
            max_num_faces=max_faces,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    def __enter__(self) -> LandmarkDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._mesh.close()

    def faces(self, rgb: np.ndarray) -> list[np.ndarray]:
        """One (478, 3) float32 array per face found (possibly none)."""
        image = np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8)
        h, w = image.shape[:2]
        result = self._mesh.process(image)
        out: list[np.ndarray] = []
        for face in result.multi_face_landmarks or []:
            pts = np.array([(p.x * w, p.y * h, p.z * w) for p in face.landmark], dtype=np.float32)
            out.append(pts)
        return out


def tesselation_triangles() -> np.ndarray:
    """The face-mesh surface as (852, 3) vertex triples, rebuilt from the model's edge list.

    Every 3-cycle of the edge graph is a face except "separating" triangles that enclose other
    vertices; those are exactly the 3-cycles whose three edges are each shared by more than two
    triangles.
    """
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    edges = {tuple(sorted(e)) for e in FACEMESH_TESSELATION}
    adjacent: defaultdict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        adjacent[a].add(b)
        adjacent[b].add(a)
    cycles = {tuple(sorted((a, b, c))) for a, b in edges for c in adjacent[a] & adjacent[b]}
    uses: Counter[tuple[int, int]] = Counter()
    for a, b, c in cycles:
        uses.update(((a, b), (b, c), (a, c)))
    faces = [t for t in sorted(cycles) if not all(uses[e] > 2 for e in ((t[0], t[1]), (t[1], t[2]), (t[0], t[2])))]
    return np.array(faces, dtype=np.int32)
