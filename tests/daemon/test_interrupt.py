"""An interrupt stops the voice within 100 ms and closes the mouth within 2 frames, in real outputs.

The real Stage drives the real face (PortraitAnimator + FacePerformer) into an mp4 file and into
the audio device (a private PulseAudio null sink, recorded back from its monitor with parec).
The avatar says a long open-mouthed tone and is interrupted in the middle; the checks read what
came out: the decoded mp4 (on the Stage clock by construction) and the recorded device audio
(put on the Stage clock through the device's measured delay, and also timed on the wall clock).
Idle life is off so that only speech moves the mouth region.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from daemon.events import Event, Subscription
from daemon.stage import Stage
from integrations.outputs.audio_device import AudioDeviceSink
from integrations.outputs.base import SinkRunner
from integrations.outputs.file_sink import FileSink
from pipeline.blendshapes import zeros
from pipeline.emotion import EmotionState
from pipeline.face.animator import PortraitAnimator
from pipeline.face.performer import FacePerformer
from pipeline.utterance import Utterance
from pipeline.visemes import Viseme, VisemeKey
from tests.integrations import avsync
from tests.integrations.conftest import skip_without_pulse
from tests.servers import Pulse, portrait_in, private_pulse, use_pulse

FPS, W, H, SR = 30, 256, 256, 48_000
SINK = "moodcam_voice"
LOUD = 0.02  # the tone is 0.5; codec and device noise stay far below this


@dataclass
class Interrupted:
    work: Path
    t0: float  # monotonic time of Stage tick 0
    start: int  # Stage sample where the utterance began
    called: float  # monotonic time of the interrupt() call
    next_frame: int  # the first frame the Stage sent out after the call
    cut: list[Utterance]
    box: tuple[slice, slice]
    rest: np.ndarray
    open_: np.ndarray
    sizes: avsync.SizeLog
    late_frames: int
    events: list[tuple[float, str, dict[str, object]]]  # (monotonic time, kind, data) from the call on

    @property
    def at(self) -> float:
        """The interrupt's time on the Stage clock (seconds)."""
        return self.called - self.t0


def _open_tone(seconds: float) -> Utterance:
    """A steady tone with the mouth wide open from first sample to last."""
    n = round(seconds * SR)
    audio = (0.5 * np.sin(2 * np.pi * 330.0 * np.arange(n) / SR)).astype(np.float32)
    return Utterance("aaaah", EmotionState(), audio, SR, visemes=[VisemeKey(0, n, Viseme.AA)])


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulse]:
    skip_without_pulse()
    with private_pulse(tmp_path_factory.mktemp("pulse"), ("other_sink", SINK)) as server, use_pulse(server):
        yield server


