"""The renderer: frames of the right size, stable from frame to frame, a believable mouth and lids."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.blendshapes import from_mapping, zeros
from pipeline.face import landmarks as lm
from pipeline.face.animator import PortraitAnimator


def _luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ [0.299, 0.587, 0.114]


def _white(pixels: np.ndarray) -> float:
    p = pixels.astype(np.int32)
    return float(((_luma(pixels) > 140) & (p.max(axis=1) - p.min(axis=1) < 40)).mean())


def _poly_mask(shape: tuple[int, ...], pts: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def test_frame_size_and_type(animator) -> None:
    frame = animator.render(zeros())
    assert animator.size == (512, 512)
    assert frame.shape == (512, 512, 3)
    assert frame.dtype == np.uint8
    assert frame.flags.writeable  # a fresh array each call, safe to hand to sinks
    assert animator.render(zeros()) is not frame


def test_720p_places_the_face_on_a_background(portrait_path: Path, tmp_path: Path) -> None:
    anim = PortraitAnimator.load(portrait_path, (1280, 720), background=(10, 200, 30), cache_dir=tmp_path)
    frame = anim.render(from_mapping({"jawOpen": 0.4}))
    assert frame.shape == (720, 1280, 3)
    # The photo is narrower than the frame: the colour shows beside it.
    assert tuple(frame[360, 2]) == (10, 200, 30)
    rest = anim.mesh.rest
    face_h = np.linalg.norm(rest[lm.FOREHEAD] - rest[lm.CHIN])
    assert face_h == pytest.approx(720 / 3, rel=0.02)  # head and shoulders: face a third of the height
    assert 0.3 * 1280 < rest[lm.NOSE_TIP, 0] < 0.7 * 1280


def test_same_weights_same_picture_and_no_shimmer(animator) -> None:
    w = from_mapping({"jawOpen": 0.3, "mouthSmileLeft": 0.4, "browInnerUp": 0.5, "headYaw": 3.0})
    a, b = animator.render(w), animator.render(w)
    np.testing.assert_array_equal(a, b)
    w2 = w.copy()
    w2[:52] += 0.001  # a change far below a pixel of motion
    w2[52:] += 0.01
    diff = np.abs(animator.render(w2).astype(int) - a.astype(int))
    assert diff.max() <= 10  # no speckle, no popping slivers: only edges shift a hair
    assert diff.mean() < 0.05


def test_slow_motion_changes_frames_gradually(animator) -> None:
    prev = None
    worst_p999 = 0.0
    for k in range(31):
        s = k / 30
        w = from_mapping(
            {
                "jawOpen": 0.6 * s,
                "mouthSmileLeft": 0.5 * s,
                "mouthSmileRight": 0.5 * s,
                "browInnerUp": s,
                "headYaw": 4.0 * s,
                "headRoll": -3.0 * s,
            }
        )
        frame = animator.render(w).astype(int)
        if prev is not None:
            jump = np.abs(frame - prev).max(axis=2)
            worst_p999 = max(worst_p999, float(np.percentile(jump, 99.9)))
            assert (jump > 60).mean() < 0.002  # only a few edge pixels change a lot
        prev = frame
    assert worst_p999 < 30


def test_only_the_face_crop_moves(animator) -> None:
    frame = animator.render(from_mapping({"jawOpen": 1.0, "headYaw": 12.0, "headRoll": 14.0, "browInnerUp": 1.0}))
    outside = ~_poly_mask(frame.shape, animator.mesh.outer_ring)
    # No tearing at the edge: everything beyond the fixed outer ring is the untouched photo.
    np.testing.assert_array_equal(frame[outside], animator.plate[outside])


def test_open_mouth_shows_teeth_cavity_and_tongue(animator) -> None:
    w = from_mapping({"jawOpen": 0.7})
    frame = animator.render(w)
    verts = animator.last.vertices
    inner = np.vstack([verts[list(lm.LIP_INNER_UPPER)], verts[list(reversed(lm.LIP_INNER_LOWER))]])
    mouth = _poly_mask(frame.shape, inner)
    assert mouth.sum() > 300
    pixels = frame[mouth].astype(np.float64)
    luma = _luma(pixels)
    assert luma.min() < 50  # a dark cavity, not stretched lip skin
    assert np.percentile(luma, 97) > 150  # the photo's teeth
    red = (pixels[:, 0] > pixels[:, 1] + 30) & (luma > 60)
    assert red.mean() > 0.05  # a tongue
    assert animator.mouth.photo_teeth


def test_closed_lipped_photo_gets_drawn_teeth(portrait_path: Path, tmp_path: Path) -> None:
    # The neutral render of the default portrait is itself a closed-lipped photo.
    photo = PortraitAnimator.load(portrait_path, (512, 512), framing="photo", cache_dir=tmp_path)
    path = tmp_path / "closed.png"
    cv2.imwrite(str(path), cv2.cvtColor(photo.render(zeros()), cv2.COLOR_RGB2BGR))
    closed = PortraitAnimator.load(path, (512, 512), cache_dir=tmp_path)
    assert not closed.mouth.photo_teeth
    frame = closed.render(from_mapping({"jawOpen": 0.45}))
    verts = closed.last.vertices
    inner = np.vstack([verts[list(lm.LIP_INNER_UPPER)], verts[list(reversed(lm.LIP_INNER_LOWER))]])
    pixels = frame[_poly_mask(frame.shape, inner)]
    luma = _luma(pixels)
    assert np.percentile(luma, 95) > 170  # bright teeth where the photo had none
    assert luma.min() < 60


def test_closed_eyes_show_eyelids(animator) -> None:
    open_frame = animator.render(zeros())
    shut = animator.render(from_mapping({"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}))
    rest = animator.deform(zeros()).vertices
    for eye in (lm.LEFT_EYE, lm.RIGHT_EYE):
        mask = _poly_mask(open_frame.shape, rest[list(eye)])
        dark_open = (_luma(open_frame[mask]) < 90).mean()
        dark_shut = (_luma(shut[mask]) < 90).mean()
        assert dark_open > 0.2  # iris and lashes
        assert dark_shut < 0.5 * dark_open  # lid skin over the eye
        # The white of the eye (bright and grey) is gone; lid skin is as bright but skin-coloured.
        sclera_open, sclera_shut = _white(open_frame[mask]), _white(shut[mask])
        assert sclera_open > 0.05
        assert sclera_shut < 0.2 * sclera_open


def test_garbage_weights_do_not_break_the_picture(animator) -> None:
    w = zeros()
    w[:] = np.nan
    np.testing.assert_array_equal(animator.render(w), animator.render(zeros()))
    w = np.full_like(zeros(), 50.0)  # far out of range: clamped, never folded
    frame = animator.render(w)
    assert frame.shape == (512, 512, 3)
    assert animator.rig.folds(animator.last.vertices.astype(np.float64)) == 0
