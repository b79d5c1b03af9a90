"""Lip sync measured in what every output actually delivers.

One run of the real Stage with the real face (PortraitAnimator + FacePerformer) feeds all the
outputs at once: the mp4 file, an RTMP push into nginx-rtmp (its recording read back), a WHEP
viewer (aiortc, in this process, over loopback), and the virtual camera (FUSE stand-in, since
this kernel has no v4l2loopback) beside the audio device (a PulseAudio null sink recorded back
with parec).  The utterance is a train of 120 ms tone bursts whose visemes open the mouth
exactly while each burst sounds (see ``avsync``); each test decodes one output and compares,
burst by burst, the centre of the mouth opening with the centre of the sound.

The face shapes the mouth ``VISUAL_LEAD_S`` (40 ms) before its sound on purpose, so every
offset is reported raw and net of that lead; the +/-20 ms criterion applies to the net offset.
Idle life (head sway, blinks) is off so that nothing but speech moves the mouth region.
At 30 fps a frame is 33 ms, so mouth events are timed by interpolating the half-height
crossings of the mouth signal between frames (see ``avsync``), not by counting frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import aioice.ice
import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI

from daemon.stage import Stage
from integrations.outputs.audio_device import AudioDeviceSink, playback_delay_ms
from integrations.outputs.base import SinkRunner
from integrations.outputs.file_sink import FileSink
from integrations.outputs.rtmp import RTMPSink
from integrations.outputs.virtual_camera import VirtualCameraSink, rgb_to_device_format
from integrations.webrtc import MediaFanout, WebRTCHub, build_router
from pipeline.blendshapes import zeros
from pipeline.face.animator import PortraitAnimator
from pipeline.face.performer import VISUAL_LEAD_S, FacePerformer
from tests.integrations import avsync
from tests.integrations.conftest import FuseCamera, fuse_camera_device, skip_without_fuse, skip_without_nginx_rtmp
from tests.net import free_port
from tests.servers import Nginx, Pulse, nginx_server, portrait_in

FPS, W, H, SR = 30, 256, 256, 48_000
SINK = "moodcam_voice"
DEVICE_LATENCY_MS = 60
TOLERANCE_MS = 20.0
DRIFT_MS = 10.0  # WebRTC arrival times on a loaded 2-core machine scatter by +/-6 ms per event
LEAD_MS = VISUAL_LEAD_S * 1000
# the camera holds its frames back by the audio device's delay, as the daemon does when both are on
CAMERA_DELAY_FRAMES = round(playback_delay_ms(DEVICE_LATENCY_MS, FPS) * FPS / 1000)


@dataclass
class Run:
    """Everything one Stage run left behind for the per-output checks."""

    work: Path
    t0: float  # monotonic time of Stage tick 0
    start: int  # Stage sample where the utterance began
    said_at: float  # monotonic time the utterance was queued (all outputs idle before it)
    plan: avsync.BurstPlan
    rest: np.ndarray
    box: tuple[slice, slice]
    recording: Path
    camera: FuseCamera
    sizes: avsync.SizeLog
    viewer: avsync.Viewer
    dropped: dict[str, int]
    late_frames: int  # while the utterance played

    @property
    def stage_centres(self) -> np.ndarray:
        """Burst centres on the Stage clock (seconds)."""
        return self.start / SR + self.plan.centres


async def _until(condition, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(0.05)


async def _play(work: Path, nginx: Nginx, camera: FuseCamera, pulse: Pulse, animator: PortraitAnimator) -> Run:
    stage = Stage(animator, FacePerformer(life=False), fps=FPS)
    fanout = MediaFanout(FPS)
    hub = WebRTCHub(fanout)
    voice = AudioDeviceSink(SINK, latency_ms=DEVICE_LATENCY_MS)
    sinks = [
        FileSink(work / "sync.mp4", fps=FPS),
        RTMPSink(nginx.url, W, H, FPS, key="sync", keyframe_s=1.0),
        fanout,
        VirtualCameraSink(W, H, FPS, device=camera.device, pixel_format="i420", delay_frames=CAMERA_DELAY_FRAMES),
        voice,
    ]
    runners = [SinkRunner(sink, queue_size=240) for sink in sinks]
    for runner in runners:
        stage.add_sink(runner)
    voice_raw = work / "voice.raw"
    recorder = pulse.record(f"{SINK}.monitor", voice_raw)
    sizes = avsync.SizeLog(work / "sizes.txt", [camera.out / "frames.raw", voice_raw])
    app = FastAPI()
    app.include_router(build_router(hub))
    port = free_port()
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(web.serve())
    stop = asyncio.Event()
    ticking = asyncio.create_task(stage.run(stop))
    utt, plan = avsync.burst_utterance()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            await _until(lambda: web.started, "uvicorn start")
            viewer = await avsync.Viewer.connect(http)
            await _until(lambda: len(viewer.video) > 15 and len(viewer.audio) > 25, "WebRTC media")
            await _until(lambda: all(r.stats.up for r in runners), "every output open")
            # a fresh null sink can take a moment before it pulls audio steadily
            await _until(lambda: voice.stats.get("played_samples", 0) > SR // 2 and voice_raw.exists(), "audio device")
            said_at = time.monotonic()
            late_before = stage.stats.late_frames
            assert stage.say(utt)
            await _until(lambda: stage.speech.playing is not None, "speech start", 2.0)
            assert stage.speech.playing is not None
            start = stage.speech.playing.start
            await asyncio.sleep(utt.duration + 0.6)
            late_during = stage.stats.late_frames - late_before
            await viewer.close(http)
    finally:
        stop.set()
        await asyncio.wait_for(ticking, 15)
        await hub.close()
        web.should_exit = True
        await asyncio.wait_for(serving, 10)
        await asyncio.sleep(0.3)  # the null sink's monitor hands over its last block
        recorder.terminate()
        recorder.wait(5)
        sizes.stop()
    rest = animator.render(zeros())
    box = avsync.mouth_box(rest, animator.render(avsync.open_mouth_weights(0.66)))
    assert stage.stats.started_at is not None
    return Run(
        work=work, t0=stage.stats.started_at, start=start, said_at=said_at, plan=plan, rest=rest, box=box,
        recording=Path(), camera=camera, sizes=sizes, viewer=viewer,  # recording: once nginx has finalised it
        dropped={r.name: r.stats.dropped for r in runners}, late_frames=late_during,
    )


@pytest.fixture(scope="module")
def run(pulse: Pulse, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One Stage run into every output at once (about 8 s of media)."""
    skip_without_nginx_rtmp()
    skip_without_fuse()
    work = tmp_path_factory.mktemp("avsync")
    animator = PortraitAnimator.load(portrait_in(work), (W, H))
    with contextlib.ExitStack() as stack:
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        # every ICE candidate on loopback: this test's packets never leave the machine
        mp.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"])
        nginx = stack.enter_context(nginx_server(work / "nginx"))
        camera = stack.enter_context(fuse_camera_device(work / "camera"))
        result = asyncio.run(_play(work, nginx, camera, pulse, animator))
        nginx.stop()  # finalises the recording
        [result.recording] = nginx.recordings
    return result  # the camera's recorded frames stay in camera.out after unmounting


