"""The FastAPI application: preview page, control endpoints, live events, metrics, health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Response, WebSocket, WebSocketDisconnect
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse

from daemon.api.auth import TokenGuard
from daemon.api.models import Accepted, EmotionRequest, ProfileRequest, SayRequest
from pipeline.emotion import EmotionState

if TYPE_CHECKING:
    from daemon.service import Service

log = logging.getLogger(__name__)

PAGE = Path(__file__).resolve().parents[2] / "integrations" / "webrtc" / "static" / "index.html"


def create_app(service: Service) -> FastAPI:
    api = service.profile.api
    guard = TokenGuard(api.token_env, api.loopback_without_token)
    app = FastAPI(
        title="moodcam",
        version="0.1.0",
        description="Control an emotion-aware streaming avatar: say, interrupt, emotion, profile, status.",
    )
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=api.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    open_routes = APIRouter()
    control = APIRouter(prefix="/api", dependencies=[Depends(guard)])

    @open_routes.get("/api/health", tags=["status"])
    async def health() -> dict[str, Any]:
        """Liveness: the Stage is ticking."""
        stage = service.stage
        ok = stage is not None and stage.running.is_set()
        if not ok:
            raise HTTPException(503, "not streaming")
        return {"ok": True, "frames": stage.stats.frames}

    @open_routes.get("/", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(guard)])
    async def index() -> Response:
        if PAGE.is_file():
            return FileResponse(PAGE, media_type="text/html")
        return HTMLResponse("<!doctype html><title>moodcam</title><img src='/api/snapshot.jpg'>")

    @control.get("/status", tags=["status"])
    async def status() -> dict[str, Any]:
        """Stage state, queues, current utterance, per-stage latency, sinks."""
        return service.status()

    @control.get("/snapshot.jpg", tags=["status"], response_class=Response)
    async def snapshot() -> Response:
        """The latest frame as JPEG."""
        frame = service.preview.latest
        if frame is None:
            raise HTTPException(503, "no frame yet")
        _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        return Response(jpeg.tobytes(), media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    @control.post("/say", tags=["control"], status_code=202)
    async def say(body: SayRequest) -> Accepted:
        """Speak a line as it is (with an emotion, or one read from the text)."""
        emotion = EmotionState(body.emotion, body.intensity) if body.emotion else None
        try:
            job = await service.say(body.text, emotion)
        except asyncio.QueueFull:
            raise HTTPException(429, "too many lines waiting") from None
        return Accepted(job=job)

    @control.post("/interrupt", tags=["control"])
    async def interrupt() -> Accepted:
        """Stop speaking now and drop everything queued."""
        dropped = service.interrupt("operator")
        return Accepted(detail=f"dropped {dropped} job(s)")

    @control.post("/emotion", tags=["control"])
    async def emotion(body: EmotionRequest) -> Accepted:
        """Override the face's emotion (null: back to the brain's)."""
        service.override_emotion(EmotionState(body.emotion, body.intensity) if body.emotion else None)
        return Accepted()

    @control.post("/profile", tags=["control"])
    async def profile(body: ProfileRequest) -> Accepted:
        """Switch to (or reload) a profile without dropping the stream; a bad one is refused."""
        ok, detail = await service.reload(Path(body.path) if body.path else None)
        if not ok:
            raise HTTPException(422, detail)
        return Accepted(detail=detail)

    @open_routes.get("/metrics", include_in_schema=False, dependencies=[Depends(guard)])
    async def metrics() -> Response:
        return Response(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @open_routes.websocket("/api/events")
    async def events(websocket: WebSocket) -> None:
        """Live events: transcripts, replies, emotions, subtitles, moderation blocks."""
        if not guard.websocket_allowed(websocket):
            await websocket.close(code=4401)
            return
        await websocket.accept()
        sub = service.events.subscribe(256)
        stopping = asyncio.ensure_future(service.stop_event.wait())
        try:
            await websocket.send_json({"kind": "hello", **service.status_brief()})
            while True:
                nxt = asyncio.ensure_future(sub.queue.get())
                await asyncio.wait({nxt, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not nxt.done():  # the daemon is stopping: say goodbye instead of being cancelled
                    nxt.cancel()
                    await websocket.close(code=1001)
                    return
                await websocket.send_json(nxt.result().as_json())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            stopping.cancel()
            sub.close()
            with contextlib.suppress(Exception):
                await websocket.close()

    app.include_router(open_routes)
    app.include_router(control)
    for router in service.extra_routers(guard):
        app.include_router(router)
    return app
