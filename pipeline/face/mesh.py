"""The warp mesh: the face surface, its eye and mouth holes filled, and rings fading into the photo.

Vertices 0..477 are the landmarks.  Three rings of extra vertices, scaled copies of the face
outline, carry a shrinking share of the outline's motion, so hair, neck and background bend a
little instead of tearing.  The outermost ring never moves: pixels beyond it are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.face import landmarks as lm

#: Ring scale (from the outline's centre) and the share of the outline's motion each ring follows.
RING_SCALES = (1.3, 1.7, 2.15)
RING_FOLLOW = (0.6, 0.22, 0.0)

KIND_SKIN, KIND_MOUTH, KIND_EYE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class WarpMesh:
    """Rest vertices (output pixels), depth, triangles and what each triangle is."""

    rest: np.ndarray  # (V, 2) float64
    depth: np.ndarray  # (V,) float64, mediapipe z in output pixels (smaller is nearer)
    triangles: np.ndarray  # (T, 3) int32, one orientation (positive signed area)
    kinds: np.ndarray  # (T,) int8: KIND_SKIN / KIND_MOUTH / KIND_EYE
    rings: np.ndarray  # (3, 36) vertex ids of each ring, matching FACE_OVAL order
    eye_middles: tuple[np.ndarray, np.ndarray]  # extra vertices between the lids (right, left eye)
    n_surface: int  # triangles[:n_surface] are the face surface itself (no holes filled, no rings)
    centre: np.ndarray  # (2,) centre the rings were scaled from

    @property
    def n_vertices(self) -> int:
        return len(self.rest)

    @property
    def outer_ring(self) -> np.ndarray:
        """The fixed outer ring's points, in order (the boundary of what can move)."""
        return self.rest[self.rings[-1]]


def signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Twice the signed area of each triangle, in image coordinates (y down)."""
    a, b, c = (points[triangles[:, k]] for k in range(3))
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _angle(at: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    a, b = p - at, q - at
    cos = float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def delaunay_flips(xy: np.ndarray, triangles: np.ndarray, max_rounds: int = 20) -> np.ndarray:
    """Flip interior edges until every one is locally Delaunay.

    The face-mesh topology has slivers (three nearly collinear landmarks); at small face sizes
    they invert under the slightest uneven motion.  Flipping gives the same surface with fat
    triangles.  Boundary edges (outline, eyes, mouth) are never touched.
    """
    tris = [list(t) for t in np.asarray(triangles)]
    for _ in range(max_rounds):
        edges: dict[tuple[int, int], list[int]] = {}
        for k, (a, b, c) in enumerate(tris):
            for e in ((a, b), (b, c), (c, a)):
                edges.setdefault((min(e), max(e)), []).append(k)
        touched: set[int] = set()
        flips = 0
        for (a, b), owners in edges.items():
            if len(owners) != 2 or owners[0] in touched or owners[1] in touched:
                continue
            t1, t2 = tris[owners[0]], tris[owners[1]]
            c = next(v for v in t1 if v not in (a, b))
            d = next(v for v in t2 if v not in (a, b))
            if _angle(xy[c], xy[a], xy[b]) + _angle(xy[d], xy[a], xy[b]) <= np.pi + 1e-9:
                continue

            # Only a convex quad can be flipped: c and d must lie on either side of the new edge.
            def side(p: int, c: int = c, d: int = d) -> float:
                u, w = xy[d] - xy[c], xy[p] - xy[c]
                return float(u[0] * w[1] - u[1] * w[0])

            if side(a) * side(b) >= 0:
                continue
            tris[owners[0]] = [c, d, a]
            tris[owners[1]] = [d, c, b]
            touched.update(owners)
            flips += 1
        if not flips:
            break
    return np.array(tris, dtype=np.int32)


#: Landmarks the rig relies on as outlines (lids, lips, brows, face outline): never collapsed.
PROTECTED = frozenset(
    lm.FACE_OVAL
    + lm.LIP_CORNERS
    + lm.LIP_UPPER_ALL
    + lm.LIP_LOWER_ALL
    + lm.RIGHT_EYE
    + lm.LEFT_EYE
    + lm.RIGHT_BROW_UPPER
    + lm.RIGHT_BROW_LOWER
    + lm.LEFT_BROW_UPPER
    + lm.LEFT_BROW_LOWER
)


def _orientations(xy: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = xy[tris[:, 0]], xy[tris[:, 1]], xy[tris[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _try_collapse(xy: np.ndarray, tris: np.ndarray, drop: int, keep: int) -> np.ndarray | None:
    """``tris`` with ``drop`` merged into ``keep``, or None if any remaining triangle would turn
    over or vanish."""
    touched = (tris == drop).any(axis=1)
    gone = touched & (tris == keep).any(axis=1)
    moved = tris[touched & ~gone].copy()
    before = np.sign(_orientations(xy, moved))
    moved[moved == drop] = keep
    after = _orientations(xy, moved)
    if np.any(np.sign(after) != before) or np.any(np.abs(after) < 1e-9):
        return None
    out = tris[~gone].copy()
    out[out == drop] = keep
    return out


def collapse_slivers(xy: np.ndarray, triangles: np.ndarray, min_dist: float) -> np.ndarray:
    """Merge landmarks out of the surface where they make slivers (edge collapses).

    On a small face some landmarks land within a fraction of a pixel of a neighbour, or of the
    edge between two neighbours; the slivers there turn over under the gentlest uneven motion.
    Such a vertex, if it is not part of an outline, is merged into the nearer end of that edge
    when no triangle around it would turn over.  It stays a landmark; it just draws nothing.
    """
    tris = np.asarray(triangles).copy()
    for _ in range(len(xy)):
        a, b, c = xy[tris[:, 0]], xy[tris[:, 1]], xy[tris[:, 2]]
        sides = np.stack(
            [np.linalg.norm(c - b, axis=1), np.linalg.norm(a - c, axis=1), np.linalg.norm(b - a, axis=1)], axis=1
        )  # side opposite each corner
        altitude = np.abs(_orientations(xy, tris)) / np.maximum(sides.max(axis=1), 1e-12)
        changed = False
        for k in np.argsort(altitude):
            if altitude[k] >= min_dist:
                break
            apex = int(np.argmax(sides[k]))  # the corner facing the longest side
            v = int(tris[k, apex])
            ends = [int(tris[k, j]) for j in range(3) if j != apex]
            ends.sort(key=lambda e: float(np.linalg.norm(xy[e] - xy[v])))
            candidates = [(v, e) for e in ends] + [(e, v) for e in ends]
            for drop, keep in candidates:
                if drop in PROTECTED:
                    continue
                merged = _try_collapse(xy, tris, drop, keep)
                if merged is not None:
                    tris, changed = merged, True
                    break
            if changed:
                break
        if not changed:
            break
    return tris


def _strip(upper: tuple[int, ...], lower: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """Triangles between two rows that share their end points (the mouth opening)."""
    tris = []
    for i in range(len(upper) - 1):
        u0, u1, l0, l1 = upper[i], upper[i + 1], lower[i], lower[i + 1]
        if u0 != l0:
            tris.append((u0, u1, l0))
        if u1 != l1:
            tris.append((u1, l1, l0))
    return tris


def _eye_middle(xy: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...], iris: int) -> np.ndarray:
    """Points between the lids at the iris centre's height share, one per inner column."""
    up, low = xy[list(upper[1:-1])], xy[list(lower[1:-1])]
    # The iris centre's height share in its own column (nearest column across the eye).
    col = int(np.argmin(np.abs(up[:, 0] - xy[iris, 0])))
    span = low[col, 1] - up[col, 1]
    share = float(np.clip((xy[iris, 1] - up[col, 1]) / span, 0.3, 0.7)) if span > 1e-6 else 0.5
    return up + share * (low - up)