# --- decoding -----------------------------------------------------------------------------------------


def _rest_reference(frames: list[np.ndarray], times: np.ndarray, before: float) -> np.ndarray:
    """The decoded rest pose: the median of idle frames (codec noise included, as in every frame)."""
    idle = [f for f, t in zip(frames, times, strict=True) if 0.3 < t < before]
    assert len(idle) >= 5, "too few idle frames before the utterance"
    return np.median(np.stack(idle), axis=0).astype(np.uint8)


def _container_report(run: Run, path: Path, sink: str) -> tuple[avsync.SyncReport, np.ndarray]:
    times, frames, audio_t0, pcm = avsync.decode(path)
    rest = _rest_reference(frames, times, run.start / SR - 0.2)
    mouth = avsync.centres(avsync.pulses(times, avsync.mouth_signal(frames, rest, run.box)))
    audio = avsync.centres(avsync.audio_bursts(pcm, SR, t0=audio_t0))
    report = avsync.SyncReport(sink, 1000 * avsync.pair_offsets(mouth, audio, len(run.plan.starts)), LEAD_MS)
    return report, audio


def _check(report: avsync.SyncReport) -> None:
    """Every event within the tolerance, and no trend across the utterance beyond the events' scatter.

    The bursts span about 3.5 s, so a real clock drift (a rate off by 100 ppm) would move the offset
    by well under a millisecond here; the trend bound only catches a sink that slides steadily within
    one utterance.  Drift over ten minutes is measured by bench/live.py.
    """
    print(report.line())
    assert np.abs(report.net_ms).max() <= TOLERANCE_MS, report.line()
    assert abs(report.drift_ms) <= DRIFT_MS, report.line()


