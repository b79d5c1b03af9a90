"""The performance timeline: eased emotions, lip sync that owns the mouth, interrupts, idle life."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.blendshapes import INDEX, MOUTH_NAMES, NAMES
from pipeline.emotion import Emotion, EmotionState
from pipeline.face.expressions import PRESETS, expression
from pipeline.face.performer import FacePerformer
from pipeline.face.protocols import Performer
from pipeline.face.visemes_map import SHAPES, VISEME_SHAPES, VisemeTrack
from pipeline.utterance import Utterance
from pipeline.visemes import Viseme, VisemeKey

RATE = 22050
FPS = 30


def _utterance(spec: list[tuple[float, float, Viseme]], seconds: float) -> Utterance:
    keys = [VisemeKey(round(a * RATE), round(b * RATE), v) for a, b, v in spec]
    return Utterance("test", EmotionState(), np.zeros(round(seconds * RATE), np.float32), RATE, visemes=keys)


def _w(vec: np.ndarray, name: str) -> float:
    return float(vec[INDEX[name]])


def test_is_a_performer() -> None:
    performer: Performer = FacePerformer()
    assert performer.weights_at(0.0).shape == (len(NAMES),)


def test_emotion_eases_in_without_snapping() -> None:
    p = FacePerformer(life=False, ease_ms=220)
    p.set_emotion(EmotionState(Emotion.HAPPY, 1.0), at=1.0)
    target = expression(EmotionState(Emotion.HAPPY, 1.0))
    assert np.allclose(p.weights_at(1.0), 0.0, atol=1e-6)
    frames = np.array([p.weights_at(1.0 + k / FPS) for k in range(12)])
    steps = np.abs(np.diff(frames, axis=0))[:, :52]
    assert steps.max() < 0.45  # at 30 fps no channel jumps more than about half its travel
    assert 0.2 < _w(frames[3], "mouthSmileLeft") / _w(target, "mouthSmileLeft") < 0.95  # mid-way at 100 ms
    np.testing.assert_allclose(p.weights_at(1.3), target, atol=1e-5)  # settled by 300 ms
    # A change mid-way starts from where the face is, not from the old target.
    p.set_emotion(EmotionState(Emotion.SAD, 0.8), at=1.35)
    assert np.allclose(p.weights_at(1.35), target, atol=1e-5)


def test_lip_sync_follows_the_track_on_the_stage_clock() -> None:
    p = FacePerformer(life=False)
    spec = [(0.0, 0.25, Viseme.AA), (0.25, 0.33, Viseme.MBP), (0.33, 0.6, Viseme.O), (0.6, 0.8, Viseme.SILENCE)]
    p.speak(_utterance(spec, 0.8), at=10.0)
    assert _w(p.weights_at(9.5), "jawOpen") == 0.0  # before the utterance starts
    aa = p.weights_at(10.12)
    assert _w(aa, "jawOpen") > 0.35
    mbp = p.weights_at(10.29)
    assert _w(mbp, "mouthPressLeft") > 0.35 and _w(mbp, "jawOpen") < 0.5 * _w(aa, "jawOpen")
    o = p.weights_at(10.47)
    assert _w(o, "mouthFunnel") > 0.4
    assert _w(p.weights_at(11.5), "jawOpen") == 0.0  # done


def test_stop_speaking_returns_the_mouth_within_two_frames() -> None:
    p = FacePerformer(life=False)
    p.speak(_utterance([(0.0, 2.0, Viseme.AA)], 2.0), at=0.0)
    assert _w(p.weights_at(0.5), "jawOpen") > 0.4
    p.stop_speaking(at=0.5)
    after = p.weights_at(0.5 + 2 / FPS)
    mouth = [INDEX[n] for n in MOUTH_NAMES]
    assert np.abs(after[mouth]).max() < 1e-3
    assert not p.speaking(0.6)


def test_a_smile_while_talking_stays_a_smile() -> None:
    p = FacePerformer(life=False)
    p.set_emotion(EmotionState(Emotion.HAPPY, 1.0), at=0.0)
    p.speak(_utterance([(0.0, 1.0, Viseme.AA)], 1.0), at=1.0)
    talking = p.weights_at(1.5)
    assert _w(talking, "mouthSmileLeft") > 0.7 * PRESETS[Emotion.HAPPY]["mouthSmileLeft"]
    assert _w(talking, "jawOpen") > 0.4  # speech owns the jaw
    assert _w(talking, "cheekSquintLeft") == pytest.approx(PRESETS[Emotion.HAPPY]["cheekSquintLeft"], abs=1e-5)


def test_every_viseme_has_a_mouth_shape_and_only_a_mouth_shape() -> None:
    assert set(VISEME_SHAPES) == set(Viseme)
    for viseme, shape in VISEME_SHAPES.items():
        assert set(shape) <= MOUTH_NAMES, viseme
        assert all(0.0 <= v <= 1.0 for v in shape.values())
    assert not VISEME_SHAPES[Viseme.SILENCE]
    assert VISEME_SHAPES[Viseme.AA]["jawOpen"] > VISEME_SHAPES[Viseme.I]["jawOpen"]


def test_coarticulation_reaches_short_closures_and_never_snaps() -> None:
    spec = [(0.0, 0.2, Viseme.AA), (0.2, 0.24, Viseme.MBP), (0.24, 0.45, Viseme.AA)]
    keys = [VisemeKey(round(a * RATE), round(b * RATE), v) for a, b, v in spec]
    track = VisemeTrack(keys, RATE, at=5.0, duration=0.45)
    closure = track.sample(5.22)
    assert closure[INDEX["mouthPressLeft"]] > 0.6 * SHAPES[Viseme.MBP][INDEX["mouthPressLeft"]]
    assert closure[INDEX["jawOpen"]] < 0.5 * SHAPES[Viseme.AA][INDEX["jawOpen"]]
    series = np.array([track.sample(5.0 + k * 0.005) for k in range(90)])
    assert np.abs(np.diff(series, axis=0)).max() < 0.12  # 5 ms apart: smooth, no jumps
    # Mouth shapes lead their sound: the closure is on its way before it starts.
    assert track.sample(5.19)[INDEX["mouthPressLeft"]] > 0.05


def test_life_is_seeded_and_reproducible() -> None:
    times = [k / FPS for k in range(300)]
    a = np.array([FacePerformer(seed=7).weights_at(t) for t in times[:1]])
    p1, p2, p3 = FacePerformer(seed=7), FacePerformer(seed=7), FacePerformer(seed=8)
    s1 = np.array([p1.weights_at(t) for t in times])
    s2 = np.array([p2.weights_at(t) for t in times])
    s3 = np.array([p3.weights_at(t) for t in times])
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(s1[:1], a)
    assert not np.array_equal(s1, s3)
    pose = s1[:, 52:]
    assert np.abs(pose).max() < 5.0  # small sway and breathing
    assert pose.std(axis=0).min() > 0.05  # but never a frozen head
    gaze = s1[:, [INDEX["eyeLookInLeft"], INDEX["eyeLookOutLeft"]]]
    assert gaze.max() > 0.05  # saccades happen


def _blinks(emotion: Emotion, seconds: float = 240.0) -> int:
    p = FacePerformer(seed=3)
    p.set_emotion(EmotionState(emotion, 0.9), at=0.0)
    closed = np.array([p.weights_at(k / FPS)[INDEX["eyeBlinkLeft"]] > 0.8 for k in range(int(seconds * FPS))])
    return int(np.count_nonzero(closed[1:] & ~closed[:-1]))


def test_blink_rate_follows_the_emotion() -> None:
    sad, neutral, fearful = _blinks(Emotion.SAD), _blinks(Emotion.NEUTRAL), _blinks(Emotion.FEARFUL)
    assert 240 / 7 < neutral < 240 / 2  # every 2-7 s
    assert sad < neutral < fearful
