"""A small real server for the WebRTC tests: FastAPI + uvicorn on 127.0.0.1 with the WHEP/offer
routes and the preview page, fed by a synthetic Stage (moving test pattern + 440 Hz tone).

aioice leaves 127.0.0.1 out of its host candidates; the server here offers only loopback so every
packet of these tests stays on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect

from integrations.outputs.base import SinkRunner
from integrations.webrtc import MediaFanout, WebRTCHub, build_router
from pipeline.frames import AudioChunk, MediaTick, VideoFrame

FPS, W, H, SR = 30, 320, 240, 48000
TONE_HZ = 440.0


def pattern(index: int) -> np.ndarray:
    """Left half red, right half blue, a white bar moving along the top (frames differ)."""
    img = np.zeros((H, W, 3), np.uint8)
    img[:, : W // 2] = (255, 0, 0)
    img[:, W // 2 :] = (0, 0, 255)
    img[:8, : (index * 8) % W] = 255
    return img


async def synthetic_stage(runner: SinkRunner, stop: asyncio.Event) -> None:
    """The Stage's job, minus the face: one tick per frame period on an absolute clock."""
    per = SR // FPS
    t0, i = time.monotonic(), 0
    frames = [pattern(k) for k in range(W // 8)]
    while not stop.is_set():
        t = (np.arange(per) + i * per) / SR
        pcm = (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        runner.offer(MediaTick(video=VideoFrame(index=i, pts=i / FPS, image=frames[i % len(frames)]),
                               audio=AudioChunk(start=i * per, sample_rate=SR, pcm=pcm)))
        i += 1
        delay = t0 + i / FPS - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class StageServer:
    url: str
    hub: WebRTCHub
    fanout: MediaFanout
    calls: list[tuple[str, Any]] = field(default_factory=list)
    ws_clients: list[WebSocket] = field(default_factory=list)

    async def publish(self, event: dict[str, Any]) -> None:
        for ws in list(self.ws_clients):
            with contextlib.suppress(Exception):
                await ws.send_json(event)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"])


@pytest.fixture
async def stage_server(loopback_ice: None) -> AsyncIterator[StageServer]:
    fanout = MediaFanout(FPS)
    hub = WebRTCHub(fanout, max_viewers=3)
    app = FastAPI()
    app.include_router(build_router(hub, page_path="/"))
    port = _free_port()
    server = StageServer(f"http://127.0.0.1:{port}", hub, fanout)

    # the control API's endpoints the page calls (the daemon's own live elsewhere): record what arrives
    for path in ("/api/say", "/api/interrupt", "/api/emotion"):
        async def control(request: Request, _path: str = path) -> dict[str, bool]:
            server.calls.append((_path, await request.json()))
            return {"ok": True}

        app.post(path)(control)

    @app.websocket("/api/events")
    async def events(websocket: WebSocket) -> None:
        await websocket.accept()
        server.ws_clients.append(websocket)
        try:
            await websocket.send_json({"kind": "hello"})
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            server.ws_clients.remove(websocket)

    runner = SinkRunner(fanout, queue_size=4)
    runner.start()
    stop = asyncio.Event()
    stage = asyncio.create_task(synthetic_stage(runner, stop))
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(web.serve())
    while not web.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield server
    finally:
        await hub.close()
        web.should_exit = True
        stop.set()
        await asyncio.wait_for(asyncio.gather(serving, stage, return_exceptions=True), 10)
        await runner.stop()
