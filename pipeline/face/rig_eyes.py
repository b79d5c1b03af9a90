"""Eyelids and gaze: the lids close on each other without crossing, the iris moves inside the eye.

Each eye is driven by two numbers: how far the upper lid has travelled towards the lower one
(``upper``, a share of the rest opening) and how far the lower lid has risen (``lower``).  Every
lid, eyeball and lid-skin vertex moves linearly with those two numbers, and their sum is capped
below 1, so no blendshape mix can fold the eye.  The eyeball (two strips between the lids and a
middle row through the iris) is squeezed column by column; the gaze slides the middle row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.blendshapes import INDEX
from pipeline.face import landmarks as lm
from pipeline.face.landmarks import FaceFrame

MAX_CLOSURE = 0.99  # lids stop 1% of the opening apart: a blink never crosses them
GAZE_ACROSS = 0.075  # iris travel at a full sideways look, face units
GAZE_UPDOWN = 0.22  # iris travel at a full up/down look, share of the eye opening


@dataclass(frozen=True, slots=True)
class _Eye:
    side: str
    outward: float  # +1 if looking "out" moves the iris towards +u
    upper_field: np.ndarray  # (V, 2) px displacement per unit of upper-lid travel
    lower_field: np.ndarray  # (V, 2) px displacement per unit of lower-lid rise
    across_field: np.ndarray  # (V, 2) px displacement of a full outward look
    updown_field: np.ndarray  # (V, 2) px displacement of a full downward look


def _column(uv: np.ndarray, row: tuple[int, ...], u: np.ndarray) -> np.ndarray:
    pts = uv[list(row)]
    order = np.argsort(pts[:, 0])
    return np.stack([np.interp(u, pts[order, 0], pts[order, k]) for k in (0, 1)], axis=1)


def _build_eye(
    uv: np.ndarray,
    frame: FaceFrame,
    upper: tuple[int, ...],
    lower: tuple[int, ...],
    brow_lower: tuple[int, ...],
    middle: np.ndarray,
    iris: tuple[int, ...],
    side: str,
    outward: float,
) -> _Eye:
    u, v = uv[:, 0], uv[:, 1]
    top = _column(uv, upper, u)  # upper lid point in each vertex's column
    bottom = _column(uv, lower, u)
    span = bottom - top  # upper lid -> lower lid, per column
    lo_u = min(uv[upper[0], 0], uv[upper[-1], 0])
    hi_u = max(uv[upper[0], 0], uv[upper[-1], 0])
    outside = np.maximum(lo_u - u, 0) + np.maximum(u - hi_u, 0)
    lateral = np.exp(-0.5 * (outside / 0.07) ** 2)
    brow_v = _column(uv, brow_lower, u)[:, 1]

    up = np.zeros((len(uv), 2))
    low = np.zeros((len(uv), 2))
    # Lid rows move towards their column partner.
    up[list(upper)] = uv[list(lower)] - uv[list(upper)]
    low[list(lower)] = uv[list(upper)] - uv[list(lower)]
    corners = [upper[0], upper[-1]]
    up[corners] = 0.0
    low[corners] = 0.0
    # The eyeball between the lids is squeezed affinely: a point at share r of the opening moves
    # (1 - r) per unit of upper-lid travel and -r per unit of lower-lid rise.
    r = np.clip((v - top[:, 1]) / np.maximum(span[:, 1], 1e-6), 0.0, 1.0)
    for i in iris:
        up[i] = (1.0 - r[i]) * span[i]
        low[i] = -r[i] * span[i]
    # Middle-row vertex j sits in column j exactly: squeeze it along that column's own span.
    col_span = uv[list(lower[1:-1])] - uv[list(upper[1:-1])]
    share = np.einsum("ij,ij->i", uv[middle] - uv[list(upper[1:-1])], col_span) / np.maximum(
        np.einsum("ij,ij->i", col_span, col_span), 1e-12
    )
    up[middle] = (1.0 - share)[:, None] * col_span
    low[middle] = -share[:, None] * col_span
    interior = [*middle.tolist(), *iris]
    # The gaze slides the middle row (most under the iris) and the iris landmarks with it.
    centre = uv[iris[0]]
    across = np.zeros((len(uv), 2))
    updown = np.zeros((len(uv), 2))
    reach = np.exp(-0.5 * ((u[middle] - centre[0]) / 0.1) ** 2)
    across[middle, 0] = outward * GAZE_ACROSS * reach
    updown[middle] = GAZE_UPDOWN * reach[:, None] * span[middle]
    across[list(iris), 0] = outward * GAZE_ACROSS
    updown[list(iris)] = GAZE_UPDOWN * span[iris[0]]
    # Lid skin: above the upper lid it follows, fading to zero at the brow; below the lower lid it
    # follows over a short distance onto the cheek.
    lid_ids = set(upper) | set(lower) | set(interior)
    skin = np.array([i for i in range(len(uv)) if i not in lid_ids])
    above = (v[skin] < top[skin, 1]) & (v[skin] > brow_v[skin])
    w_up = np.clip(1 - (top[skin, 1] - v[skin]) / np.maximum(top[skin, 1] - brow_v[skin], 1e-6), 0, 1)
    w_up = np.where(above, w_up, 0.0) * lateral[skin]
    up[skin] = w_up[:, None] * span[skin]
    below = v[skin] > bottom[skin, 1]
    w_low = np.clip(1 - (v[skin] - bottom[skin, 1]) / 0.26, 0, 1) ** 1.5
    w_low = np.where(below, w_low, 0.0) * lateral[skin]
    low[skin] = -w_low[:, None] * span[skin]

    return _Eye(
        side=side,
        outward=outward,
        upper_field=frame.vectors_to_image(up),
        lower_field=frame.vectors_to_image(low),
        across_field=frame.vectors_to_image(across),
        updown_field=frame.vectors_to_image(updown),
    )


class EyeRig:
    """Lid and gaze displacements of both eyes for a blendshape vector."""

    def __init__(self, rest: np.ndarray, frame: FaceFrame, middles: tuple[np.ndarray, np.ndarray]) -> None:
        uv = frame.to_face(rest)
        self.eyes = (
            _build_eye(
                uv,
                frame,
                lm.RIGHT_EYE_UPPER,
                lm.RIGHT_EYE_LOWER,
                lm.RIGHT_BROW_LOWER,
                middles[0],
                (lm.RIGHT_IRIS_CENTER, *lm.RIGHT_IRIS),
                "Right",
                -1.0,
            ),
            _build_eye(
                uv,
                frame,
                lm.LEFT_EYE_UPPER,
                lm.LEFT_EYE_LOWER,
                lm.LEFT_BROW_LOWER,
                middles[1],
                (lm.LEFT_IRIS_CENTER, *lm.LEFT_IRIS),
                "Left",
                1.0,
            ),
        )

    @staticmethod
    def lids(w: np.ndarray, side: str) -> tuple[float, float]:
        """(upper-lid travel, lower-lid rise) as shares of the opening, for one eye."""
        g = lambda name: float(w[INDEX[name + side]])  # noqa: E731
        blink, squint, wide = g("eyeBlink"), g("eyeSquint"), g("eyeWide")
        down, up = g("eyeLookDown"), g("eyeLookUp")
        cheek = float(w[INDEX["cheekSquint" + side]])
        upper = 0.97 * blink + 0.12 * squint - 0.32 * wide + 0.2 * down - 0.12 * up
        lower = 0.03 * blink + 0.3 * squint + 0.2 * cheek - 0.1 * wide + 0.04 * up
        upper = min(max(upper, -0.36), MAX_CLOSURE)
        lower = min(max(lower, -0.15), 0.6)
        excess = upper + lower - MAX_CLOSURE
        if excess > 0:
            pos_u, pos_l = max(upper, 0.0), max(lower, 0.0)
            total = pos_u + pos_l
            upper -= excess * pos_u / total
            lower -= excess * pos_l / total
        return upper, lower

    def displacement(self, w: np.ndarray, out: np.ndarray) -> None:
        """Add both eyes' displacement (pixels) for weights ``w`` into ``out`` (V, 2)."""
        for eye in self.eyes:
            upper, lower = self.lids(w, eye.side)
            if upper:
                out += upper * eye.upper_field
            if lower:
                out += lower * eye.lower_field
            g = lambda name, s=eye.side: float(w[INDEX[name + s]])  # noqa: E731
            across = g("eyeLookOut") - g("eyeLookIn")
            updown = g("eyeLookDown") - g("eyeLookUp")
            if across or updown:
                open_share = max(0.0, 1.0 - upper - lower)
                out += (across * open_share) * eye.across_field + (updown * open_share) * eye.updown_field
