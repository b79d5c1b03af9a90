"""RTMP push into a real nginx-rtmp on loopback, read back with ffprobe; reconnect after a crash."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import numpy as np
import pytest

from integrations.outputs.base import SinkRunner
from integrations.outputs.rtmp import RTMPError, RTMPSink, join_url, probe_rtmp, redact
from tests.integrations.outputs.media import SR, paced, ticks, tone_with_bursts
from tests.net import free_port
from tests.servers import ffprobe

W, H, FPS = 320, 240, 30
KEY = "live_9f3a-secret-key"


def _streams(info: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {s["codec_type"]: s for s in info["streams"]}


@pytest.fixture
def stream_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MOODCAM_TEST_RTMP_KEY", KEY)
    return "MOODCAM_TEST_RTMP_KEY"


async def test_push_reads_back_as_h264_and_aac(nginx_rtmp, stream_key, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    sink = RTMPSink(nginx_rtmp.url, W, H, FPS, key_env=stream_key, video_bitrate_kbps=800, keyframe_s=1.0)
    await sink.open()
    for tick in ticks(tone_with_bursts(3.0), FPS, W, H):
        await sink.write(tick)
    await sink.close()
    nginx_rtmp.stop()  # finalise the recording
    [recording] = nginx_rtmp.recordings
    assert recording.name.startswith(KEY), "the key reached the server as the stream name"
    info = ffprobe(recording)
    streams = _streams(info)
    video, audio = streams["video"], streams["audio"]
    assert video["codec_name"] == "h264" and (video["width"], video["height"]) == (W, H)
    assert video["r_frame_rate"] == "30/1"
    assert int(video["nb_read_frames"]) == 90
    assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == SR
    assert abs(float(info["format"]["duration"]) - 3.0) < 0.2
    assert KEY not in caplog.text and "<stream-key>" in caplog.text
    assert KEY not in sink.safe_url


async def test_reconnects_after_the_server_dies(nginx_rtmp, stream_key, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    sink = RTMPSink(nginx_rtmp.url, W, H, FPS, key_env=stream_key, video_bitrate_kbps=600,
                    connect_timeout=2.0, write_timeout=2.0)
    runner = SinkRunner(sink, queue_size=8, backoff_initial=0.2, backoff_max=0.4)
    runner.start()
    source = paced(ticks(tone_with_bursts(8.0), FPS, W, H), FPS)
    phase = 0
    async for tick in source:
        runner.offer(tick)
        t = tick.video.pts
        if phase == 0 and t >= 1.5:
            nginx_rtmp.kill()
            phase = 1
        elif phase == 1 and t >= 3.0:
            assert runner.stats.failures >= 1, "the push noticed the server was gone"
            nginx_rtmp.start()
            phase = 2
    await runner.stop(timeout=5)
    nginx_rtmp.stop()
    assert runner.stats.reopens >= 1 and sink.connections >= 2
    recordings = nginx_rtmp.recordings
    assert len(recordings) >= 2
    first, last = ffprobe(recordings[0]), ffprobe(recordings[-1])
    assert float(first["format"]["duration"]) > 0.8
    streams = _streams(last)
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    assert float(last["format"]["duration"]) > 2.5, "the push resumed and kept going"
    assert int(streams["video"]["nb_read_frames"]) > 60
    assert KEY not in caplog.text
    assert KEY not in (runner.stats.last_error or "")


async def test_a_stalled_server_cannot_freeze_the_loop(nginx_rtmp, stream_key) -> None:  # type: ignore[no-untyped-def]
    """The server stops reading: the write watchdog cuts the connection, the loop keeps running,
    and the push comes back when the server does."""
    sink = RTMPSink(nginx_rtmp.url, 640, 360, FPS, key_env=stream_key, video_bitrate_kbps=50000,
                    preset="ultrafast", connect_timeout=1.0, write_timeout=1.0)
    runner = SinkRunner(sink, queue_size=4, backoff_initial=0.2, backoff_max=0.5)
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    runner.start()
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(8)]
    source = ticks(np.zeros(SR * 60, np.float32), FPS, 640, 360)
    started, paused_at, resumed = time.monotonic(), None, False
    for tick in source:  # as fast as the sink takes them: noise at 50 Mbit/s fills socket buffers fast
        tick.video.image = noise[tick.video.index % len(noise)]
        runner.offer(tick)
        await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        if paused_at is None and runner.stats.written > 10:
            nginx_rtmp.pause()
            paused_at = elapsed
        if not resumed and sink.stalls:
            nginx_rtmp.resume()
            resumed = True
        if (resumed and runner.stats.reopens and runner.stats.written > 40) or elapsed > 40:
            break
    await runner.stop(timeout=5)
    beat.cancel()
    assert sink.stalls >= 1 and "stalled" in (runner.stats.last_error or "")
    assert "connection cut" in (runner.stats.last_error or ""), runner.stats.last_error
    assert runner.stats.reopens >= 1 and sink.connections >= 2, "the push came back after the stall"
    assert max(gaps) < 0.5, f"the event loop was blocked for {max(gaps):.2f} s"


async def test_refused_connection_is_redacted() -> None:
    url = f"rtmp://127.0.0.1:{free_port()}/live/"
    sink = RTMPSink(url, W, H, FPS, key=KEY, connect_timeout=1.0)
    with pytest.raises(RTMPError) as err:
        await sink.open()
    assert KEY not in str(err.value) and err.value.__cause__ is None and err.value.__context__ is None


async def test_a_server_that_never_answers_fails_open_in_time() -> None:
    """A TCP port that accepts and then says nothing: the handshake must not hang the sink."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    sink = RTMPSink(f"rtmp://127.0.0.1:{port}/live/", W, H, FPS, key=KEY, connect_timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(RTMPError, match="did not answer"):
            await sink.open()
        assert time.monotonic() - started < 3
    finally:
        listener.close()


def test_missing_key_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOODCAM_NO_SUCH_KEY", raising=False)
    with pytest.raises(RTMPError, match="MOODCAM_NO_SUCH_KEY"):
        RTMPSink("rtmp://127.0.0.1/live/", W, H, FPS, key_env="MOODCAM_NO_SUCH_KEY")


def test_probe(nginx_rtmp) -> None:  # type: ignore[no-untyped-def]
    ok, message = probe_rtmp(nginx_rtmp.url)
    assert ok and str(nginx_rtmp.port) in message
    ok, message = probe_rtmp(f"rtmp://127.0.0.1:{free_port()}/live")
    assert not ok and "cannot reach" in message
    assert probe_rtmp("http://example.invalid/")[0] is False


def test_url_helpers() -> None:
    assert join_url("rtmp://a/app/", "k") == "rtmp://a/app/k"
    assert join_url("rtmp://a/app", "k") == "rtmp://a/app/k"
    assert redact(f"Connection refused: 'rtmp://a/app/{KEY}'", KEY) == "Connection refused: 'rtmp://a/app/<stream-key>'"
