"""An independent check: the face-mesh model run afresh on rendered frames (not the renderer's own
mesh) must see each emotion and viseme move the mouth, brows and eyes the right way."""

from __future__ import annotations

import pytest

from pipeline.blendshapes import from_mapping, zeros
from pipeline.emotion import Emotion, EmotionState
from pipeline.face.expressions import expression
from pipeline.face.visemes_map import SHAPES
from pipeline.visemes import Viseme
from tests.pipeline.face.conftest import face_measures


@pytest.fixture(scope="module")
def neutral(animator, detector) -> dict[str, float]:
    return face_measures(detector, animator.render(zeros()))


def _seen(animator, detector, weights, neutral) -> dict[str, float]:
    m = face_measures(detector, animator.render(weights))
    return {k: m[k] - neutral[k] for k in m}


# (measure, sign): sign +1 means it must rise against the neutral face, -1 fall.
EMOTION_CUES = {
    Emotion.HAPPY: [("corner_drop", -1), ("mouth_width", +1)],
    Emotion.SAD: [("corner_drop", +1), ("inner_brow", +1)],
    Emotion.ANGRY: [("inner_brow", -1), ("outer_brow", -1)],
    Emotion.SURPRISED: [("inner_brow", +1), ("outer_brow", +1), ("eye_open", +1), ("lip_gap", +1)],
    Emotion.FEARFUL: [("inner_brow", +1), ("eye_open", +1)],
    Emotion.DISGUSTED: [("nose_to_lip", -1), ("inner_brow", -1)],
    Emotion.CONCERNED: [("inner_brow", +1)],
}
#: Smallest change that counts as seen, in shares of the face height.
SEEN = {
    "corner_drop": 0.006,
    "mouth_width": 0.01,
    "inner_brow": 0.005,
    "outer_brow": 0.004,
    "eye_open": 0.002,
    "lip_gap": 0.02,
    "nose_to_lip": 0.003,
}


@pytest.mark.parametrize("emotion", list(EMOTION_CUES))
def test_each_emotion_is_seen(animator, detector, neutral, emotion: Emotion) -> None:
    delta = _seen(animator, detector, expression(EmotionState(emotion, 1.0)), neutral)
    for measure, sign in EMOTION_CUES[emotion]:
        assert sign * delta[measure] > SEEN[measure], (emotion, measure, delta[measure])


def test_visemes_are_seen(animator, detector, neutral) -> None:
    seen = {v: _seen(animator, detector, SHAPES[v], neutral) for v in Viseme if v is not Viseme.SILENCE}
    for v in (Viseme.AA, Viseme.O, Viseme.E):
        assert seen[v]["lip_gap"] > 0.03, v  # open vowels open the lips
    assert seen[Viseme.AA]["lip_gap"] > seen[Viseme.I]["lip_gap"]
    for v in (Viseme.O, Viseme.U, Viseme.WQ):
        assert seen[v]["mouth_width"] < -0.02, v  # rounded: narrower
    for v in (Viseme.E, Viseme.I):
        assert seen[v]["mouth_width"] > seen[Viseme.O]["mouth_width"] + 0.03, v  # spread
    assert seen[Viseme.MBP]["lip_gap"] < 0.005  # lips shut
    assert seen[Viseme.FV]["lip_gap"] < seen[Viseme.AA]["lip_gap"] / 3


def test_blink_and_turn_are_seen(animator, detector, neutral) -> None:
    shut = _seen(animator, detector, from_mapping({"eyeBlinkLeft": 0.9, "eyeBlinkRight": 0.9}), neutral)
    assert shut["eye_open"] < -0.5 * neutral["eye_open"]
    left = _seen(animator, detector, from_mapping({"headYaw": 10.0}), neutral)
    right = _seen(animator, detector, from_mapping({"headYaw": -10.0}), neutral)
    assert left["nose_x"] > 2.0 and right["nose_x"] < -2.0
