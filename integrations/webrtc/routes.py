"""HTTP endpoints for viewers, for the control API's FastAPI app to mount.

- ``POST /whep`` (WHEP, RFC 9725): body is the SDP offer (``application/sdp``); answers ``201`` with
  the SDP answer and ``Location: /whep/<id>``.  ``DELETE /whep/<id>`` hangs up.  Trickle ICE is
  not offered (``PATCH`` -> 405): offers and answers carry all their candidates.
- ``POST /api/webrtc/offer``: the same as JSON ``{"sdp", "type"}`` -> ``{"sdp", "type", "session"}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.params import Depends
from fastapi.responses import FileResponse, JSONResponse

from integrations.webrtc.hub import BadOffer, ViewerLimit, WebRTCHub

STATIC_DIR = Path(__file__).parent / "static"
INDEX_HTML = STATIC_DIR / "index.html"
MAX_SDP_BYTES = 64 * 1024


async def whep_post(hub: WebRTCHub, request: Request, prefix: str = "/whep") -> Response:
    """WHEP: SDP offer in, ``201 Created`` with the SDP answer and the session's URL."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/sdp":
        return Response("expected Content-Type: application/sdp", status_code=415)
    body = await request.body()
    if len(body) > MAX_SDP_BYTES:
        return Response("offer too large", status_code=413)
    try:
        session = await hub.answer(body.decode("utf-8", "replace"))
    except ViewerLimit as exc:
        return Response(str(exc), status_code=503, headers={"Retry-After": "10"})
    except BadOffer as exc:
        return Response(str(exc), status_code=400)
    location = f"{prefix.rstrip('/')}/{session.id}"
    return Response(
        session.answer_sdp,
        status_code=201,
        media_type="application/sdp",
        headers={"Location": location, "ETag": f'"{session.id}"', "Access-Control-Expose-Headers": "Location"},
    )


async def whep_delete(hub: WebRTCHub, session_id: str) -> Response:
    """WHEP: the viewer hangs up."""
    if await hub.end(session_id):
        return Response(status_code=200)
    return Response("no such session", status_code=404)


async def offer_json(hub: WebRTCHub, payload: dict[str, Any]) -> JSONResponse:
    """Plain offer/answer: ``{"sdp", "type": "offer"}`` -> ``{"sdp", "type": "answer", "session"}``."""
    sdp, kind = payload.get("sdp"), payload.get("type", "offer")
    if not isinstance(sdp, str) or not isinstance(kind, str) or len(sdp) > MAX_SDP_BYTES:
        return JSONResponse({"detail": "expected {'sdp': str, 'type': 'offer'}"}, status_code=400)
    try:
        session = await hub.answer(sdp, kind)
    except ViewerLimit as exc:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "10"})
    except BadOffer as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    return JSONResponse({"sdp": session.answer_sdp, "type": "answer", "session": session.id})


def build_router(
    hub: WebRTCHub,
    *,
    whep_path: str = "/whep",
    offer_path: str = "/api/webrtc/offer",
    page_path: str | None = None,
    dependencies: Sequence[Depends] | None = None,
) -> APIRouter:
    """A router with the WHEP and offer endpoints (and the preview page at ``page_path`` if given).

    ``dependencies`` (e.g. the API's token guard) apply to every route.
    """
    router = APIRouter(dependencies=list(dependencies or []), tags=["webrtc"])
    whep_path = whep_path.rstrip("/")

    @router.post(whep_path, status_code=201, response_class=Response)
    async def _whep(request: Request) -> Response:
        """WHEP: POST an SDP offer, get the answer (201) and the session URL (Location)."""
        return await whep_post(hub, request, whep_path)

    @router.delete(whep_path + "/{session_id}", response_class=Response)
    async def _whep_end(session_id: str) -> Response:
        """WHEP: end a session."""
        return await whep_delete(hub, session_id)

    @router.patch(whep_path + "/{session_id}", response_class=Response, include_in_schema=False)
    async def _whep_patch(session_id: str) -> Response:
        return Response("trickle ICE is not supported; send every candidate in the offer", status_code=405,
                        headers={"Allow": "DELETE"})

    @router.options(whep_path, response_class=Response, include_in_schema=False)
    async def _whep_options() -> Response:
        return Response(status_code=204, headers={"Accept-Post": "application/sdp", "Allow": "POST, OPTIONS"})

    @router.post(offer_path)
    async def _offer(request: Request) -> JSONResponse:
        """Offer/answer as JSON (for clients that do not speak WHEP)."""
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return JSONResponse({"detail": "expected a JSON object"}, status_code=400)
        return await offer_json(hub, payload)

    if page_path is not None:

        @router.get(page_path, include_in_schema=False)
        async def _page() -> FileResponse:
            return FileResponse(INDEX_HTML, media_type="text/html")

    return router
