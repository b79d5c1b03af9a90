"""Generic WebSocket chat: connect to a URL and read JSON chat messages (see ``schema``).

Each text frame holds one message object or a list of them.  Frames that are not valid JSON or do
not fit the schema are counted and skipped.  Reconnects with backoff whenever the socket drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

import websockets
from websockets.exceptions import WebSocketException

from integrations.chat.base import Backoff, ChatMessage, ChatSource
from integrations.chat.schema import parse_json_messages

log = logging.getLogger(__name__)


class WebSocketChat(ChatSource):
    """Read chat from a WebSocket server that pushes JSON messages."""

    def __init__(
        self,
        url: str,
        *,
        platform: str | None = None,
        token: str | None = None,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        super().__init__()
        self.url = url
        self.platform = platform or "websocket"
        self._force_platform = platform
        self._token = token
        self.backoff = backoff or Backoff()
        self.open_timeout = open_timeout
        self.invalid = 0
        self.connected_event = asyncio.Event()
        self._ws: websockets.ClientConnection | None = None

    @classmethod
    def from_env(cls, url: str, token_env: str | None, **kwargs: object) -> WebSocketChat:
        token = os.environ.get(token_env) if token_env else None
        return cls(url, token=token or None, **kwargs)  # type: ignore[arg-type]

    async def messages(self) -> AsyncIterator[ChatMessage]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        while not self.closed:
            try:
                async with websockets.connect(
                    self.url, additional_headers=headers, open_timeout=self.open_timeout, max_size=256 * 1024
                ) as ws:
                    self._ws = ws
                    self.connected = True
                    self.connected_event.set()
                    self.backoff.reset()
                    self.last_error = None
                    async for frame in ws:
                        for message in self._decode(frame):
                            self.received += 1
                            yield message
                    self.last_error = "server closed the connection"
            except (OSError, TimeoutError, WebSocketException) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.info("websocket chat %s disconnected: %s", self.url, self.last_error)
            finally:
                self._ws = None
                self.connected = False
                self.connected_event.clear()
            if self.closed or not await self.backoff.sleep(self._closed):
                return
            self.reconnects += 1

    def _decode(self, frame: str | bytes) -> list[ChatMessage]:
        try:
            out = parse_json_messages(frame, self._force_platform)
        except ValueError:
            self.invalid += 1
            return []
        if not out:
            self.invalid += 1
        return out

    async def close(self) -> None:
        await super().close()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(OSError, TimeoutError, WebSocketException):
                await asyncio.wait_for(ws.close(), 2.0)