def build(landmarks: np.ndarray, surface: np.ndarray) -> WarpMesh:
    """The mesh for landmarks (478, 3) already in output pixels and the surface triangles
    (cleaned with :func:`delaunay_flips` when the portrait was prepared)."""
    pts = np.asarray(landmarks, dtype=np.float64)
    xy, z = pts[:, :2].copy(), pts[:, 2].copy()
    tris: list[tuple[int, int, int]] = [tuple(t) for t in np.asarray(surface)]
    kinds: list[int] = [KIND_SKIN] * len(tris)

    extra_xy: list[np.ndarray] = []
    extra_z: list[float] = []
    middles: list[np.ndarray] = []
    eyes = (
        (lm.RIGHT_EYE_UPPER, lm.RIGHT_EYE_LOWER, lm.RIGHT_IRIS_CENTER),
        (lm.LEFT_EYE_UPPER, lm.LEFT_EYE_LOWER, lm.LEFT_IRIS_CENTER),
    )
    for upper, lower, iris in eyes:
        # The eyeball: two strips, lid to middle row and middle row to lid.  Closing the lids
        # squeezes each column, so no triangle can turn over however far they close.
        first = len(xy) + len(extra_xy)
        middle_xy = _eye_middle(xy, upper, lower, iris)
        ids = np.arange(first, first + len(middle_xy))
        extra_xy.extend(middle_xy)
        extra_z.extend((z[list(upper[1:-1])] + z[list(lower[1:-1])]) / 2)
        middle = (upper[0], *ids.tolist(), upper[-1])
        fill = _strip(upper, middle) + _strip(middle, lower)
        middles.append(ids)
        tris += fill
        kinds += [KIND_EYE] * len(fill)
    mouth = _strip(lm.LIP_INNER_UPPER, lm.LIP_INNER_LOWER)
    tris += mouth
    kinds += [KIND_MOUTH] * len(mouth)

    oval = np.array(lm.FACE_OVAL)
    centre = xy[oval].mean(axis=0)
    base = len(xy) + len(extra_xy)
    rings = np.arange(len(RING_SCALES) * len(oval)).reshape(len(RING_SCALES), len(oval)) + base
    inner = oval
    for k, scale in enumerate(RING_SCALES):
        ring_xy = centre + (xy[oval] - centre) * scale
        extra_xy.extend(ring_xy)
        extra_z.extend([0.0] * len(oval))
        outer = rings[k]
        n = len(oval)
        for i in range(n):
            j = (i + 1) % n
            tris.append((inner[i], inner[j], outer[j]))
            tris.append((inner[i], outer[j], outer[i]))
            kinds += [KIND_SKIN, KIND_SKIN]
        inner = outer

    rest = np.vstack([xy, np.array(extra_xy)]) if extra_xy else xy
    depth = np.concatenate([z, np.array(extra_z)])
    triangles = np.array(tris, dtype=np.int32)
    # Orient every triangle the same way at rest, so a fold shows as a negative area.  The mouth
    # strip may have no area at rest (closed lips); it is built in the right order already.
    kind_arr = np.array(kinds, dtype=np.int8)
    flip = (signed_areas(rest, triangles) < 0) & (kind_arr != KIND_MOUTH)
    triangles[flip] = triangles[flip][:, [0, 2, 1]]
    return WarpMesh(
        rest=rest,
        depth=depth,
        triangles=triangles,
        kinds=kind_arr,
        rings=rings,
        centre=centre,
        eye_middles=(middles[0], middles[1]),
        n_surface=len(surface),
    )
