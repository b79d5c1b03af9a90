"""The portrait animator: blendshapes in, a framed RGB picture of the photo's face out."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from pipeline.blendshapes import INDEX, zeros
from pipeline.face import framing, mesh, portrait, raster
from pipeline.face import landmarks as lm
from pipeline.face.framing import Framing
from pipeline.face.mouth import MouthPainter
from pipeline.face.rig import Deformed, Rig

log = logging.getLogger(__name__)


class PortraitAnimator:
    """Animates one photo.  ``render`` is meant for a single render thread; it returns a new array.

    Build with :meth:`load`.  Only a crop around the face (inside the fixed outer ring) is redrawn
    each frame; the rest of the frame is the prepared plate.
    """

    def __init__(
        self, source: portrait.Portrait, size: tuple[int, int], framing_: Framing, background: tuple[int, int, int]
    ) -> None:
        self._size = (int(size[0]), int(size[1]))
        self.portrait = source
        ph, pw = source.image.shape[:2]
        self.placement = framing.place((pw, ph), source.landmarks, self._size, framing_)
        self.plate = framing.make_plate(source.image, self.placement, self._size, background)
        self.plate.setflags(write=False)
        pts = self.placement.apply(source.landmarks)
        self.mesh = mesh.build(pts, source.triangles)
        self.rig = Rig(self.mesh)
        self.mouth = MouthPainter(self.plate, self.mesh.rest, self.rig.frame.unit, self.rig.frame.ey)
        ring = self.mesh.outer_ring
        w, h = self._size
        self.crop = (
            max(0, int(np.floor(ring[:, 0].min()))),
            max(0, int(np.floor(ring[:, 1].min()))),
            min(w, int(np.ceil(ring[:, 0].max())) + 1),
            min(h, int(np.ceil(ring[:, 1].max())) + 1),
        )
        self._src = self._texture_coords().astype(np.float32)
        self._lid_lift = self._lid_texture_lift()
        self.last: Deformed | None = None
        t0 = time.perf_counter()
        self.render(zeros())
        log.debug("renderer ready in %.2f s", time.perf_counter() - t0)

    def _texture_coords(self) -> np.ndarray:
        """Where each vertex samples the plate: its rest position, except along parted lips.

        Where the photo's lips are apart the landmark sits on the lip's very edge, and closing
        the mouth would smear teeth and shadow into the lip line; those vertices sample a
        little way into their own lip instead (and the corners a little way out of the mouth).
        """
        src = self.mesh.rest.copy()
        down = self.rig.frame.ey
        upper, lower = list(lm.LIP_INNER_UPPER), list(lm.LIP_INNER_LOWER)
        gap = np.maximum((src[lower] - src[upper]) @ down, 0.0)
        nudge = np.minimum(1.2, 0.4 * gap)[:, None] * down
        src[upper] -= nudge
        src[lower] += nudge
        centre = (src[lm.STOMION_UPPER] + src[lm.STOMION_LOWER]) / 2
        for corner in (lm.INNER_CORNER_RIGHT, lm.INNER_CORNER_LEFT):
            if gap.max() > 1.0:
                away = src[corner] - centre
                src[corner] += 0.8 * away / max(float(np.linalg.norm(away)), 1e-6)
        return src

    def _lid_texture_lift(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per eye: the upper-lid vertices and how far up their texture slides on a full blink.

        The band of lid between lashes and crease is thin in most photos (thinner still when the
        eyes smile); stretched over a closed eye it would be mostly lashes.  As the lid closes, its
        lash-line vertices sample further up the lid instead, so a closed eye shows lid skin with
        the lashes along its edge.
        """
        rest, down, unit = self.mesh.rest, self.rig.frame.ey, self.rig.frame.unit
        out = []
        for upper, brow in ((lm.RIGHT_EYE_UPPER, lm.RIGHT_BROW_LOWER), (lm.LEFT_EYE_UPPER, lm.LEFT_BROW_LOWER)):
            ids = np.array(upper[1:-1])
            brow_v = float(np.mean(rest[list(brow)] @ down))
            room = np.maximum(rest[ids] @ down - brow_v, 0.0)
            lift = np.minimum(0.4 * room, 0.07 * unit)
            out.append((ids, lift[:, None] * down[None, :]))
        return out

    def _frame_src(self, weights: np.ndarray) -> np.ndarray:
        src = self._src
        for (ids, lift), side in zip(self._lid_lift, ("Right", "Left"), strict=True):
            closing = max(0.0, self.rig.eyes.lids(weights, side)[0])
            if closing > 0.02:
                if src is self._src:
                    src = self._src.copy()
                src[ids] -= (closing * lift).astype(np.float32)
        return src

    @classmethod
    def load(
        cls,
        portrait_path: Path,
        size: tuple[int, int] = (512, 512),
        framing: Framing = "head_and_shoulders",
        background: tuple[int, int, int] = (24, 24, 32),
        cache_dir: Path | None = None,
    ) -> PortraitAnimator:
        """Prepare ``portrait_path`` (cached beside it) for output ``size`` (width, height).

        Raises :class:`pipeline.face.portrait.PortraitError` when the photo cannot be animated.
        """
        return cls(portrait.prepare(Path(portrait_path), cache_dir), size, framing, background)

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def deform(self, weights: np.ndarray) -> Deformed:
        """The mesh geometry for ``weights`` (what :meth:`render` draws)."""
        return self.rig.deform(weights)

    def render(self, weights: np.ndarray) -> np.ndarray:
        """An H x W x 3 uint8 RGB frame showing the face with ``weights``."""
        weights = np.nan_to_num(np.asarray(weights, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        deformed = self.rig.deform(weights)
        attr, par = self.mouth.frame(deformed, float(np.clip(weights[INDEX["tongueOut"]], 0.0, 1.0)))
        out = self.plate.copy()
        x0, y0, x1, y1 = self.crop
        raster.warp(
            out,
            self.plate,
            deformed.vertices,
            self._frame_src(weights),
            self.mesh.triangles,
            self.mesh.kinds,
            attr,
            par,
            x0,
            y0,
            x1,
            y1,
        )
        self.last = deformed
        return out
