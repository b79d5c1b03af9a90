"""Where the photo lands in the output frame: head-and-shoulders framing or the photo as it is.

The photo is resampled into output pixels once (the "plate"); the renderer then warps only a crop
of the plate around the face, so per-frame cost does not depend on the photo's resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from pipeline.face import landmarks as lm

Framing = Literal["head_and_shoulders", "photo"]

#: Face height (forehead landmark to chin) as a share of the frame height.
FACE_SHARE = 1.0 / 3.0
#: Where the middle of the face sits, as a share of the frame height from the top ...
FACE_CENTRE_Y = 0.47
#: ... and how far it may move (shares of width and height) to fill the frame with the photo.
FACE_BAND_X = (0.36, 0.64)
FACE_BAND_Y = (0.38, 0.55)


@dataclass(frozen=True, slots=True)
class Placement:
    """Photo pixels to output pixels: ``out = scale * photo + offset``."""

    scale: float
    offset: tuple[float, float]

    def matrix(self) -> np.ndarray:
        return np.array([[self.scale, 0.0, self.offset[0]], [0.0, self.scale, self.offset[1]]], dtype=np.float64)

    def apply(self, pts: np.ndarray) -> np.ndarray:
        """Map (N, 2) or (N, 3) photo points; a z column scales with x and y."""
        out = np.asarray(pts, dtype=np.float64) * self.scale
        out[:, 0] += self.offset[0]
        out[:, 1] += self.offset[1]
        return out


def place(photo_size: tuple[int, int], landmarks: np.ndarray, size: tuple[int, int], framing: Framing) -> Placement:
    """Choose scale and offset for an output of ``size`` (width, height)."""
    pw, ph = photo_size
    width, height = size
    if framing == "photo":
        scale = min(width / pw, height / ph)
        return Placement(scale, ((width - pw * scale) / 2, (height - ph * scale) / 2))
    top = landmarks[lm.FOREHEAD, :2].astype(np.float64)
    chin = landmarks[lm.CHIN, :2].astype(np.float64)
    face_h = float(np.hypot(*(chin - top)))
    scale = FACE_SHARE * height / max(face_h, 1.0)
    centre = (top + chin) / 2
    tx = _fit_axis(width / 2 - centre[0] * scale, pw * scale, width, centre[0] * scale, FACE_BAND_X)
    ty = _fit_axis(FACE_CENTRE_Y * height - centre[1] * scale, ph * scale, height, centre[1] * scale, FACE_BAND_Y)
    return Placement(scale, (tx, ty))


def _fit_axis(offset: float, extent: float, frame: float, face: float, band: tuple[float, float]) -> float:
    """Slide the photo along one axis to leave less background showing at its edges, keeping the
    face centre (``face`` px into the scaled photo) inside ``band`` (shares of the frame)."""
    lo_face, hi_face = band[0] * frame - face, band[1] * frame - face
    if extent >= frame:
        lo, hi = frame - extent, 0.0  # offsets where the photo covers the whole axis
    else:
        lo = hi = (frame - extent) / 2  # cannot cover: centre the photo
    best = min(max(offset, lo), hi)
    return min(max(best, lo_face), hi_face)


def make_plate(
    photo: np.ndarray, placement: Placement, size: tuple[int, int], background: tuple[int, int, int]
) -> np.ndarray:
    """The photo resampled into the output frame, ``background`` where the photo does not reach."""
    matrix = placement.matrix()
    interp = cv2.INTER_CUBIC
    if placement.scale < 1:
        # warpAffine has no area filter: shrink first so a large photo does not alias.
        ph, pw = photo.shape[:2]
        nw, nh = max(1, round(pw * placement.scale)), max(1, round(ph * placement.scale))
        photo = cv2.resize(photo, (nw, nh), interpolation=cv2.INTER_AREA)
        matrix[0, 0] = placement.scale * pw / nw
        matrix[1, 1] = placement.scale * ph / nh
        interp = cv2.INTER_LINEAR
    plate = cv2.warpAffine(
        photo,
        matrix,
        size,
        flags=interp,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(int(c) for c in background),
    )
    return np.ascontiguousarray(plate)
