"""HTTP webhook for chat: platforms (or a bridge) POST JSON messages to the daemon.

``webhook_router(callback, token)`` returns a FastAPI router (mount it with ``prefix="/api/chat"``):
``POST`` one message object or a list of up to 100 (see ``schema.ChatPayload``), with
``Authorization: Bearer <token>`` when a token is set.  Answers 202 with how many were taken, 401 on
a wrong token, 413 on a body over 64 KiB, 422 on bad input.  A failing callback is logged, never
raised.  ``WebhookChat`` wraps the same router as a ``ChatSource``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Request

from integrations.chat.base import ChatMessage, ChatSource
from integrations.chat.schema import ChatPayload

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


def _authorised(token: str | None, authorization: str | None, x_chat_token: str | None) -> bool:
    if token is None:
        return True
    given = x_chat_token or ""
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    return hmac.compare_digest(given.encode(), token.encode())


def webhook_router(callback: Callable[[ChatMessage], Any], token: str | None, *, path: str = "") -> APIRouter:
    """A router whose POST hands each valid message to ``callback``."""
    router = APIRouter(tags=["chat"])

    @router.post(path, status_code=202, summary="Push chat messages")
    async def post_chat(
        request: Request,
        payload: Annotated[ChatPayload | list[ChatPayload], Body()],
        authorization: Annotated[str | None, Header()] = None,
        x_chat_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, int]:
        if not _authorised(token, authorization, x_chat_token):
            raise HTTPException(status_code=401, detail="bad or missing chat token")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            raise HTTPException(status_code=413, detail=f"body over {MAX_BODY} bytes")
        items = payload if isinstance(payload, list) else [payload]
        if len(items) > 100:
            raise HTTPException(status_code=422, detail="at most 100 messages per request")
        accepted = 0
        for item in items:
            try:
                callback(item.to_message())
                accepted += 1
            except Exception:
                log.exception("chat webhook handler failed")
        return {"accepted": accepted, "received": len(items)}

    return router


class WebhookChat(ChatSource):
    """The webhook as a ``ChatSource``: posted messages wait in a bounded queue (oldest dropped)."""

    platform = "webhook"

    def __init__(self, token: str | None = None, *, max_queue: int = 1000) -> None:
        super().__init__()
        self._queue: asyncio.Queue[ChatMessage] = asyncio.Queue(maxsize=max_queue)
        self.dropped = 0
        self.router = webhook_router(self.put, token)
        self.connected = True

    def put(self, message: ChatMessage) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(message)

    async def messages(self) -> AsyncIterator[ChatMessage]:
        while not self.closed:
            got, message = await self._next_or_closed(self._queue)
            if not got:
                return
            self.received += 1
            yield message