def test_stage_run_was_clean(run: Run) -> None:
    """Every output got every tick (late, repeated frames are a matter of load: bench/live.py counts them)."""
    assert run.dropped == dict.fromkeys(run.dropped, 0), run.dropped


def test_mp4_file(run: Run) -> None:
    report, audio = _container_report(run, run.work / "sync.mp4", "file")
    # the file's timeline is the Stage clock: the bursts are where the Stage put them
    np.testing.assert_allclose(audio, run.stage_centres, atol=0.002)
    _check(report)


def test_rtmp_push_recorded_by_nginx(run: Run) -> None:
    report, _ = _container_report(run, run.recording, "rtmp")
    _check(report)


def _webrtc_offsets(run: Run, clock_of) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Per-burst offsets (ms) at the WHEP viewer with ``clock_of(kind, rtp, rate)`` giving seconds."""
    v = run.viewer
    video_t = clock_of("video", [v.origin("video") + f.pts for f in v.video], 90_000)
    audio_t = clock_of("audio", [v.origin("audio") + f.pts for f in v.audio], SR)
    frames = [f.data for f in v.video]
    idle = [f.data for f in v.video if f.arrival < run.said_at][5:]
    assert len(idle) >= 5
    rest = np.median(np.stack(idle), axis=0).astype(np.uint8)
    mouth = avsync.centres(avsync.pulses(video_t, avsync.mouth_signal(frames, rest, run.box)))
    # audio frames are contiguous 20 ms blocks: lay them end to end from the first one's time
    gaps = np.diff([f.pts for f in v.audio])
    assert (gaps == gaps[0]).all(), "audio frames were lost or reordered"
    pcm = np.concatenate([f.data for f in v.audio])
    audio = avsync.centres(avsync.audio_bursts(pcm, SR, t0=float(audio_t[0])))
    return 1000 * avsync.pair_offsets(mouth, audio, len(run.plan.starts))


def test_webrtc_viewer(run: Run) -> None:
    """Timed as a browser lines the two streams up: each RTP clock mapped onto the sender's clock.

    A browser learns that mapping from the RTCP sender reports, which pair the RTP timestamp of
    the packet just sent with the time it was sent.  Here every packet's arrival on loopback is
    that same pairing (a few hundred samples instead of a handful of reports), so the median of
    all of them is the mapping, with the report-based one printed beside it as a cross-check.
    """
    v = run.viewer

    def by_reports(kind: str, rtp: list[int], rate: int) -> np.ndarray:
        return avsync.sender_time(rtp, v.reports[kind], rate, v.origin(kind))

    def by_packets(kind: str, rtp: list[int], rate: int) -> np.ndarray:
        first: dict[int, float] = {}
        for arrival, ts in v.packets[kind]:
            first.setdefault(ts, arrival)  # a video frame spans several packets: its first one
        stamps = avsync.unwrap(list(first), v.origin(kind)) / rate
        offset = float(np.median(np.array(list(first.values())) - stamps))
        return avsync.unwrap(rtp, v.origin(kind)) / rate + offset

    reports = avsync.SyncReport("webrtc (RTCP sender reports)", _webrtc_offsets(run, by_reports), LEAD_MS)
    print(reports.line())
    _check(avsync.SyncReport("webrtc", _webrtc_offsets(run, by_packets), LEAD_MS))


def _camera(run: Run) -> tuple[avsync.SyncReport, np.ndarray]:
    """The camera's mouth events on the Stage clock plus the device's arrival latency; per-frame latency."""
    size = run.camera.format()["sizeimage"]
    raw = np.frombuffer(run.camera.raw(), np.uint8)
    count = len(raw) // size
    luma = [raw[k * size : k * size + W * H].reshape(H, W) for k in range(count)]
    arrivals = avsync.arrival_times(run.sizes.growth(run.camera.out / "frames.raw"), size, count)
    index_t = np.arange(count) / FPS  # frame k is Stage tick k: nothing was dropped
    latency = (arrivals - (run.t0 + index_t))[(index_t > run.stage_centres[0] - 1) & (index_t < run.stage_centres[-1])]
    rest = rgb_to_device_format(run.rest, "i420", W, H)[: W * H].reshape(H, W)
    mouth = avsync.centres(avsync.pulses(index_t, avsync.mouth_signal(luma, rest, run.box)))
    shown = avsync.pair_offsets(mouth, run.stage_centres, len(run.plan.starts)) + np.median(latency)
    return avsync.SyncReport("virtual camera vs Stage audio", 1000 * shown, LEAD_MS), latency


def _camera_undelayed(run: Run) -> tuple[avsync.SyncReport, np.ndarray]:
    """The camera against the Stage clock with its deliberate hold-back taken off."""
    report, latency = _camera(run)
    held = 1000 * CAMERA_DELAY_FRAMES / FPS
    return avsync.SyncReport(f"virtual camera vs Stage audio, net of its {held:.0f} ms hold",
                             report.raw_ms - held, LEAD_MS), latency


def _audio_device_latency(run: Run) -> np.ndarray:
    """Per burst: when it reached the null sink's monitor, minus its time on the Stage clock."""
    recorded = np.fromfile(run.work / "voice.raw", np.float32)[0::2]
    window = (run.t0 + run.stage_centres[0] - 1.0, run.t0 + run.stage_centres[-1] + 0.5)
    capture0 = avsync.stream_clock(run.sizes.growth(run.work / "voice.raw"), 8, SR, window)
    heard = avsync.centres(avsync.audio_bursts(recorded, SR, t0=capture0))
    heard = heard[heard > window[0]]
    assert len(heard) == len(run.plan.starts), f"the audio device played {len(heard)} bursts"
    return heard - (run.t0 + run.stage_centres)