async def _until(condition, what: str, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(0.01)


async def _interrupt_mid_speech(work: Path, pulse: Pulse, animator: PortraitAnimator) -> Interrupted:
    stage = Stage(animator, FacePerformer(life=False), fps=FPS)
    voice = AudioDeviceSink(SINK, latency_ms=60)
    runners = [SinkRunner(FileSink(work / "cut.mp4", fps=FPS), queue_size=240), SinkRunner(voice, queue_size=240)]
    for runner in runners:
        stage.add_sink(runner)
    raw = work / "voice.raw"
    recorder = pulse.record(f"{SINK}.monitor", raw)
    sizes = avsync.SizeLog(work / "sizes.txt", [raw])
    stop = asyncio.Event()
    ticking = asyncio.create_task(stage.run(stop))
    heard = stage.events.subscribe()
    try:
        await _until(lambda: voice.stats.get("played_samples", 0) > SR // 2 and raw.exists(), "audio device")
        await asyncio.sleep(0.3)
        stage.say(_open_tone(4.0))
        await _until(lambda: stage.speech.playing is not None, "speech start")
        assert stage.speech.playing is not None
        start = stage.speech.playing.start
        late = stage.stats.late_frames
        # mid-speech, at a random point within a frame period
        await asyncio.sleep(1.5 + random.random() / FPS)
        while not heard.queue.empty():
            heard.queue.get_nowait()
        called, next_frame = time.monotonic(), stage.stats.frames
        cut = stage.interrupt("test")
        events = [(time.monotonic(), e.kind, e.data) for e in _drain(heard)]
        await asyncio.sleep(1.0)
        events += [(time.monotonic(), e.kind, e.data) for e in _drain(heard)]
        late = stage.stats.late_frames - late
    finally:
        stop.set()
        await asyncio.wait_for(ticking, 15)
        await asyncio.sleep(0.3)
        recorder.terminate()
        recorder.wait(5)
        sizes.stop()
    assert stage.stats.started_at is not None
    rest, open_ = animator.render(zeros()), animator.render(avsync.open_mouth_weights())
    return Interrupted(
        work, stage.stats.started_at, start, called, next_frame, cut, avsync.mouth_box(rest, open_), rest, open_,
        sizes, late, events,
    )


def _drain(sub: Subscription) -> list[Event]:
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


@pytest.fixture(scope="module")
def interrupted(pulse: Pulse, tmp_path_factory: pytest.TempPathFactory) -> Interrupted:
    work = tmp_path_factory.mktemp("interrupt")
    animator = PortraitAnimator.load(portrait_in(work), (W, H))
    return asyncio.run(_interrupt_mid_speech(work, pulse, animator))


def test_the_utterance_was_cut_and_the_subtitle_cleared_at_once(interrupted: Interrupted) -> None:
    assert [u.text for u in interrupted.cut] == ["aaaah"]
    assert interrupted.at > interrupted.start / SR + 1.0, "interrupted in the middle of speaking"
    at_once = [(kind, data) for t, kind, data in interrupted.events if t - interrupted.called < 0.005]
    cut_ids = [u.id for u in interrupted.cut]
    assert ("speech.interrupted", {"reason": "test", "cut": cut_ids}) in at_once
    assert ("subtitle", {"text": "", "id": None}) in at_once, "the subtitle (OBS, preview page) is cleared"
    later = [kind for _, kind, _ in interrupted.events]
    assert "speech.start" not in later and "subtitle.word" not in later


def test_file_audio_stops_within_100ms(interrupted: Interrupted) -> None:
    _, _, _, pcm = avsync.decode(interrupted.work / "cut.mp4")
    loud = np.flatnonzero(np.abs(pcm) > LOUD)
    assert loud.size and loud[0] / SR == pytest.approx(interrupted.start / SR, abs=0.01)
    after = loud[-1] / SR - interrupted.at
    print(f"file: last sound {1000 * after:+.1f} ms after the interrupt (Stage clock)")
    assert -0.1 < after <= 0.1


def test_mouth_is_at_rest_within_two_frames(interrupted: Interrupted) -> None:
    times, frames, _, _ = avsync.decode(interrupted.work / "cut.mp4")
    assert np.allclose(times, np.arange(len(times)) / FPS), "the file's frames are the Stage's ticks"
    rest = np.median(np.stack([f for f, t in zip(frames, times, strict=True) if 0.3 < t < interrupted.start / SR]), 0)
    signal = avsync.mouth_signal(frames, rest.astype(np.uint8), interrupted.box)
    speaking = signal[(times > interrupted.start / SR + 0.3) & (times < interrupted.at - 0.05)]
    open_level = float(np.median(speaking))
    assert open_level > 5 * (float(np.percentile(signal, 5)) + 0.5), "the mouth did not open while speaking"
    level = signal[interrupted.next_frame : interrupted.next_frame + 8] / open_level
    print(f"mouth after the interrupt (share of open), frame by frame: {np.round(level, 2).tolist()}")
    assert (level[1:] < 0.15).all(), "the mouth is not back at rest by the second frame after the interrupt"
    # only a frame due at the very moment of the call may go out undrawn (the previous picture again)
    assert interrupted.late_frames <= 1, "frames were repeated instead of drawn"


def test_device_audio_stops_within_100ms(interrupted: Interrupted) -> None:
    """Device audio has its own clock: its delay is measured at the utterance's first sound."""
    i = interrupted
    recorded = np.fromfile(i.work / "voice.raw", np.float32)[0::2]
    window = (i.t0 + i.start / SR - 1.0, i.called + 0.5)
    capture0 = avsync.stream_clock(i.sizes.growth(i.work / "voice.raw"), 8, SR, window)
    loud = np.flatnonzero(np.abs(recorded) > LOUD)
    assert loud.size, "nothing was heard"
    first, last = capture0 + loud[0] / SR, capture0 + loud[-1] / SR
    delay = first - (i.t0 + i.start / SR)  # the device plays Stage time s at t0 + s + delay
    on_stage_clock = last - delay - i.t0 - i.at
    on_wall_clock = last - i.called
    print(f"audio device: delay {1000 * delay:.0f} ms; last sound {1000 * on_stage_clock:+.1f} ms after the "
          f"interrupt on the Stage clock, {1000 * on_wall_clock:+.1f} ms after the call on the wall clock")
    assert on_stage_clock <= 0.1
    assert on_wall_clock <= 0.1, "the device kept playing after the interrupt"
