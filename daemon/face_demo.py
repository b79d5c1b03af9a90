"""``moodcam face demo``: render a short clip of the face going through every emotion and viseme.

For looking at, not streaming: it shows how a given photo animates (try ``--portrait``) before a
profile goes live.  The clip is H.264 (yuv420p) in an mp4, with a caption naming each segment.
"""

from __future__ import annotations

import logging
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from daemon.config.face import FaceConfig
from daemon.config.profile import ProfileError, load_profile
from pipeline.emotion import Emotion, EmotionState
from pipeline.face.animator import PortraitAnimator
from pipeline.face.performer import FacePerformer
from pipeline.face.portrait import PortraitError
from pipeline.utterance import Utterance
from pipeline.visemes import Viseme, VisemeKey

log = logging.getLogger(__name__)

PROFILES_DIR = Path(__file__).resolve().parents[1] / "profiles"
DEMO_RATE = 16000  # sample rate of the silent utterance that carries the viseme track
VISEME_S = 0.3  # each viseme is held this long in the demo, then a short rest
REST_S = 0.12


def _default_face() -> FaceConfig:
    return FaceConfig.model_validate({}, context={"base_dir": PROFILES_DIR})


def _caption(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    h = out.shape[0]
    scale = max(0.5, h / 720)
    org = (int(16 * scale), h - int(18 * scale))
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), int(4 * scale), cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), max(1, int(1.5 * scale)), cv2.LINE_AA)
    return out


def _timeline(seconds: float) -> tuple[list[tuple[float, float, str, EmotionState | None]], Utterance, float]:
    """Segments (start, end, caption, emotion to set) and the viseme utterance with its start."""
    segments: list[tuple[float, float, str, EmotionState | None]] = [(0.0, 0.8, "neutral", EmotionState())]
    t = 0.8
    order = [e for e in Emotion if e is not Emotion.NEUTRAL] + [Emotion.NEUTRAL]
    for emotion in order:
        state = EmotionState(emotion, 0.0 if emotion is Emotion.NEUTRAL else 0.9)
        segments.append((t, t + seconds, emotion.value, state))
        t += seconds
    keys: list[VisemeKey] = []
    start = t
    pos = 0.0
    for viseme in Viseme:
        if viseme is Viseme.SILENCE:
            continue
        a, b = round(pos * DEMO_RATE), round((pos + VISEME_S) * DEMO_RATE)
        keys.append(VisemeKey(a, b, viseme))
        segments.append((start + pos, start + pos + VISEME_S + REST_S, f"viseme {viseme.value}", None))
        pos += VISEME_S + REST_S
    audio = np.zeros(round(pos * DEMO_RATE), dtype=np.float32)
    utterance = Utterance("every viseme", EmotionState(), audio, DEMO_RATE, visemes=keys)
    return segments, utterance, start


def face_demo(
    profile_path: Path | None,
    output: Path,
    portrait: Path | None = None,
    seconds: float = 1.6,
    fps: int = 30,
) -> int:
    """Write the demo clip to ``output``; returns a process exit code (0 ok, 2 bad input)."""
    try:
        face = load_profile(Path(profile_path)).face if profile_path else _default_face()
    except ProfileError as exc:
        print(exc, file=sys.stderr)
        return 2
    photo = Path(portrait) if portrait else face.portrait
    try:
        animator = PortraitAnimator.load(
            photo, size=(face.width, face.height), framing=face.framing, background=face.background
        )
    except PortraitError as exc:
        print(f"cannot animate this photo: {exc}", file=sys.stderr)
        return 2
    performer = FacePerformer(seed=face.seed, ease_ms=face.ease_ms, life=face.idle_motion)
    segments, utterance, speak_at = _timeline(seconds)
    end = segments[-1][1] + 0.6
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    width, height = animator.size
    with av.open(str(output), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"crf": "20", "preset": "veryfast"}
        spoken = False
        current = 0
        for index in range(round(end * fps)):
            t = index / fps
            while current + 1 < len(segments) and segments[current + 1][0] <= t:
                current += 1
                state = segments[current][3]
                if state is not None:
                    performer.set_emotion(state, segments[current][0])
            if current == 0 and index == 0:
                performer.set_emotion(EmotionState(), 0.0)
            if not spoken and t >= speak_at:
                performer.speak(utterance, speak_at)
                spoken = True
            image = animator.render(performer.weights_at(t))
            frame = av.VideoFrame.from_ndarray(_caption(image, segments[current][2]), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    log.info("wrote %s (%d x %d, %.1f s)", output, width, height, end)
    print(f"wrote {output} ({width}x{height}, {end:.1f} s at {fps} fps)")
    return 0


def emotion_sheet(portrait: Path, output: Path, tile: tuple[int, int] = (200, 232), intensity: float = 0.9) -> Path:
    """The eight emotions side by side (4 x 2, labelled) as a PNG: the README's picture."""
    animator = PortraitAnimator.load(Path(portrait), (512, 512))
    from pipeline.face import landmarks as lm
    from pipeline.face.expressions import expression

    rest = animator.mesh.rest
    centre = (rest[lm.FOREHEAD] + rest[lm.CHIN]) / 2
    face_h = float(np.linalg.norm(rest[lm.FOREHEAD] - rest[lm.CHIN]))
    half_w, half_h = 0.66 * face_h, 0.66 * face_h * tile[1] / tile[0]
    x0, y0 = int(centre[0] - half_w), int(centre[1] - half_h * 1.02)
    x1, y1 = int(centre[0] + half_w), int(centre[1] + half_h * 0.98)
    label_h = 26
    tiles = []
    for emotion in Emotion:
        state = EmotionState(emotion, 0.0 if emotion is Emotion.NEUTRAL else intensity)
        frame = animator.render(expression(state))[max(0, y0) : y1, max(0, x0) : x1]
        face = cv2.resize(frame, tile, interpolation=cv2.INTER_AREA)
        label = np.full((label_h, tile[0], 3), 24, np.uint8)
        size = cv2.getTextSize(emotion.value, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)[0]
        cv2.putText(
            label,
            emotion.value,
            ((tile[0] - size[0]) // 2, 18),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (235, 235, 235),
            1,
            cv2.LINE_AA,
        )
        tiles.append(np.vstack([face, label]))
    sheet = np.vstack([np.hstack(tiles[:4]), np.hstack(tiles[4:])])
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    # A 256-colour palette keeps the picture small enough for a README (about 300 KB).
    Image.fromarray(sheet).quantize(
        colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG
    ).save(output, optimize=True)
    return output
