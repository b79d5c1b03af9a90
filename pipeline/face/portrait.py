"""Portrait preparation: find the face once, check the photo is usable, cache the result.

Landmark detection costs over two seconds cold (importing mediapipe, loading the model), so the
result is stored beside the photo in ``<photo>.moodcam-face.npz`` keyed by a hash of the image
bytes; a restart with an unchanged photo reads that file and never imports mediapipe.  When the
photo's folder is read-only the cache goes under ``~/.cache/moodcam/face``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.face import landmarks as lm
from pipeline.models import moodcam_cache_dir

log = logging.getLogger(__name__)

#: Bump when what is stored (or how it is computed) changes: old caches are then ignored.
CACHE_VERSION = 7
CACHE_SUFFIX = ".moodcam-face.npz"
#: Narrowest usable face, cheek to cheek in photo pixels.  Below this the upscaled face is a blur.
MIN_FACE_PX = 80
#: Widest usable head turn either way (degrees); beyond it the far cheek is hidden.
MAX_TURN_DEG = 28.0
#: Landmarks closer than this (face units) to a neighbouring vertex or edge leave the surface mesh.
SLIVER = 0.012


class PortraitError(ValueError):
    """The photo cannot be animated; the message says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class Portrait:
    """A photo ready to animate: RGB pixels, the chosen face's 478 landmarks (x, y, z in photo
    pixels) and the face-surface triangles over them (slivers already flipped away)."""

    image: np.ndarray
    landmarks: np.ndarray
    triangles: np.ndarray
    faces_found: int
    key: str
    from_cache: bool


def default_cache_dir() -> Path:
    """Where caches go when the photo's own folder is not writable."""
    return moodcam_cache_dir() / "face"


def _decode(path: Path, data: bytes) -> np.ndarray:
    buf = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if image is None or image.size == 0:
        raise PortraitError(f"{path}: cannot read this file as an image; use a PNG or JPEG photo")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _cache_paths(path: Path, key: str, cache_dir: Path | None) -> list[Path]:
    beside = path.with_name(path.name + CACHE_SUFFIX)
    fallback = Path(cache_dir or default_cache_dir()) / f"{key}.npz"
    return [beside, fallback]


def _read_cache(candidates: list[Path], key: str) -> tuple[np.ndarray, np.ndarray, int] | None:
    for candidate in candidates:
        try:
            with np.load(candidate, allow_pickle=False) as data:
                if str(data["key"]) != key:
                    continue
                return data["landmarks"].astype(np.float32), data["triangles"].astype(np.int32), int(data["faces"])
        except (OSError, KeyError, ValueError):
            continue
    return None


def _write_cache(candidates: list[Path], key: str, pts: np.ndarray, tris: np.ndarray, faces: int) -> Path | None:
    buf = io.BytesIO()
    np.savez_compressed(buf, key=np.array(key), landmarks=pts, triangles=tris, faces=np.array(faces))
    for candidate in candidates:
        try:
            candidate.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".moodcam-", dir=candidate.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(buf.getvalue())
            os.chmod(tmp, 0o644)
            os.replace(tmp, candidate)
            return candidate
        except OSError:
            continue
    log.warning("could not write a face cache anywhere; the next start will detect the face again")
    return None


def face_width(pts: np.ndarray) -> float:
    """Cheek-to-cheek width in pixels, measured along the eye line."""
    frame = lm.FaceFrame.from_landmarks(pts)
    u = frame.to_face(pts[list(lm.FACE_OVAL)])[:, 0]
    return float(np.ptp(u) * frame.unit)


def head_turn(pts: np.ndarray) -> tuple[float, float]:
    """Rough (yaw, pitch) of the head in degrees from where the nose sits between the face edges."""
    frame = lm.FaceFrame.from_landmarks(pts)
    uv = frame.to_face(pts[:, :2])
    oval = uv[list(lm.FACE_OVAL)]
    nose = uv[lm.NOSE_TIP]
    left, right = oval[:, 0].max(), oval[:, 0].min()
    across = (nose[0] - (left + right) / 2) / max((left - right) / 2, 1e-6)
    top, chin = uv[lm.FOREHEAD, 1], uv[lm.CHIN, 1]
    # On a level frontal face the nose tip sits about 0.55 of the way from the top of the face
    # mesh (mid-forehead) to the chin.
    down = ((nose[1] - top) / max(chin - top, 1e-6) - 0.55) / 0.5
    yaw = float(np.degrees(np.arcsin(np.clip(across * 1.3, -1.0, 1.0))))
    pitch = float(np.degrees(np.arcsin(np.clip(down * 1.3, -1.0, 1.0))))
    return yaw, pitch


def _choose_face(path: Path, faces: list[np.ndarray]) -> np.ndarray:
    if not faces:
        raise PortraitError(f"{path}: no face found; use a well-lit photo of one person looking at the camera")
    faces = sorted(faces, key=face_width, reverse=True)
    if len(faces) > 1:
        log.warning("%s: found %d faces; animating the largest one", path.name, len(faces))
    return faces[0]


def _check(path: Path, pts: np.ndarray) -> None:
    # The turn first: a turned face is also a narrow one, and the turn is what to fix.
    yaw, pitch = head_turn(pts)
    if abs(yaw) > MAX_TURN_DEG or abs(pitch) > MAX_TURN_DEG:
        side = "sideways" if abs(yaw) >= abs(pitch) else ("down" if pitch > 0 else "up")
        angle = max(abs(yaw), abs(pitch))
        raise PortraitError(
            f"{path}: the head is turned too far ({side}, about {angle:.0f} degrees); "
            "use a photo looking straight at the camera"
        )
    width = face_width(pts)
    if width < MIN_FACE_PX:
        raise PortraitError(
            f"{path}: the face is only {width:.0f} px across; use a photo where the face is at least "
            f"{MIN_FACE_PX} px wide (a closer or larger photo)"
        )


def image_key(data: bytes) -> str:
    """Cache key: the image bytes and the cache format version."""
    return hashlib.sha256(data).hexdigest()[:32] + f"-v{CACHE_VERSION}"


def prepare(path: Path, cache_dir: Path | None = None) -> Portrait:
    """Load ``path`` and its face, from the cache when the image is unchanged.

    Raises PortraitError for an unreadable file, no face, a face too small or turned too far.
    Several faces: the largest is used and a warning is logged.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PortraitError(f"{path}: cannot open the photo ({exc.strerror or exc})") from None
    image = _decode(path, data)
    key = image_key(data)
    candidates = _cache_paths(path, key, cache_dir)
    cached = _read_cache(candidates, key)
    if cached is not None:
        pts, tris, faces = cached
        return Portrait(image, pts, tris, faces, key, from_cache=True)

    from pipeline.face.detect import LandmarkDetector, tesselation_triangles
    from pipeline.face.mesh import collapse_slivers, delaunay_flips

    with LandmarkDetector(max_faces=4) as detector:
        found = detector.faces(image)
    pts = _choose_face(path, found)
    _check(path, pts)
    xy = pts[:, :2].astype(np.float64)
    unit = lm.FaceFrame.from_landmarks(pts).unit
    tris = delaunay_flips(xy, collapse_slivers(xy, delaunay_flips(xy, tesselation_triangles()), SLIVER * unit))
    _write_cache(candidates, key, pts, tris, len(found))
    return Portrait(image, pts, tris, len(found), key, from_cache=False)