def test_virtual_camera(run: Run) -> None:
    """Timed by when each frame's bytes reached the camera device, against the Stage clock's audio."""
    report, latency = _camera_undelayed(run)
    print(f"camera: frames reach the device {1000 * np.median(latency):.1f} ms after their Stage time "
          f"(p95 {1000 * np.percentile(latency, 95):.1f})")
    _check(report)


def test_audio_device_latency_and_the_pair(run: Run) -> None:
    """The audio device against the Stage clock, and the camera + audio device pair a program (OBS)
    capturing both would see: the difference of the two devices' latencies.

    The audio device has its own clock, so its delay is what it is told (``latency_ms`` of jitter
    buffer at its low point, plus up to one Stage tick that arrives at once, and ``latency_ms`` again
    of device buffer) and must stay there, whatever backlog built up while the device was starting.
    The camera has no buffer of its own; it holds its frames back by that delay (whole frames), so
    the pair lines up without an offset set by hand.
    """
    latency = _audio_device_latency(run)
    camera, _ = _camera(run)
    pair = avsync.SyncReport("camera + audio device", camera.raw_ms - 1000 * latency, LEAD_MS)
    print(f"audio device: bursts reach the sink's monitor {1000 * latency.mean():.1f} ms after their Stage time "
          f"(spread {1000 * np.ptp(latency):.1f} ms; latency_ms {DEVICE_LATENCY_MS})")
    print(pair.line())
    assert np.ptp(latency) < 0.005, "the audio device's delay changed within one utterance"
    assert latency.mean() <= (2 * DEVICE_LATENCY_MS + 1000 / FPS + TOLERANCE_MS) / 1000, (
        f"the audio device plays {1000 * latency.mean():.0f} ms behind the Stage clock"
    )
    # the hold is whole frames: it can be off by up to half a frame on top of the tolerance
    assert np.abs(pair.net_ms).max() <= TOLERANCE_MS + 500 / FPS, pair.line()
