"""The photo's own expression, measured, and the offset that turns it into a neutral face.

Portraits usually smile.  If the rig worked relative to the photo, "sad" would be drawn on top of
a grin and never read as sad.  So the smile (corner lift against where the lips meet), the raised
cheeks that come with it and any gap between the lips are measured, and the rest pose applies
their opposite: all-zero blendshapes then mean a relaxed, closed mouth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.face import landmarks as lm
from pipeline.face.rig_fields import Geometry

#: On a relaxed face the mouth corners sit slightly below the line where the lips meet.
RELAXED_CORNER_LIFT = -0.01
MAX_SMILE = 1.2
#: How much of the raised cheeks that go with a smile to lower again.
CHEEK_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class PhotoExpression:
    """What the photo shows, in rig terms: smile weights per side and the open-lip gap."""

    smile_left: float
    smile_right: float
    lip_gap: float  # face units between the inner lips at the middle of the mouth

    @property
    def smile(self) -> float:
        return (self.smile_left + self.smile_right) / 2


def _corner_lift(uv: np.ndarray, corner: int) -> float:
    stomion = (uv[lm.STOMION_UPPER, 1] + uv[lm.STOMION_LOWER, 1]) / 2
    return float(stomion - uv[corner, 1])


def smile_lift_per_unit(fields: dict[str, np.ndarray], side: str) -> float:
    """How far the rig's smile raises a corner above the lips' meeting point, per unit weight."""
    f = fields[f"mouthSmile{side}"]
    corner = lm.MOUTH_CORNER_LEFT if side == "Left" else lm.MOUTH_CORNER_RIGHT
    middle = (f[lm.STOMION_UPPER, 1] + f[lm.STOMION_LOWER, 1]) / 2
    return float(middle - f[corner, 1])


def measure(uv: np.ndarray, fields: dict[str, np.ndarray] | None = None) -> PhotoExpression:
    """Measure the photo's expression from its landmarks ``uv`` (face units)."""
    per_unit = {"Left": 0.105, "Right": 0.105}
    if fields is not None:
        per_unit = {side: smile_lift_per_unit(fields, side) for side in per_unit}
    smiles = {}
    for side, corner in (("Left", lm.MOUTH_CORNER_LEFT), ("Right", lm.MOUTH_CORNER_RIGHT)):
        lift = _corner_lift(uv, corner) - RELAXED_CORNER_LIFT
        smiles[side] = float(np.clip(lift / per_unit[side], 0.0, MAX_SMILE))
    gap = float(uv[lm.STOMION_LOWER, 1] - uv[lm.STOMION_UPPER, 1])
    return PhotoExpression(smiles["Left"], smiles["Right"], max(gap, 0.0))


def lip_closure(uv: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Bring the inner lips together where the photo shows them apart (face units, (478, 2)).

    The inner edges meet column by column (vertically: sliding sideways would shear the skin
    beside them); everything else follows harmonically, fading out within a short reach, so
    lips thinned by a smile fill out a little and no triangle turns over.
    """
    geo = Geometry.from_uv(uv, triangles)
    upper, lower = list(lm.LIP_INNER_UPPER), list(lm.LIP_INNER_LOWER)
    half = np.maximum((uv[lower, 1] - uv[upper, 1]) / 2, 0.0)
    values = np.zeros((len(uv), 2))
    values[upper, 1] = half
    values[lower, 1] = -half
    fixed = np.zeros(len(uv), dtype=bool)
    fixed[upper] = fixed[lower] = True
    mouth = np.array([geo.mouth_u, geo.mouth_v])
    far = np.hypot((uv[:, 0] - mouth[0]) / (geo.half_width + 0.25), (uv[:, 1] - mouth[1]) / 0.45) > 1.0
    fixed |= far
    return geo.harmonic(values, fixed)


def neutral_offset(
    uv: np.ndarray, triangles: np.ndarray, photo: PhotoExpression, fields: dict[str, np.ndarray]
) -> np.ndarray:
    """Displacement (face units) from the photo to its neutral face."""
    off = -photo.smile_left * fields["mouthSmileLeft"] - photo.smile_right * fields["mouthSmileRight"]
    off -= CHEEK_SHARE * (photo.smile_left * fields["cheekSquintLeft"] + photo.smile_right * fields["cheekSquintRight"])
    return off + lip_closure(uv, triangles)
