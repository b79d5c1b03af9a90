"""The Stage clock: pacing, continuous audio, speech on one clock, isolation of bad sinks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import numpy as np
import pytest

from daemon.cli import PROFILES_DIR
from daemon.stage import Stage
from integrations.outputs.base import Sink, SinkRunner
from integrations.outputs.file_sink import FileSink
from integrations.outputs.preview import PreviewSink
from pipeline.emotion import EmotionState
from pipeline.face.still import RestPerformer, StillAnimator
from pipeline.frames import MediaTick
from pipeline.utterance import Utterance

PORTRAIT = PROFILES_DIR / "assets" / "astronaut.png"


class Collect(Sink):
    """Keeps every tick it is given."""

    name = "collect"

    def __init__(self) -> None:
        self.ticks: list[MediaTick] = []

    async def write(self, tick: MediaTick) -> None:
        self.ticks.append(tick)


class Slow(Sink):
    """A sink far slower than real time."""

    name = "slow"

    def __init__(self) -> None:
        self.count = 0

    async def write(self, tick: MediaTick) -> None:
        await asyncio.sleep(0.25)
        self.count += 1


class Flaky(Sink):
    """Fails every few writes and sometimes on open."""

    name = "flaky"

    def __init__(self) -> None:
        self.writes = 0
        self.opens = 0

    async def open(self) -> None:
        self.opens += 1
        if self.opens == 2:
            raise OSError("device busy")

    async def write(self, tick: MediaTick) -> None:
        self.writes += 1
        if self.writes % 7 == 0:
            raise RuntimeError("connection reset")


def make_stage(fps: int = 30) -> Stage:
    return Stage(StillAnimator(PORTRAIT, (128, 128)), RestPerformer(), fps=fps)


def tone(seconds: float, rate: int = 22050, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


async def run_for(stage: Stage, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(stage.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_ticks_are_paced_and_audio_is_continuous() -> None:
    stage = make_stage(fps=25)
    sink = Collect()
    stage.add_sink(SinkRunner(sink, queue_size=64))
    await run_for(stage, 1.2)
    ticks = sink.ticks
    assert 20 <= len(ticks) <= 33, len(ticks)  # loose: exact pacing is measured in bench/stage.py
    for k, tick in enumerate(ticks):
        assert tick.video.index == k
        assert tick.video.pts == pytest.approx(k / 25)
        assert tick.audio.start == k * 48000 // 25
        assert tick.audio.pcm.size == (k + 1) * 48000 // 25 - k * 48000 // 25
        assert tick.video.image.shape == (128, 128, 3)
        assert not tick.speaking and not tick.audio.pcm.any()  # idle: silence


def test_exact_sample_spacing_for_awkward_fps() -> None:
    stage = make_stage(fps=7)
    total = sum(stage.samples_for(k)[1] - stage.samples_for(k)[0] for k in range(7 * 60))
    assert total == 48000 * 60  # no drift over a minute


async def test_speech_is_placed_on_the_stage_clock() -> None:
    stage = make_stage(fps=30)
    sink = Collect()
    stage.add_sink(SinkRunner(sink, queue_size=256))
    utt = Utterance("hello", EmotionState.parse("happy"), tone(0.5), 22050)
    speech = stage.events.subscribe()
    assert stage.say(utt)
    await run_for(stage, 1.2)
    audio = np.concatenate([t.audio.pcm for t in sink.ticks])
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    assert loud.size > 0
    assert (loud[-1] - loud[0]) / 48000 == pytest.approx(0.5, abs=0.01)  # resampled to 48 kHz, whole
    speaking = [t for t in sink.ticks if t.speaking]
    assert speaking and all(t.utterance_id == utt.id for t in speaking)
    first = speaking[0]
    assert first.audio.start <= loud[0] < first.audio.start + first.audio.pcm.size + 1600
    kinds = []
    while not speech.queue.empty():
        kinds.append(speech.queue.get_nowait().kind)
    assert "speech.start" in kinds and "speech.end" in kinds and "subtitle" in kinds


async def test_interrupt_silences_within_the_lead() -> None:
    stage = make_stage(fps=30)
    sink = Collect()
    stage.add_sink(SinkRunner(sink, queue_size=256))
    stage.say(Utterance("long", EmotionState(), tone(3.0), 22050))
    stop = asyncio.Event()
    task = asyncio.create_task(stage.run(stop))
    await asyncio.sleep(0.6)
    cut = stage.interrupt("test")
    at_frame = stage.stats.frames
    await asyncio.sleep(0.4)
    stop.set()
    await task
    assert cut and cut[0].text == "long"
    after = [t for t in sink.ticks if t.video.index >= at_frame]
    assert after and not any(t.audio.pcm.any() for t in after)
    assert not any(t.speaking for t in after)


async def test_slow_and_failing_sinks_do_not_disturb_the_others(tmp_path: Path) -> None:
    stage = make_stage(fps=30)
    good, slow, flaky = Collect(), Slow(), Flaky()
    runners = [
        SinkRunner(good, queue_size=256),
        SinkRunner(slow, queue_size=4),
        SinkRunner(flaky, queue_size=8, backoff_initial=0.05, backoff_max=0.1),
    ]
    for runner in runners:
        stage.add_sink(runner)
    await run_for(stage, 2.0)
    frames = stage.stats.frames
    assert len(good.ticks) == frames  # the healthy sink saw every frame, in order
    assert [t.video.index for t in good.ticks] == list(range(frames))
    assert runners[1].stats.dropped > frames // 2 and slow.count >= 4
    assert runners[2].stats.failures >= 2 and runners[2].stats.reopens >= 1
    assert flaky.writes > frames // 2


async def test_mp4_file_decodes_with_duration_and_audio(tmp_path: Path) -> None:
    stage = make_stage(fps=30)
    path = tmp_path / "out.mp4"
    stage.add_sink(SinkRunner(FileSink(path, fps=30), queue_size=64))
    preview = PreviewSink()
    stage.add_sink(SinkRunner(preview))
    stage.say(Utterance("beep", EmotionState(), tone(0.4, freq=1000.0), 22050))
    await run_for(stage, 1.5)
    frames = stage.stats.frames
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == frames
    with av.open(str(path)) as container:
        astream = container.streams.audio[0]
        assert astream.codec_context.name == "aac" and astream.rate == 48000
        pcm = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    assert abs(pcm.size / 48000 - frames / 30) < 0.05
    assert np.abs(pcm).max() > 0.2  # the beep made it into the file
    assert preview.latest is not None and preview.latest.index == frames - 1
