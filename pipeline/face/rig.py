"""The rig: a blendshape vector in, deformed mesh vertices (and mouth-interior cues) out.

``vertices = rest + neutral + sum(w_k * field_k) + eyes(w) + pose(w)``, then the rings take their
share of the outline's motion.  ``neutral`` undoes the photo's own expression (a smiling photo
closes its lips and relaxes its corners) so that all-zero weights show a neutral face.  A final
guard scales the expression back in the rare mix that would still fold a triangle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.blendshapes import INDEX, SIZE
from pipeline.face import landmarks as lm
from pipeline.face.landmarks import FaceFrame
from pipeline.face.mesh import KIND_MOUTH, RING_FOLLOW, WarpMesh, signed_areas
from pipeline.face.neutral import PhotoExpression, measure, neutral_offset
from pipeline.face.rig_eyes import EyeRig
from pipeline.face.rig_fields import linear_fields, smoothstep

log = logging.getLogger(__name__)

MAX_YAW, MAX_PITCH, MAX_ROLL = 12.0, 10.0, 14.0
POSE_SMOOTHING = 12  # rounds of neighbour averaging of the landmark depth
#: Channels that lift the upper lip off the teeth (or drop the lower lip off them): the teeth
#: stay where the rest of the face puts them, so these reveal teeth instead of carrying them.
UPPER_REVEAL = ("mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight", "mouthShrugUpper")
LOWER_REVEAL = ("mouthLowerDownLeft", "mouthLowerDownRight")
#: Twice-area (px^2) below which a skin triangle counts as inverted: a sliver turned over by less
#: than a quarter of a pixel cannot be seen.  The mouth opening is not
#: skin: closed lips collapse it to nothing and a sideways jaw shears it, and its lips are kept
#: from crossing by construction (``_close_lips``), so its triangles are not counted.
FOLD_TOLERANCE = -0.5

UPPER = np.array(lm.LIP_INNER_UPPER)
LOWER = np.array(lm.LIP_INNER_LOWER)


@dataclass(slots=True)
class Deformed:
    """One frame's geometry: vertices plus, per mouth column, the cues the mouth painter needs."""

    vertices: np.ndarray  # (V, 2) float32, output pixels
    gap: np.ndarray  # (11,) px between the inner lips along the face's down axis
    upper_reveal: np.ndarray  # (11,) px the upper lip is lifted above the upper teeth
    lower_reveal: np.ndarray  # (11,) px the lower lip is dropped below the lower teeth
    down: np.ndarray  # (2,) the face's down axis after head roll
    scale: float  # expression share kept by the fold guard (1.0 almost always)


def _limit_depth_slope(z: np.ndarray, pts: np.ndarray, tris: np.ndarray, rounds: int = 60) -> np.ndarray:
    """Flatten the depth just enough that the largest head turn cannot fold any triangle.

    Turning by (yaw, pitch) moves a vertex by -z * (sin yaw, sin pitch), so a triangle stays the
    right way up while sin(yaw) * |dz/dx| + sin(pitch) * |dz/dy| < 1.  Slivers under the nose and
    along the lids can break that; their depth is pulled towards their own mean until it holds
    with a margin, everywhere else the depth is left as it is.
    """
    limit = 0.45
    sy, sp = np.sin(np.radians(MAX_YAW)), np.sin(np.radians(MAX_PITCH))
    a, b, c = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    ok = np.abs(area) > 1e-9
    tris, a, b, c, area = tris[ok], a[ok], b[ok], c[ok], area[ok]
    z = z.copy()
    for _ in range(rounds):
        za, zb, zc = z[tris[:, 0]], z[tris[:, 1]], z[tris[:, 2]]
        gx = ((zb - za) * (c[:, 1] - a[:, 1]) - (zc - za) * (b[:, 1] - a[:, 1])) / area
        gy = ((zc - za) * (b[:, 0] - a[:, 0]) - (zb - za) * (c[:, 0] - a[:, 0])) / area
        slope = sy * np.abs(gx) + sp * np.abs(gy)
        bad = slope > limit
        if not bad.any():
            break
        shrink = limit / slope[bad] * 0.98
        mean = (za[bad] + zb[bad] + zc[bad]) / 3
        total = np.zeros_like(z)
        count = np.zeros_like(z)
        for k, zk in enumerate((za, zb, zc)):
            ids = tris[bad, k]
            np.add.at(total, ids, mean + (zk[bad] - mean) * shrink)
            np.add.at(count, ids, 1.0)
        hit = count > 0
        z[hit] = total[hit] / count[hit]
    return z


