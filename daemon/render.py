"""`moodcam render`: text or a script -> emotion -> voice -> face -> an mp4 with audio, offline.

It runs the same pieces as the live Stage (speech track, performer, animator, encoder) as fast
as the machine allows instead of on the wall clock, so the clip matches what a stream would show.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from daemon.speech_track import SpeechTrack
from integrations.outputs.encoder import AVEncoder
from pipeline.emotion import Emotion, EmotionState
from pipeline.face.protocols import Animator, Performer
from pipeline.frames import AudioChunk, MediaTick, VideoFrame
from pipeline.utterance import Utterance

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScriptLine:
    """One line of a render script: its text and emotion (None: read from the text)."""

    text: str
    emotion: EmotionState | None


def parse_script(text: str, intensity: float = 0.7) -> list[ScriptLine]:
    """Lines of ``[emotion] text`` or ``emotion: text`` (or plain text); ``#`` starts a comment.

    Raises ValueError naming the line number for an unknown emotion.
    """
    lines: list[ScriptLine] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        emotion: EmotionState | None = None
        head, rest = None, line
        if line.startswith("[") and "]" in line:
            head, rest = line[1 : line.index("]")], line[line.index("]") + 1 :]
        elif ":" in line.split(" ", 1)[0]:
            head, rest = line.split(":", 1)
        if head is not None:
            name = head.strip().lower()
            if name != "auto":
                try:
                    emotion = EmotionState.parse(name, intensity)
                except ValueError as exc:
                    raise ValueError(f"script line {number}: {exc}") from None
        rest = rest.strip()
        if rest:
            lines.append(ScriptLine(rest, emotion))
    if not lines:
        raise ValueError("the script has no lines to say")
    return lines


def render_clip(
    utterances: list[Utterance],
    animator: Animator,
    performer: Performer,
    output: Path,
    fps: int = 30,
    sample_rate: int = 48_000,
    gap_s: float = 0.25,
    lead_in_s: float = 0.4,
    tail_s: float = 0.6,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Encode the utterances back to back with the face performing them; returns frames written."""
    track = SpeechTrack(
        sample_rate, gap_s=gap_s, max_queued=max(32, len(utterances)), not_before=round(lead_in_s * sample_rate)
    )
    for utt in utterances:
        track.enqueue(utt)
    gaps = sum(1 for u in utterances[1:] if not u.continues)
    speech_s = sum(u.duration for u in utterances) + gap_s * gaps
    total = int((lead_in_s + speech_s + tail_s) * fps) + 1
    width, height = animator.size
    encoder = AVEncoder(output, width, height, fps, sample_rate=sample_rate, fmt="mp4", preset="medium")
    try:
        for k in range(total):
            start, end = k * sample_rate // fps, (k + 1) * sample_rate // fps
            audio, started = track.pull(start, end - start)
            for playing in started:
                at = playing.start / sample_rate
                performer.set_emotion(playing.utterance.emotion, max(0.0, at - 0.15))
                performer.speak(playing.utterance, at)
            image = animator.render(performer.weights_at(k / fps))
            encoder.encode(
                MediaTick(
                    video=VideoFrame(index=k, pts=k / fps, image=image),
                    audio=AudioChunk(start=start, sample_rate=sample_rate, pcm=audio),
                )
            )
            if progress is not None:
                progress(k + 1, total)
    finally:
        encoder.close()
    return total


def text_progress(label: str) -> Callable[[int, int], None]:
    """A one-line progress bar on stderr (tqdm when it is a terminal, quiet steps otherwise)."""
    from tqdm import tqdm

    bar = tqdm(total=None, desc=label, unit="frame", file=sys.stderr, disable=None, leave=True)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()
        if done == total:
            bar.close()

    return update


NEUTRAL = EmotionState(Emotion.NEUTRAL, 0.0)


def render_command(
    profile_path: Path,
    output: Path,
    text: str | None,
    script: Path | None,
    emotion: str,
    intensity: float = 0.7,
) -> int:
    """Run text -> emotion -> voice -> face -> mp4; returns an exit code."""
    from daemon import exit_codes
    from daemon.components import build_face, build_reader, build_voice
    from daemon.config.profile import ProfileError, load_profile

    try:
        profile = load_profile(profile_path)
    except ProfileError as exc:
        print(f"moodcam: {exc}", file=sys.stderr)
        return exit_codes.BAD_PROFILE
    try:
        if script is not None:
            lines = parse_script(Path(script).read_text(encoding="utf-8"), intensity)
        else:
            fixed = None if emotion == "auto" else EmotionState.parse(emotion, intensity)
            lines = [ScriptLine(text or "", fixed)]
            if not (text or "").strip():
                raise ValueError("--text is empty")
    except (OSError, ValueError) as exc:
        print(f"moodcam: {exc}", file=sys.stderr)
        return exit_codes.BAD_PROFILE
    animator, performer = build_face(profile)
    voice = build_voice(profile)
    reader = build_reader(profile) if any(line.emotion is None for line in lines) else None
    utterances: list[Utterance] = []
    for line in lines:
        state = line.emotion
        if state is None:
            assert reader is not None
            state = reader.read(line.text).state  # type: ignore[attr-defined]
            log.info("emotion read from %r: %s %.2f", line.text[:40], state.emotion.value, state.intensity)
        utterances.extend(voice.stream(line.text, state))  # type: ignore[attr-defined]
    if not utterances:
        print("moodcam: nothing to say after removing markup, emoji and links", file=sys.stderr)
        return exit_codes.BAD_PROFILE
    frames = render_clip(utterances, animator, performer, Path(output), fps=profile.outputs.fps,
                         progress=text_progress("render"))
    seconds = frames / profile.outputs.fps
    print(f"wrote {output} ({animator.size[0]}x{animator.size[1]}, {seconds:.1f} s, {len(utterances)} sentences)")
    return exit_codes.OK
