"""Displacement fields of the linear blendshapes, authored on the photo's own landmarks.

Each field gives every landmark a 2-D displacement in face units (the distance between the eye
centres; u along the eye line, v down the face) at weight 1.  Mouth shapes are defined on the four
lip rows and spread to the surrounding skin with a falloff; brows fade to nothing at the upper lid;
the jaw moves the lower face below a line through the mouth corners.  Eyelids and gaze are not
linear and live in :mod:`pipeline.face.rig_eyes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.face import landmarks as lm

JAW_DROP = 0.40  # chin travel at jawOpen = 1, face units


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _interp_row(uv: np.ndarray, row: tuple[int, ...], u: np.ndarray) -> np.ndarray:
    """The row's v at each u (linear, held flat beyond its ends)."""
    pts = uv[list(row)]
    order = np.argsort(pts[:, 0])
    return np.interp(u, pts[order, 0], pts[order, 1])


@dataclass(frozen=True, slots=True)
class Geometry:
    """The rest landmarks in face units, with the measures every field is built from."""

    uv: np.ndarray  # (478, 2)
    mouth_u: float
    mouth_v: float
    half_width: float  # half the mouth width
    laplacian: np.ndarray  # (478, 478) graph Laplacian of the surface mesh
    lip_side: np.ndarray  # (478,) +1 upper lip, -1 lower lip, 0 a corner or not a lip
    lip_depth: np.ndarray  # (478,) 0 on the inner edge of a lip .. 1 on its outer edge
    solvers: dict = field(default_factory=dict)  # fixed-set -> (free mask, operator), reused

    @classmethod
    def from_uv(cls, uv: np.ndarray, triangles: np.ndarray) -> Geometry:
        right, left = uv[lm.MOUTH_CORNER_RIGHT], uv[lm.MOUTH_CORNER_LEFT]
        stomion = (uv[lm.STOMION_UPPER] + uv[lm.STOMION_LOWER]) / 2
        n = len(uv)
        adj = np.zeros((n, n))
        tris = np.asarray(triangles)
        tris = tris[(tris < n).all(axis=1)]
        for a, b in ((0, 1), (1, 2), (0, 2)):
            adj[tris[:, a], tris[:, b]] = 1.0
            adj[tris[:, b], tris[:, a]] = 1.0
        lap = np.diag(adj.sum(axis=1)) - adj
        side = np.zeros(n)
        side[list(lm.LIP_UPPER_ALL)] = 1.0
        side[list(lm.LIP_LOWER_ALL)] = -1.0
        depth = np.zeros(n)
        u, v = uv[:, 0], uv[:, 1]
        for ids, inner, outer in (
            (list(lm.LIP_UPPER_ALL), lm.LIP_INNER_UPPER, lm.LIP_OUTER_UPPER),
            (list(lm.LIP_LOWER_ALL), lm.LIP_INNER_LOWER, lm.LIP_OUTER_LOWER),
        ):
            v_in = _interp_row(uv, inner, u[ids])
            v_out = _interp_row(uv, outer, u[ids])
            span = np.where(np.abs(v_out - v_in) < 1e-6, 1e-6, v_out - v_in)
            depth[ids] = np.clip((v[ids] - v_in) / span, 0.0, 1.0)
        for ids, h in (((78, 308), 0.0), ((62, 292), 0.33), ((76, 306), 0.66), ((61, 291), 1.0)):
            depth[list(ids)] = h
        return cls(
            uv=uv,
            mouth_u=float((right[0] + left[0]) / 2),
            mouth_v=float(stomion[1]),
            half_width=float((left[0] - right[0]) / 2),
            laplacian=lap,
            lip_side=side,
            lip_depth=depth,
        )

    @property
    def n(self) -> int:
        return len(self.uv)

    def du(self) -> np.ndarray:
        """Horizontal position across the mouth: -1 at the right corner, +1 at the left."""
        return (self.uv[:, 0] - self.mouth_u) / self.half_width

    def mouth_line(self, u: np.ndarray) -> np.ndarray:
        """Where the lips meet, at each u (flat beyond the corners)."""
        mid = (self.uv[list(lm.LIP_INNER_UPPER)] + self.uv[list(lm.LIP_INNER_LOWER)]) / 2
        order = np.argsort(mid[:, 0])
        return np.interp(u, mid[order, 0], mid[order, 1])

    def harmonic(self, values: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        """Fill the free vertices with the smoothest field (each the mean of its neighbours)
        that keeps ``values`` where ``fixed``; vertices without neighbours keep ``values``."""
        free = ~fixed & (np.diag(self.laplacian) > 0)
        out = np.array(values, dtype=np.float64)
        if free.any():
            key = free.tobytes()
            system = self.solvers.get(key)
            if system is None:
                lap = self.laplacian
                system = (np.linalg.inv(lap[np.ix_(free, free)]), lap[np.ix_(free, ~free)])
                self.solvers[key] = system
            inverse, coupling = system
            out[free] = -inverse @ (coupling @ out[~free])
        return out


LIP_IDS = np.array(sorted(lm.LIP_CORNERS + lm.LIP_UPPER_ALL + lm.LIP_LOWER_ALL))


def spread(geo: Geometry, lips: np.ndarray, reach: float, given: np.ndarray = LIP_IDS) -> np.ndarray:
    """Extend a displacement given on the lip edges to the inside of the lips and the skin.

    ``given`` are the vertices the shape is specified on (every lip vertex unless said otherwise).
    Everything else takes the smoothest (harmonic) field that matches the lip edges and is zero
    beyond 2.5 x ``reach`` face units from them, so neighbouring triangles stretch evenly
    instead of folding.
    """
    d = np.linalg.norm(geo.uv[:, None, :] - geo.uv[None, given, :], axis=2).min(axis=1)
    fixed = d > 2.5 * reach
    fixed[given] = True
    values = np.zeros((geo.n, 2))
    values[given] = lips[given]
    return geo.harmonic(values, fixed)


def _rows(geo: Geometry, inner_up, outer_up, inner_low, outer_low) -> np.ndarray:
    """A lip-only field from one function per lip edge, f(du) -> (n, 2), blended through each
    lip by depth (the corners take the mean of both lips)."""
    lips = np.zeros((geo.n, 2))
    du = np.clip(geo.du(), -1.0, 1.0)
    h = geo.lip_depth[:, None]
    upper = (1 - h) * inner_up(du) + h * outer_up(du)
    lower = (1 - h) * inner_low(du) + h * outer_low(du)
    side = geo.lip_side
    ids = LIP_IDS
    lips[ids] = np.where(
        side[ids, None] > 0, upper[ids], np.where(side[ids, None] < 0, lower[ids], (upper[ids] + lower[ids]) / 2)
    )
    return lips


def _vec(du: np.ndarray, x, y) -> np.ndarray:
    return np.stack([np.broadcast_to(x, du.shape), np.broadcast_to(y, du.shape)], axis=1).astype(float)


def jaw_weight(geo: Geometry) -> np.ndarray:
    """How much of the jaw's drop each vertex follows (lower lip and chin 1, upper face 0).

    Set on the lips, on the outline well below the line from the mouth corners up towards the
    ears (less towards the ears) and on everything well above it; harmonic in between, so the
    cheeks stretch smoothly however the photo's face is shaped.
    """
    u, v = geo.uv[:, 0], geo.uv[:, 1]
    off = np.abs(u - geo.mouth_u)
    corner_v = geo.mouth_line(np.array([geo.mouth_u - geo.half_width, geo.mouth_u + geo.half_width])).mean()
    split = np.where(off <= geo.half_width, geo.mouth_line(u), corner_v - 0.55 * (off - geo.half_width))
    below = v - split
    w = np.zeros(geo.n)
    fixed = np.zeros(geo.n, dtype=bool)
    oval = np.zeros(geo.n, dtype=bool)
    oval[list(lm.FACE_OVAL)] = True
    jaw = oval & (below > 0.12)
    w[jaw] = 1.0 - 0.6 * smoothstep(0.3, 1.0, off[jaw] / 0.9)
    fixed |= jaw
    above = (oval & (below < -0.12)) | (below < -0.3)
    fixed |= above
    du = np.clip(np.abs(geo.du()), 0.0, 1.0)
    side = geo.lip_side
    lips = LIP_IDS
    w[lips] = np.where(side[lips] > 0, 0.45 * du[lips] ** 3, np.where(side[lips] < 0, 1.0 - 0.55 * du[lips] ** 3, 0.45))
    fixed[lips] = True
    return np.clip(geo.harmonic(w, fixed), 0.0, 1.0)


def _side(geo: Geometry, sign: float) -> np.ndarray:
    """Soft mask of one half of the face: sign +1 the subject's left (u > mouth centre)."""
    return smoothstep(-0.12, 0.12, sign * (geo.uv[:, 0] - geo.mouth_u))


def _gauss(geo: Geometry, centre: np.ndarray, sx: float, sy: float) -> np.ndarray:
    d = geo.uv - centre
    return np.exp(-0.5 * ((d[:, 0] / sx) ** 2 + (d[:, 1] / sy) ** 2))


def _corner_pull(geo: Geometry, sign: float, move: tuple[float, float], su: float, sv: float) -> np.ndarray:
    """Move one mouth corner by ``move`` (u outward for ``sign``); everything near follows
    with a smooth elliptical falloff (``su``, ``sv`` face units), lips and skin alike."""
    corner = geo.uv[lm.MOUTH_CORNER_LEFT if sign > 0 else lm.MOUTH_CORNER_RIGHT]
    return _gauss(geo, corner, su, sv)[:, None] * np.array([sign * move[0], move[1]])


def _thin(geo: Geometry, side: float, share: np.ndarray) -> np.ndarray:
    """Lip-only field thinning one lip (``side`` +1 upper, -1 lower): each vertex moves towards
    the lip's inner edge by ``share`` of its depth, so the outer edge travels ``share`` of the way."""
    u = geo.uv[:, 0]
    inner, outer = (lm.LIP_INNER_UPPER, lm.LIP_OUTER_UPPER) if side > 0 else (lm.LIP_INNER_LOWER, lm.LIP_OUTER_LOWER)
    thickness = _interp_row(geo.uv, inner, u) - _interp_row(geo.uv, outer, u)
    lips = np.zeros((geo.n, 2))
    ids = LIP_IDS[geo.lip_side[LIP_IDS] == side]
    lips[ids, 1] = share[ids] * geo.lip_depth[ids] * thickness[ids]
    return lips


def mouth_fields(geo: Geometry) -> dict[str, np.ndarray]:
    """Jaw and mouth blendshapes."""
    f: dict[str, np.ndarray] = {}
    jaw = jaw_weight(geo)
    narrow = spread(geo, _rows(geo, *[lambda d: _vec(d, -0.035 * d, 0.0)] * 4), 0.2)
    f["jawOpen"] = narrow + np.stack([np.zeros(geo.n), JAW_DROP * jaw], axis=1)
    f["jawForward"] = np.stack([np.zeros(geo.n), 0.02 * jaw], axis=1)
    f["jawLeft"] = np.stack([0.07 * jaw, np.zeros(geo.n)], axis=1)
    f["jawRight"] = -f["jawLeft"]
    # mouthClose (never more than jawOpen, see the rig) lifts the lower lip back up by what the
    # jaw took down, leaving the chin where it is.
    lower_lip = np.zeros((geo.n, 2))
    lower_ids = LIP_IDS[geo.lip_side[LIP_IDS] < 0]
    lower_lip[lower_ids, 1] = -JAW_DROP * jaw[lower_ids]
    f["mouthClose"] = spread(geo, lower_lip, 0.06)

    def prof(d: np.ndarray) -> np.ndarray:
        return np.clip(1 - d * d, 0, 1)

    f["mouthFunnel"] = spread(
        geo,
        _rows(
            geo,
            lambda d: _vec(d, -0.1 * d, -0.045 * prof(d)),
            lambda d: _vec(d, -0.09 * d, -0.03 * prof(d)),
            lambda d: _vec(d, -0.1 * d, 0.07 * prof(d)),
            lambda d: _vec(d, -0.09 * d, 0.045 * prof(d)),
        ),
        0.2,
    )
    pucker_x = -0.24 * geo.half_width
    f["mouthPucker"] = spread(
        geo,
        _rows(
            geo,
            lambda d: _vec(d, pucker_x * d, 0.004 * prof(d)),
            lambda d: _vec(d, pucker_x * d, -0.02 * prof(d)),
            lambda d: _vec(d, pucker_x * d, -0.004 * prof(d)),
            lambda d: _vec(d, pucker_x * d, 0.028 * prof(d)),
        ),
        0.24,
    )
    for side, sign in (("Left", 1.0), ("Right", -1.0)):
        cheek = geo.uv[lm.MOUTH_CORNER_LEFT if sign > 0 else lm.MOUTH_CORNER_RIGHT] + [0.1 * sign, -0.28]
        lift = _gauss(geo, cheek, 0.2, 0.17)[:, None] * np.array([0.015 * sign, -0.045])
        f[f"mouthSmile{side}"] = _corner_pull(geo, sign, (0.11, -0.125), 0.25, 0.21) + lift
        f[f"mouthFrown{side}"] = _corner_pull(geo, sign, (0.02, 0.13), 0.22, 0.24)
        f[f"mouthStretch{side}"] = _corner_pull(geo, sign, (0.09, 0.025), 0.26, 0.2)
        f[f"mouthDimple{side}"] = _corner_pull(geo, sign, (0.035, -0.012), 0.15, 0.12)
        half = _side(geo, sign)
        press = _thin(geo, 1.0, 0.5 * half) + _thin(geo, -1.0, 0.5 * half)
        f[f"mouthPress{side}"] = spread(geo, press, 0.1, LIP_IDS)
        at = geo.mouth_u + sign * 0.45 * geo.half_width

        def bump(d: np.ndarray, at: float = at) -> np.ndarray:
            u = geo.mouth_u + d * geo.half_width
            return np.exp(-0.5 * ((u - at) / (0.45 * geo.half_width)) ** 2)

        f[f"mouthUpperUp{side}"] = spread(
            geo,
            _rows(
                geo,
                lambda d, b=bump: _vec(d, 0, -0.075 * b(d)),
                lambda d, b=bump: _vec(d, 0, -0.066 * b(d)),
                lambda d: _vec(d, 0, 0),
                lambda d: _vec(d, 0, 0),
            ),
            0.08,
        )
        f[f"mouthLowerDown{side}"] = spread(
            geo,
            _rows(
                geo,
                lambda d: _vec(d, 0, 0),
                lambda d: _vec(d, 0, 0),
                lambda d, b=bump: _vec(d, 0, 0.075 * b(d)),
                lambda d, b=bump: _vec(d, 0, 0.066 * b(d)),
            ),
            0.14,
        )
    f["mouthRollUpper"] = spread(geo, _thin(geo, 1.0, np.full(geo.n, 0.75)), 0.1, LIP_IDS)
    f["mouthRollLower"] = spread(geo, _thin(geo, -1.0, np.full(geo.n, 0.75)), 0.1, LIP_IDS)
    f["mouthShrugUpper"] = spread(
        geo,
        _rows(
            geo,
            lambda d: _vec(d, 0, -0.035 * (1 - 0.5 * d * d)),
            lambda d: _vec(d, 0, -0.035 * (1 - 0.5 * d * d)),
            lambda d: _vec(d, 0, 0),
            lambda d: _vec(d, 0, 0),
        ),
        0.12,
    )
    chin = np.array([geo.mouth_u, geo.mouth_v + 0.42])
    boss = _gauss(geo, chin, 0.28, 0.2) * smoothstep(0.0, 0.14, geo.uv[:, 1] - geo.mouth_line(geo.uv[:, 0]))
    # The chin pushes the lower lip up, and the closed upper lip with it (a pout).
    f["mouthShrugLower"] = spread(geo, _rows(geo, *[lambda d: _vec(d, 0, -0.04 * (1 - 0.5 * d * d))] * 4), 0.12)
    f["mouthShrugLower"][:, 1] += np.where(np.isin(np.arange(geo.n), LIP_IDS), 0.0, -0.035 * boss)
    shift = spread(geo, _rows(geo, *[lambda d: _vec(d, 0.075, 0.0)] * 4), 0.2)
    f["mouthLeft"], f["mouthRight"] = shift, -shift
    puff = np.zeros((geo.n, 2))
    for sign in (1.0, -1.0):
        puff += _gauss(geo, np.array([geo.mouth_u + sign * 0.62, geo.mouth_v - 0.2]), 0.2, 0.3)[:, None] * [
            0.05 * sign,
            0.0,
        ]
    f["cheekPuff"] = puff + 0.3 * f["mouthPucker"]
    f["tongueOut"] = 0.12 * f["jawOpen"]
    return f


def _brow_field(
    geo: Geometry, upper: tuple[int, ...], lower: tuple[int, ...], lid: tuple[int, ...], move
) -> np.ndarray:
    """Move one brow: ``move(p)`` gives (du, dv) at p in 0 (outer end) .. 1 (inner end).

    Skin above follows with a fade up the forehead; below, the motion fades linearly to zero at
    the upper lid, so the lid itself never moves and the mesh between cannot fold.
    """
    uv = geo.uv
    u, v = uv[:, 0], uv[:, 1]
    outer_u, inner_u = uv[lower[0], 0], uv[lower[-1], 0]
    p = np.clip((u - outer_u) / (inner_u - outer_u), 0.0, 1.0)
    lo = _interp_row(uv, lower, u)
    hi = _interp_row(uv, upper, u)
    lid_v = _interp_row(uv, lid, u)
    lid_v = np.maximum(lid_v, lo + 0.05)
    below = np.clip((lid_v - v) / (lid_v - lo), 0.0, 1.0)
    above = np.exp(-0.5 * (np.maximum(hi - v, 0.0) / 0.5) ** 2)
    vertical = np.where(v >= lo, below, above)
    lo_u, hi_u = min(outer_u, inner_u), max(outer_u, inner_u)
    gap = np.maximum(lo_u - u, 0) + np.maximum(u - hi_u, 0)
    lateral = np.exp(-0.5 * (gap / 0.14) ** 2)
    d = move(p)
    # Skin below the upper lid (the eye, the cheek) never follows the brow.
    lid_mask = (v <= lid_v + 1e-9).astype(float)
    w = (vertical * lateral * lid_mask)[:, None]
    out = w * d
    out[list(lid)] = 0.0
    return out


def face_fields(geo: Geometry) -> dict[str, np.ndarray]:
    """Brows, cheeks and nose."""
    f: dict[str, np.ndarray] = {}
    brows = (
        ("Left", 1.0, lm.LEFT_BROW_UPPER, lm.LEFT_BROW_LOWER, lm.LEFT_EYE_UPPER),
        ("Right", -1.0, lm.RIGHT_BROW_UPPER, lm.RIGHT_BROW_LOWER, lm.RIGHT_EYE_UPPER),
    )
    inner_up = np.zeros((geo.n, 2))
    for side, sign, upper, lower, lid in brows:
        inward = -sign  # toward the midline

        def inner(p, inward=inward):
            return np.stack([inward * 0.018 * p, -0.035 - 0.105 * p**1.5], axis=1)

        def outer(p):
            return np.stack([np.zeros_like(p), -0.025 - 0.105 * (1 - p) ** 1.2], axis=1)

        def down(p, inward=inward):
            return np.stack([inward * 0.055 * p, 0.065 + 0.065 * p], axis=1)

        inner_up += _brow_field(geo, upper, lower, lid, inner)
        f[f"browOuterUp{side}"] = _brow_field(geo, upper, lower, lid, outer)
        f[f"browDown{side}"] = _brow_field(geo, upper, lower, lid, down)
    f["browInnerUp"] = inner_up
    for side, sign, alar, eye_lower in (
        ("Left", 1.0, lm.ALAR_LEFT, lm.LEFT_EYE_LOWER),
        ("Right", -1.0, lm.ALAR_RIGHT, lm.RIGHT_EYE_LOWER),
    ):
        apple = geo.uv[list(eye_lower)].mean(axis=0) + np.array([0.03 * sign, 0.36])
        below_lid = smoothstep(0.0, 0.12, geo.uv[:, 1] - _interp_row(geo.uv, eye_lower, geo.uv[:, 0]))
        f[f"cheekSquint{side}"] = (_gauss(geo, apple, 0.2, 0.17) * below_lid)[:, None] * [0.0, -0.055]
        nose = _gauss(geo, geo.uv[alar] + [0.0, -0.02], 0.11, 0.1)[:, None] * [-0.012 * sign, -0.055]
        lips = _rows(
            geo,
            lambda d, s=sign: _vec(d, 0, -0.03 * np.exp(-0.5 * ((d - 0.35 * s) / 0.4) ** 2)),
            lambda d, s=sign: _vec(d, 0, -0.03 * np.exp(-0.5 * ((d - 0.35 * s) / 0.4) ** 2)),
            lambda d: _vec(d, 0, 0),
            lambda d: _vec(d, 0, 0),
        )
        lip = spread(geo, lips, 0.1)
        nose_only = nose * (1 - np.isin(np.arange(geo.n), LIP_IDS))[:, None]
        f[f"noseSneer{side}"] = nose_only + lip + 0.25 * f[f"browDown{side}"]
    return f


def linear_fields(uv: np.ndarray, triangles: np.ndarray) -> dict[str, np.ndarray]:
    """Every linear field for landmarks ``uv`` (478, 2) in face units on the surface ``triangles``."""
    geo = Geometry.from_uv(uv, triangles)
    fields = mouth_fields(geo)
    fields.update(face_fields(geo))
    return fields