class Rig:
    """Blendshape rig of one prepared portrait, in output pixels."""

    def __init__(self, mesh: WarpMesh) -> None:
        self.mesh = mesh
        n = mesh.n_vertices
        n_lm = lm.N_LANDMARKS
        self.frame = FaceFrame.from_landmarks(mesh.rest[:n_lm])
        self._skin = mesh.triangles[mesh.kinds != KIND_MOUTH]
        uv = self.frame.to_face(mesh.rest[:n_lm])
        surface = mesh.triangles[: mesh.n_surface]
        # First the photo's own expression, measured with fields authored on the photo ...
        photo_fields = linear_fields(uv, surface)
        self.photo: PhotoExpression = measure(uv, photo_fields)
        neutral = np.zeros((n, 2))
        neutral[:n_lm] = self.frame.vectors_to_image(neutral_offset(uv, surface, self.photo, photo_fields))
        closed = mesh.rest + neutral
        self._close_lips(closed)
        neutral = closed - mesh.rest
        for _ in range(12):
            if not self.folds(mesh.rest + neutral):
                break
            # A photo far from neutral: undo less of its expression rather than fold the mesh.
            neutral *= 0.85
            log.warning("portrait expression only partly neutralised (mesh would fold)")
        self._neutral = neutral
        # ... then every blendshape authored on the neutral face, which is what weights act on.
        base = mesh.rest + neutral
        fields = linear_fields(self.frame.to_face(base[:n_lm]), surface)
        self.names = tuple(sorted(fields))
        self.channels = np.array([INDEX[name] for name in self.names])
        basis = np.zeros((len(self.names), n, 2))
        for k, name in enumerate(self.names):
            basis[k, :n_lm] = self.frame.vectors_to_image(fields[name])
        self._basis = basis.reshape(len(self.names), -1)
        self._reveal_up = np.zeros((SIZE, len(UPPER)))
        self._reveal_low = np.zeros((SIZE, len(LOWER)))
        ey = self.frame.ey
        for name in UPPER_REVEAL:
            self._reveal_up[INDEX[name]] = -(basis[self.names.index(name), UPPER] @ ey)
        for name in LOWER_REVEAL:
            self._reveal_low[INDEX[name]] = basis[self.names.index(name), LOWER] @ ey
        self.eyes = EyeRig(base, self.frame, mesh.eye_middles)
        self._setup_pose()

    def _setup_pose(self) -> None:
        mesh = self.mesh
        n_lm = lm.N_LANDMARKS
        face = np.zeros(mesh.n_vertices, dtype=bool)
        face[:n_lm] = True
        for ids in mesh.eye_middles:
            face[ids] = True
        self._face = face
        pts = mesh.rest
        oval = pts[list(lm.FACE_OVAL)]
        centre = oval.mean(axis=0)
        # Radial position inside the outline (0 centre, 1 on it): depth fades to 0 at the outline
        # so turning the head never drags the outline over the background.
        ang_o = np.arctan2(*(oval - centre).T[::-1])
        rad_o = np.linalg.norm(oval - centre, axis=1)
        order = np.argsort(ang_o)
        ang = np.arctan2(*(pts - centre).T[::-1])
        radius = np.interp(ang, ang_o[order], rad_o[order], period=2 * np.pi)
        rho = np.linalg.norm(pts - centre, axis=1) / radius
        z = mesh.depth - mesh.depth[list(lm.FACE_OVAL)].mean()
        # Smooth the depth over the mesh: the head turns as one rounded shape.  Raw landmark depth
        # changes sharply under the nose and across the eyelids, and would fold those thin
        # triangles for a few degrees of nod.
        tris = mesh.triangles[face[mesh.triangles].all(axis=1)]
        n = mesh.n_vertices
        adj = np.zeros((n, n))
        for a, b in ((0, 1), (1, 2), (0, 2)):
            adj[tris[:, a], tris[:, b]] = adj[tris[:, b], tris[:, a]] = 1.0
        deg = np.maximum(adj.sum(axis=1), 1.0)
        z = np.where(face, z, 0.0)
        for _ in range(POSE_SMOOTHING):
            z = np.where(face, 0.5 * z + 0.5 * (adj @ z) / deg, 0.0)
        z = z * smoothstep(1.0, 0.72, rho) * face
        self._depth = _limit_depth_slope(z, pts, tris)
        chin = pts[lm.CHIN]
        self._pivot = chin + self.frame.ey * 0.9 * self.frame.unit
        ring_src = np.tile(np.array(lm.FACE_OVAL), len(RING_FOLLOW))
        self._ring_ids = mesh.rings.reshape(-1)
        self._ring_src = ring_src
        self._ring_follow = np.repeat(np.array(RING_FOLLOW), len(lm.FACE_OVAL))[:, None]

    def _pose(self, pts: np.ndarray, w: np.ndarray) -> np.ndarray:
        yaw = np.radians(np.clip(w[INDEX["headYaw"]], -MAX_YAW, MAX_YAW))
        pitch = np.radians(np.clip(w[INDEX["headPitch"]], -MAX_PITCH, MAX_PITCH))
        roll = np.radians(np.clip(w[INDEX["headRoll"]], -MAX_ROLL, MAX_ROLL))
        if not (yaw or pitch or roll):
            return pts
        f = self.frame
        face = self._face
        du = -self._depth * np.sin(yaw) + 0.12 * f.unit * np.sin(yaw)
        dv = -self._depth * np.sin(pitch) + 0.08 * f.unit * np.sin(pitch)
        out = pts.copy()
        out[face] += du[face, None] * f.ex + dv[face, None] * f.ey
        if roll:
            c, s = np.cos(roll), np.sin(roll)
            rel = out[face] - self._pivot
            out[face] = self._pivot + rel @ np.array([[c, s], [-s, c]])
        return out

    def _expression(self, w: np.ndarray, scale: float) -> np.ndarray:
        disp = (w[self.channels] @ self._basis).reshape(-1, 2)
        self.eyes.displacement(w, disp)
        return self._neutral + scale * disp

    def _assemble(self, w: np.ndarray, scale: float) -> np.ndarray:
        pts = self.mesh.rest + self._expression(w, scale)
        self._close_lips(pts)
        pts = self._pose(pts, w)
        moved = pts[self._ring_src] - self.mesh.rest[self._ring_src]
        pts[self._ring_ids] = self.mesh.rest[self._ring_ids] + self._ring_follow * moved
        return pts

    def _close_lips(self, pts: np.ndarray) -> None:
        """Inner lips may meet but never cross: a crossing column is set to its midpoint."""
        ey = self.frame.ey
        gap = (pts[LOWER] - pts[UPPER]) @ ey
        cross = gap < 0
        if np.any(cross):
            fix = (0.5 * gap[cross])[:, None] * ey
            pts[UPPER[cross]] += fix
            pts[LOWER[cross]] -= fix

    def folds(self, pts: np.ndarray) -> int:
        """How many skin triangles are inverted."""
        return int(np.count_nonzero(signed_areas(pts, self._skin) < FOLD_TOLERANCE))

    def deform(self, weights: np.ndarray) -> Deformed:
        """Vertices for ``weights`` (a ``pipeline.blendshapes`` vector)."""
        w = np.nan_to_num(np.asarray(weights, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        w = np.concatenate([np.clip(w[:52], 0.0, 1.0), w[52:]])
        # mouthClose closes lips the jaw has opened; with the jaw shut there is nothing to close.
        w[INDEX["mouthClose"]] = min(w[INDEX["mouthClose"]], w[INDEX["jawOpen"]])
        scale = 1.0
        pts = self._assemble(w, scale)
        if self.folds(pts):
            lo, hi = 0.0, 1.0
            for _ in range(7):
                mid = (lo + hi) / 2
                if self.folds(self._assemble(w, mid)):
                    hi = mid
                else:
                    lo = mid
            scale = lo
            pts = self._assemble(w, scale)
        roll = np.radians(np.clip(w[INDEX["headRoll"]], -MAX_ROLL, MAX_ROLL))
        c, s = np.cos(roll), np.sin(roll)
        down = np.array([[c, s], [-s, c]]).T @ self.frame.ey if roll else self.frame.ey
        return Deformed(
            vertices=pts.astype(np.float32),
            gap=np.maximum((pts[LOWER] - pts[UPPER]) @ down, 0.0),
            upper_reveal=scale * (w @ self._reveal_up),
            lower_reveal=scale * (w @ self._reveal_low),
            down=down,
            scale=scale,
        )
