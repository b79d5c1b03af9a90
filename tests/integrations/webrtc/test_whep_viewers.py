"""WHEP viewers in other processes (aiortc), several at once; a frozen viewer costs the others nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
from aiortc import RTCPeerConnection

from integrations.webrtc import MediaFanout
from pipeline.frames import AudioChunk, MediaTick, VideoFrame
from tests.integrations.webrtc.conftest import FPS, TONE_HZ, H, W

CLIENT = Path(__file__).with_name("whep_client.py")


async def _viewer(url: str, seconds: float) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), url, str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"CONNECTED", line
    return proc


async def _report(proc: asyncio.subprocess.Process) -> dict:  # type: ignore[type-arg]
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    return json.loads(out.decode().strip().splitlines()[-1])


def _check_media(report: dict) -> None:  # type: ignore[type-arg]
    assert report["size"] == [W, H]
    left, right = report["left"], report["right"]
    assert left[0] > 200 and left[2] < 60, left  # red survives VP8
    assert right[2] > 200 and right[0] < 60, right  # blue
    assert report["audio_rms"] > 0.1
    assert abs(report["audio_peak_hz"] - TONE_HZ) < 10


async def test_two_viewers_and_a_frozen_one(stage_server) -> None:  # type: ignore[no-untyped-def]
    frozen = await _viewer(stage_server.url, 2.0)
    os.kill(frozen.pid, signal.SIGSTOP)  # this viewer stops reading anything
    try:
        a = await _viewer(stage_server.url, 3.0)
        b = await _viewer(stage_server.url, 3.0)
        assert stage_server.hub.viewers == 3
        reports = await asyncio.gather(_report(a), _report(b))
    finally:
        os.kill(frozen.pid, signal.SIGCONT)
        os.kill(frozen.pid, signal.SIGKILL)
        await frozen.wait()
    for report in reports:
        _check_media(report)
        assert report["fps"] > FPS * 0.8, f"a healthy viewer got {report['fps']} fps next to a frozen one"
        assert report["audio_samples"] > 48000 * 2.5
        assert report["delete_status"] == 200
    # the two that hung up are gone; the frozen one stays until ICE gives up on it (which a slow
    # run may already have seen happen)
    assert stage_server.hub.viewers <= 1


async def test_viewer_limit_and_bad_requests(stage_server) -> None:  # type: ignore[no-untyped-def]
    pcs = []
    async with httpx.AsyncClient(base_url=stage_server.url, timeout=10) as http:
        for _ in range(4):
            pc = RTCPeerConnection()
            pc.addTransceiver("video", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            pcs.append(pc)
            r = await http.post("/whep", content=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"})
            if len(pcs) <= 3:
                assert r.status_code == 201 and r.headers["location"].startswith("/whep/")
                assert "m=video" in r.text and "m=audio" not in r.text, "only what was offered is answered"
                assert "a=candidate" in r.text
            else:
                assert r.status_code == 503 and "Retry-After" in r.headers
        assert stage_server.hub.viewers == 3
        session = stage_server.hub.stats()[0]["id"]
        assert (await http.delete(f"/whep/{session}")).status_code == 200
        assert (await http.delete(f"/whep/{session}")).status_code == 404
        assert stage_server.hub.viewers == 2
        assert (await http.post("/whep", content="v=0", headers={"Content-Type": "application/sdp"})).status_code == 400
        assert (await http.post("/whep", content="x", headers={"Content-Type": "text/plain"})).status_code == 415
        assert (await http.patch(f"/whep/{session}")).status_code == 405
        r = await http.post("/api/webrtc/offer", json={"sdp": pcs[3].localDescription.sdp, "type": "offer"})
        assert r.status_code == 200 and r.json()["type"] == "answer" and r.json()["session"]
        assert (await http.post("/api/webrtc/offer", json={"type": "offer"})).status_code == 400
        assert stage_server.hub.viewers == 3
    for pc in pcs:
        await pc.close()


def _tick(i: int) -> MediaTick:
    return MediaTick(
        video=VideoFrame(index=i, pts=i / FPS, image=np.zeros((4, 4, 3), np.uint8)),
        audio=AudioChunk(start=i * 1600, sample_rate=48000, pcm=np.zeros(1600, np.float32)),
    )


async def test_fanout_never_waits_for_a_slow_subscriber() -> None:
    fanout = MediaFanout(FPS, video_slots=2, audio_s=0.2)
    slow, fast = fanout.subscribe(), fanout.subscribe()
    got: list[int] = []

    async def reader() -> None:
        while (frame := await fast.next_video()) is not None:
            got.append(frame.index)

    task = asyncio.create_task(reader())
    for i in range(100):
        await fanout.write(_tick(i))
        await asyncio.sleep(0)
    assert got == list(range(100)), "the reading subscriber got every frame in order"
    assert slow.dropped_video == 98 and slow.dropped_audio == 100 - 6
    frame = await slow.next_video()
    assert frame is not None and frame.index == 98, "a late reader resumes at the newest frames"
    fanout.flush()
    assert slow.dropped_audio == 94
    await fanout.close()
    await asyncio.wait_for(task, 1)
    assert await slow.next_video() is None and fanout.subscribers == []


@pytest.mark.parametrize("kind", ["audio", "video"])
async def test_tracks_end_when_the_viewer_is_dropped(kind: str) -> None:
    from integrations.webrtc.tracks import StageAudioTrack, StageVideoTrack

    fanout = MediaFanout(FPS)
    sub = fanout.subscribe()
    track = StageAudioTrack(sub) if kind == "audio" else StageVideoTrack(sub, FPS)
    for i in range(3):
        await fanout.write(_tick(10 + i))
    first = await track.recv()
    assert first.pts == 0 and first.time_base is not None
    second = await track.recv()
    assert second.pts == (960 if kind == "audio" else 3000)
    fanout.unsubscribe(sub)
    from aiortc.mediastreams import MediaStreamError

    with pytest.raises(MediaStreamError):
        while True:
            await track.recv()
    assert track.readyState == "ended"
