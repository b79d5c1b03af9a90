"""What the inside of the mouth looks like for one portrait, and its per-frame cues.

A photo that shows teeth lends them to the animation: the band between its inner lips is lifted
out and re-hung from the lips (upper share from the upper lip, the rest from the lower), so an
open mouth shows the person's real teeth over a dark cavity.  A closed-lipped photo gets drawn
teeth in the same place.  Colours (cavity, tongue, gum) are tinted from the photo's own lips.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.face import landmarks as lm
from pipeline.face import raster
from pipeline.face.rig import LOWER, UPPER, Deformed

#: A photo whose lips are at least this far apart in the middle (face units) may show teeth ...
PHOTO_TEETH_GAP = 0.05
#: ... if enough of what is between them is tooth-like: brighter and greyer than the lips.
TOOTH_SHARE = 0.3


def _lip_colour(plate: np.ndarray, rest: np.ndarray) -> np.ndarray:
    mask = np.zeros(plate.shape[:2], dtype=np.uint8)
    outer = np.vstack([rest[list(lm.LIP_OUTER_UPPER)], rest[list(reversed(lm.LIP_OUTER_LOWER))]])
    inner = np.vstack([rest[list(lm.LIP_INNER_UPPER)], rest[list(reversed(lm.LIP_INNER_LOWER))]])
    cv2.fillPoly(mask, [np.round(outer).astype(np.int32)], 255)
    cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 0)
    pixels = plate[mask > 0]
    if len(pixels) < 4:
        return np.array([150.0, 80.0, 80.0])
    return np.median(pixels, axis=0).astype(np.float64)


def _shows_teeth(plate: np.ndarray, rest: np.ndarray, lip: np.ndarray) -> bool:
    """Whether the photo's open lips frame teeth (not a dark or closed mouth)."""
    mask = np.zeros(plate.shape[:2], dtype=np.uint8)
    inner = np.vstack([rest[list(lm.LIP_INNER_UPPER)], rest[list(reversed(lm.LIP_INNER_LOWER))]])
    cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 255)
    pixels = plate[mask > 0].astype(np.float64)
    if len(pixels) < 12:
        return False
    luma = pixels @ [0.299, 0.587, 0.114]
    chroma = pixels.max(axis=1) - pixels.min(axis=1)
    lip_luma = float(lip @ [0.299, 0.587, 0.114])
    lip_chroma = float(lip.max() - lip.min())
    tooth = (luma > lip_luma + 20) & (chroma < 0.8 * lip_chroma)
    return bool(tooth.mean() >= TOOTH_SHARE)


def _skin_luma(plate: np.ndarray, rest: np.ndarray) -> float:
    mask = np.zeros(plate.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(rest[list(lm.FACE_OVAL)]).astype(np.int32)], 255)
    pixels = plate[mask > 0].astype(np.float64)
    return float((pixels @ [0.299, 0.587, 0.114]).mean()) if len(pixels) else 150.0


class MouthPainter:
    """Per-portrait mouth parameters and the per-frame vertex attributes the rasteriser reads."""

    def __init__(self, plate: np.ndarray, rest: np.ndarray, unit: float, down: np.ndarray) -> None:
        n = len(rest)
        self._n = n
        lip = _lip_colour(plate, rest)
        luma = _skin_luma(plate, rest)
        gap_mid = float(np.dot(rest[lm.STOMION_LOWER] - rest[lm.STOMION_UPPER], down)) / unit
        self.photo_teeth = gap_mid >= PHOTO_TEETH_GAP and _shows_teeth(plate, rest, lip)
        width = float(np.linalg.norm(rest[lm.MOUTH_CORNER_LEFT] - rest[lm.MOUTH_CORNER_RIGHT]))
        par = np.zeros(raster.N_PAR, dtype=np.float64)
        par[raster.P_PHOTO_TEETH] = 1.0 if self.photo_teeth else 0.0
        par[raster.P_CAVITY : raster.P_CAVITY + 3] = lip * [0.36, 0.22, 0.22] + [8, 2, 2]
        par[raster.P_TONGUE : raster.P_TONGUE + 3] = np.clip(lip * [0.92, 0.62, 0.64] + [12, 0, 2], 0, 255)
        par[raster.P_GUM : raster.P_GUM + 3] = np.clip(lip * [1.05, 0.8, 0.82] + [15, 5, 5], 0, 255)
        bright = float(np.clip(luma / 150.0, 0.7, 1.05))
        par[raster.P_TEETH : raster.P_TEETH + 3] = np.array([236.0, 230.0, 214.0]) * bright
        par[raster.P_SYN_UP] = 0.13 * width
        par[raster.P_SYN_LOW] = 0.08 * width
        par[raster.P_DOWNX], par[raster.P_DOWNY] = down
        par[raster.P_MOUTH_W] = width
        par[raster.P_SPLIT] = 0.58
        self.params = par

        attr = np.zeros((n, raster.N_ATTR), dtype=np.float64)
        upper, lower = list(lm.LIP_INNER_UPPER), list(lm.LIP_INNER_LOWER)
        cols = len(upper)
        s = np.linspace(-1.0, 1.0, cols)
        for rows, t in ((upper, 0.0), (lower, 1.0)):
            attr[rows, raster.A_T] = t
            attr[rows, raster.A_S] = s
            attr[rows, raster.A_RUX : raster.A_RUY + 1] = rest[upper]
            attr[rows, raster.A_RLX : raster.A_RLY + 1] = rest[lower]
        for corner in (upper[0], upper[-1]):
            attr[corner, raster.A_T] = 0.5
        self._attr = attr

    def frame(self, deformed: Deformed, tongue_out: float) -> tuple[np.ndarray, np.ndarray]:
        """Fresh (vertex attributes, parameters) for this frame's geometry."""
        attr = self._attr.copy()
        for ids in (UPPER, LOWER):
            attr[ids, raster.A_GAP] = deformed.gap
            attr[ids, raster.A_REV_UP] = deformed.upper_reveal
            attr[ids, raster.A_REV_LOW] = deformed.lower_reveal
        par = self.params.copy()
        par[raster.P_TONGUE_OUT] = tongue_out
        return attr, par
