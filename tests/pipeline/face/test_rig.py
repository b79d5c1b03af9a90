"""Rig geometry: each blendshape moves the landmarks the right way, and nothing folds the mesh."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.blendshapes import INDEX, SIZE, from_mapping, zeros
from pipeline.emotion import Emotion, EmotionState
from pipeline.face import landmarks as lm
from pipeline.face.expressions import combine, expression
from pipeline.face.visemes_map import SHAPES


@pytest.fixture(scope="module")
def rig(animator):
    return animator.rig


def _face_height(rig) -> float:
    rest = rig.mesh.rest
    return float(np.linalg.norm(rest[lm.FOREHEAD] - rest[lm.CHIN]))


def _down(rig, pts: np.ndarray, i: int) -> float:
    return float(pts[i] @ rig.frame.ey)


def test_jaw_open_parts_the_inner_lips(rig) -> None:
    closed = rig.deform(zeros()).vertices
    opened = rig.deform(from_mapping({"jawOpen": 1.0})).vertices
    gap0 = _down(rig, closed, lm.STOMION_LOWER) - _down(rig, closed, lm.STOMION_UPPER)
    gap1 = _down(rig, opened, lm.STOMION_LOWER) - _down(rig, opened, lm.STOMION_UPPER)
    assert gap0 == pytest.approx(0.0, abs=0.5)  # the neutral face has closed lips
    # jawOpen = 1 parts the inner lips by at least 12 % of the face height (forehead to chin).
    assert (gap1 - gap0) / _face_height(rig) >= 0.12
    # The chin follows, the forehead does not.
    assert _down(rig, opened, lm.CHIN) - _down(rig, closed, lm.CHIN) > 0.1 * _face_height(rig)
    assert np.allclose(opened[lm.FOREHEAD], closed[lm.FOREHEAD], atol=0.05)


def test_smile_raises_and_frown_lowers_the_corners(rig) -> None:
    base = rig.deform(zeros()).vertices
    smile = rig.deform(from_mapping({"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0})).vertices
    frown = rig.deform(from_mapping({"mouthFrownLeft": 1.0, "mouthFrownRight": 1.0})).vertices
    h = _face_height(rig)
    for corner in (lm.MOUTH_CORNER_LEFT, lm.MOUTH_CORNER_RIGHT):
        assert _down(rig, base, corner) - _down(rig, smile, corner) > 0.03 * h
        assert _down(rig, frown, corner) - _down(rig, base, corner) > 0.03 * h
    width = lambda p: np.linalg.norm(p[lm.MOUTH_CORNER_LEFT] - p[lm.MOUTH_CORNER_RIGHT])  # noqa: E731
    assert width(smile) > width(base) * 1.1


def test_blink_closes_the_eye_and_wide_opens_it(rig) -> None:
    def opening(pts: np.ndarray) -> float:
        return _down(rig, pts, 374) - _down(rig, pts, 386)  # left eye, middle of the lids

    base = opening(rig.deform(zeros()).vertices)
    shut = opening(rig.deform(from_mapping({"eyeBlinkLeft": 1.0})).vertices)
    wide = opening(rig.deform(from_mapping({"eyeWideLeft": 1.0})).vertices)
    other = rig.deform(from_mapping({"eyeBlinkLeft": 1.0})).vertices
    assert base > 2.0
    assert 0.0 <= shut < 0.06 * base
    assert wide > 1.2 * base
    # The right eye is untouched by the left eye's blink.
    assert _down(rig, other, 145) - _down(rig, other, 159) == pytest.approx(
        _down(rig, rig.deform(zeros()).vertices, 145) - _down(rig, rig.deform(zeros()).vertices, 159), abs=1e-3
    )


def test_brows_and_gaze(rig) -> None:
    base = rig.deform(zeros()).vertices
    up = rig.deform(from_mapping({"browInnerUp": 1.0})).vertices
    down = rig.deform(from_mapping({"browDownLeft": 1.0, "browDownRight": 1.0})).vertices
    for brow in (107, 336):
        assert _down(rig, up, brow) < _down(rig, base, brow) - 2.0
        assert _down(rig, down, brow) > _down(rig, base, brow) + 2.0
    look = rig.deform(from_mapping({"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0})).vertices
    for iris in (lm.LEFT_IRIS_CENTER, lm.RIGHT_IRIS_CENTER):
        assert (look[iris] - base[iris]) @ rig.frame.ex > 1.0  # both irises move to the subject's left


def test_head_yaw_moves_the_nose_not_the_outer_ring(rig) -> None:
    base = rig.deform(zeros()).vertices
    turned = rig.deform(from_mapping({"headYaw": 10.0})).vertices
    nose = (turned[lm.NOSE_TIP] - base[lm.NOSE_TIP]) @ rig.frame.ex
    assert nose > 0.03 * rig.frame.unit * 2  # several pixels towards the subject's left
    outer = rig.mesh.rings[-1]
    np.testing.assert_allclose(turned[outer], base[outer], atol=1e-4)


def test_the_photos_smile_is_measured_and_undone(rig) -> None:
    assert rig.photo.smile > 0.5  # the astronaut smiles broadly
    assert rig.photo.lip_gap > 0.05  # with her teeth showing
    rest, neutral = rig.mesh.rest, rig.deform(zeros()).vertices
    for corner in (lm.MOUTH_CORNER_LEFT, lm.MOUTH_CORNER_RIGHT):
        assert _down(rig, neutral, corner) > _down(rig, rest, corner) + 2.0


def _grid():
    states = [EmotionState(e, 1.0 if e is not Emotion.NEUTRAL else 0.0) for e in Emotion]
    extras = [
        zeros(),
        from_mapping({"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}),
        from_mapping({"eyeLookUpLeft": 1.0, "eyeLookUpRight": 1.0, "headYaw": -8.0}),
        from_mapping({"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0, "headPitch": 8.0, "headRoll": 10.0}),
    ]
    for state in states:
        for shape in SHAPES.values():
            for extra in extras:
                w = combine(expression(state), shape, 1.0)
                w[:52] = np.maximum(w[:52], extra[:52])
                w[52:] += extra[52:]
                yield w


def test_presets_visemes_and_life_never_fold(rig) -> None:
    """The rig itself (no guard needed) keeps every triangle the right way up over every emotion
    with every viseme, blinking, glancing and turning."""
    count = 0
    for w in _grid():
        d = rig.deform(w)
        assert d.scale == 1.0
        assert rig.folds(d.vertices.astype(np.float64)) == 0
        count += 1
    assert count == 8 * len(SHAPES) * 4


def test_random_mixes_never_fold(rig) -> None:
    """Any mix at all, however odd: the fold guard keeps the mesh valid."""
    rng = np.random.default_rng(11)
    guarded = 0
    for _ in range(300):
        w = np.zeros(SIZE, dtype=np.float32)
        active = rng.random(52) < 0.35
        w[:52] = np.where(active, rng.random(52), 0.0)
        w[52:] = rng.uniform(-12, 12, 3)
        d = rig.deform(w)
        assert rig.folds(d.vertices.astype(np.float64)) == 0
        guarded += d.scale < 1.0
    assert guarded < 300  # the guard is a safety net, not the rule


def test_mouth_close_needs_an_open_jaw(rig) -> None:
    closed = rig.deform(from_mapping({"mouthClose": 1.0})).vertices
    gap = _down(rig, closed, lm.STOMION_LOWER) - _down(rig, closed, lm.STOMION_UPPER)
    assert gap >= -1e-3
    both = rig.deform(from_mapping({"jawOpen": 0.6, "mouthClose": 0.6})).vertices
    chin_base = _down(rig, rig.deform(zeros()).vertices, lm.CHIN)
    assert _down(rig, both, lm.CHIN) > chin_base + 5.0  # the jaw is down ...
    gap = _down(rig, both, lm.STOMION_LOWER) - _down(rig, both, lm.STOMION_UPPER)
    assert gap < 1.5  # ... and the lips are together


def test_weights_are_clamped(rig) -> None:
    w = zeros()
    w[INDEX["jawOpen"]] = 5.0
    assert np.allclose(rig.deform(w).vertices, rig.deform(from_mapping({"jawOpen": 1.0})).vertices)
