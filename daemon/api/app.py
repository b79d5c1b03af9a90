"""The FastAPI application: preview page, health, status and a still snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
from fastapi import FastAPI, HTTPException, Response
from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from daemon.service import Service

_PAGE = """<!doctype html><meta charset=utf-8><title>moodcam</title>
<body style="background:#111;color:#eee;font-family:sans-serif">
<h1>moodcam</h1><img id=v width=512 src="/api/snapshot.jpg">
<script>setInterval(()=>{document.getElementById('v').src='/api/snapshot.jpg?'+Date.now()},200)</script>
"""


def create_app(service: Service) -> FastAPI:
    app = FastAPI(title="moodcam", version="0.1.0")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return _PAGE

    @app.get("/api/health")
    async def health() -> dict[str, object]:
        stage = service.stage
        return {"ok": stage is not None and stage.running.is_set(), "frames": stage.stats.frames if stage else 0}

    @app.get("/api/status")
    async def status() -> dict[str, object]:
        stage = service.stage
        if stage is None:
            raise HTTPException(503, "starting")
        return {
            "fps": stage.fps,
            "frames": stage.stats.frames,
            "late_frames": stage.stats.late_frames,
            "speaking": stage.speaking,
            "subtitle": stage.subtitle,
            "sinks": {
                r.name: {"up": r.stats.up, "written": r.stats.written, "dropped": r.stats.dropped,
                         "failures": r.stats.failures, "queue": r.depth}
                for r in stage.runners
            },
        }

    @app.get("/api/snapshot.jpg")
    async def snapshot() -> Response:
        frame = service.preview.latest
        if frame is None:
            raise HTTPException(503, "no frame yet")
        _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        return Response(jpeg.tobytes(), media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    return app
