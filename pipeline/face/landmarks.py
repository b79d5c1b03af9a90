"""Named groups of the 478 face-mesh landmarks, and the face's own frame of reference.

The indices are those of the face-mesh topology (468 surface points + 10 iris points).  "Left" is
the subject's left, which is the right-hand side of a frontal, non-mirrored photo; ARKit names use
the same convention (``eyeBlinkLeft`` closes the subject's left eye).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_LANDMARKS = 478

#: The face outline, a closed loop starting at the forehead and going clockwise on screen.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip

# Lips: each row runs from the subject's right corner (screen left) to the left corner.
LIP_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIP_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNER_RIGHT, MOUTH_CORNER_LEFT = 61, 291
INNER_CORNER_RIGHT, INNER_CORNER_LEFT = 78, 308
STOMION_UPPER, STOMION_LOWER = 13, 14

# Every vertex of the lips (the rows above plus the rows between them), by lip.
LIP_CORNERS = (61, 62, 76, 78, 291, 292, 306, 308)
LIP_UPPER_ALL = (
    0, 11, 12, 13, 37, 38, 39, 40, 41, 42, 72, 73, 74, 80, 81, 82, 183, 184, 185, 191,
    267, 268, 269, 270, 271, 272, 302, 303, 304, 310, 311, 312, 407, 408, 409, 415,
)  # fmt: skip
LIP_LOWER_ALL = (
    14, 15, 16, 17, 77, 84, 85, 86, 87, 88, 89, 90, 91, 95, 96, 146, 178, 179, 180, 181,
    307, 314, 315, 316, 317, 318, 319, 320, 321, 324, 325, 375, 402, 403, 404, 405,
)  # fmt: skip

# Eyes: upper and lower lid rows, from the outer corner to the inner corner (corners shared).
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
RIGHT_IRIS_CENTER, LEFT_IRIS_CENTER = 468, 473
RIGHT_IRIS = (469, 470, 471, 472)
LEFT_IRIS = (474, 475, 476, 477)

# Brows, from the outer end to the inner end: the upper and the lower edge.
RIGHT_BROW_UPPER = (70, 63, 105, 66, 107)
RIGHT_BROW_LOWER = (46, 53, 52, 65, 55)
LEFT_BROW_UPPER = (300, 293, 334, 296, 336)
LEFT_BROW_LOWER = (276, 283, 282, 295, 285)

NOSE_TIP = 1
ALAR_RIGHT, ALAR_LEFT = 129, 358
FOREHEAD = 10
CHIN = 152


def eye_contour(upper: tuple[int, ...], lower: tuple[int, ...]) -> tuple[int, ...]:
    """A closed eye loop: the upper lid then the lower lid back (corners once)."""
    return upper + tuple(reversed(lower[1:-1]))


RIGHT_EYE = eye_contour(RIGHT_EYE_UPPER, RIGHT_EYE_LOWER)
LEFT_EYE = eye_contour(LEFT_EYE_UPPER, LEFT_EYE_LOWER)


@dataclass(frozen=True, slots=True)
class FaceFrame:
    """The face's own axes in image pixels: ``ex`` along the eye line, ``ey`` down the face.

    ``unit`` is the distance between the eye centres; rig displacements are authored in it, so
    an expression looks the same on a small and a large face and on a tilted photo.
    """

    origin: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    unit: float

    @classmethod
    def from_landmarks(cls, pts: np.ndarray) -> FaceFrame:
        xy = np.asarray(pts, dtype=np.float64)[:, :2]
        right = xy[list(RIGHT_EYE)].mean(axis=0)
        left = xy[list(LEFT_EYE)].mean(axis=0)
        axis = left - right
        unit = float(np.hypot(*axis))
        ex = axis / unit
        ey = np.array([-ex[1], ex[0]])
        return cls(origin=(left + right) / 2, ex=ex, ey=ey, unit=unit)

    def to_face(self, xy: np.ndarray) -> np.ndarray:
        """Image points (N, 2) into face coordinates (units of ``unit``)."""
        rel = np.asarray(xy, dtype=np.float64)[..., :2] - self.origin
        return np.stack([rel @ self.ex, rel @ self.ey], axis=-1) / self.unit

    def vectors_to_image(self, uv: np.ndarray) -> np.ndarray:
        """Face-frame displacement vectors (N, 2, in units) into image pixels."""
        uv = np.asarray(uv, dtype=np.float64)
        return (uv[..., :1] * self.ex + uv[..., 1:2] * self.ey) * self.unit

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        """Face coordinates back to image points."""
        return self.origin + self.vectors_to_image(uv)
