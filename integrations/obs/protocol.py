"""obs-websocket v5 wire protocol: one identified session over a websocket.

The handshake is Hello -> Identify (with the sha256 challenge answer when OBS asks for a password)
-> Identified.  After that, each request carries a ``requestId`` and its response resolves the
future waiting on that id; events go to a callback.  A session does not reconnect: when the socket
closes every waiting request fails with ``OBSNotConnected`` and ``closed`` completes
(``client.OBSClient`` starts the next session).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

log = logging.getLogger(__name__)

SUBPROTOCOL = "obswebsocket.json"
RPC_VERSION = 1


class Op:
    """Message op codes."""

    HELLO = 0
    IDENTIFY = 1
    IDENTIFIED = 2
    REIDENTIFY = 3
    EVENT = 5
    REQUEST = 6
    REQUEST_RESPONSE = 7


class Subscribe:
    """Event subscription bits sent in Identify."""

    NONE = 0
    GENERAL = 1 << 0
    CONFIG = 1 << 1
    SCENES = 1 << 2
    INPUTS = 1 << 3
    TRANSITIONS = 1 << 4
    FILTERS = 1 << 5
    OUTPUTS = 1 << 6
    SCENE_ITEMS = 1 << 7
    MEDIA_INPUTS = 1 << 8
    VENDORS = 1 << 9
    UI = 1 << 10
    ALL = (1 << 11) - 1  # every low-volume category; meters and the like must be asked for by name


class Status:
    """Request status codes this project acts on."""

    SUCCESS = 100
    NOT_READY = 207
    OUTPUT_RUNNING = 500
    OUTPUT_NOT_RUNNING = 501
    RESOURCE_NOT_FOUND = 600
    RESOURCE_ALREADY_EXISTS = 601


# websockets >= 15 follows HTTP(S)_PROXY by default; OBS is reached directly
_NO_PROXY: dict[str, Any] = {"proxy": None} if "proxy" in inspect.signature(connect.__init__).parameters else {}

AUTHENTICATION_FAILED = 4009  # websocket close code sent for a wrong password


class OBSError(Exception):
    """OBS answered a request with a failure status."""

    def __init__(self, request_type: str, code: int, comment: str | None) -> None:
        self.request_type = request_type
        self.code = code
        self.comment = comment
        super().__init__(f"{request_type} failed with code {code}" + (f": {comment}" if comment else ""))


class OBSNotConnected(ConnectionError):
    """No identified session right now (OBS is down, restarting or refused us)."""


class OBSAuthError(OBSNotConnected):
    """OBS refused the password (or wants one and none is configured)."""


@dataclass(frozen=True, slots=True)
class OBSEvent:
    """One event from OBS: ``type`` like ``CurrentProgramSceneChanged`` and its ``data``."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    intent: int = 0


def auth_response(password: str, salt: str, challenge: str) -> str:
    """The Identify ``authentication`` string: b64(sha256(b64(sha256(password + salt)) + challenge))."""
    secret = base64.b64encode(hashlib.sha256((password + salt).encode()).digest()).decode()
    return base64.b64encode(hashlib.sha256((secret + challenge).encode()).digest()).decode()


class Session:
    """One identified obs-websocket connection; ``request`` may be called from many tasks at once."""

    def __init__(self, ws: ClientConnection, hello: dict[str, Any], on_event: Callable[[OBSEvent], None]) -> None:
        self._ws = ws
        self.hello = hello
        self._on_event = on_event
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(), name="obs-reader")

    @property
    def obs_websocket_version(self) -> str:
        return str(self.hello.get("obsWebSocketVersion", "?"))

    @classmethod
    async def open(
        cls,
        url: str,
        password: str | None,
        event_mask: int,
        on_event: Callable[[OBSEvent], None],
        timeout: float,
        ping_interval: float | None = 5.0,
    ) -> Session:
        """Connect and identify within ``timeout`` seconds, or raise OBSNotConnected / OBSAuthError."""
        try:
            ws = await connect(
                url,
                subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                open_timeout=timeout,
                ping_interval=ping_interval,
                ping_timeout=ping_interval,
                close_timeout=1.0,
                max_size=64 * 1024 * 1024,  # screenshots come back as base64 data URLs
                compression=None,
                **_NO_PROXY,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise OBSNotConnected(f"cannot connect to {url}: {str(exc) or type(exc).__name__}") from exc
        try:
            async with asyncio.timeout(timeout):  # unlike wait_for, never swallows a cancellation
                hello = await cls._handshake(ws, password, event_mask)
        except ConnectionClosed as exc:
            await ws.close()
            code = exc.rcvd.code if exc.rcvd is not None else None
            if code == AUTHENTICATION_FAILED:
                raise OBSAuthError("OBS rejected the obs-websocket password") from None
            raise OBSNotConnected(f"OBS closed the handshake (code {code})") from None
        except BaseException as exc:
            await ws.close()
            if isinstance(exc, (TimeoutError, ValueError, KeyError)):
                raise OBSNotConnected(f"handshake with {url} failed: {str(exc) or type(exc).__name__}") from exc
            raise
        return cls(ws, hello, on_event)

    @staticmethod
    async def _handshake(ws: ClientConnection, password: str | None, event_mask: int) -> dict[str, Any]:
        hello = json.loads(await ws.recv())
        if hello.get("op") != Op.HELLO:
            raise ValueError(f"expected Hello, got op {hello.get('op')}")
        data = hello["d"]
        identify: dict[str, Any] = {"rpcVersion": RPC_VERSION, "eventSubscriptions": event_mask}
        auth = data.get("authentication")
        if auth:
            if password is None:
                raise OBSAuthError("OBS requires an obs-websocket password and none is configured")
            identify["authentication"] = auth_response(password, auth["salt"], auth["challenge"])
        await ws.send(json.dumps({"op": Op.IDENTIFY, "d": identify}))
        reply = json.loads(await ws.recv())
        if reply.get("op") != Op.IDENTIFIED:
            raise ValueError(f"expected Identified, got op {reply.get('op')}")
        return dict(data)

    async def request(
        self, request_type: str, data: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Send one request and return its ``responseData`` ({} when none); raises OBSError on failure."""
        if self.closed.done():
            raise OBSNotConnected("the OBS session is closed")
        request_id = str(next(self._ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        message: dict[str, Any] = {"requestType": request_type, "requestId": request_id}
        if data:
            message["requestData"] = data
        try:
            await self._ws.send(json.dumps({"op": Op.REQUEST, "d": message}))
            async with asyncio.timeout(timeout):
                response = await future
        except ConnectionClosed:
            raise OBSNotConnected("OBS closed the connection") from None
        finally:
            self._waiting.pop(request_id, None)
        status = response.get("requestStatus", {})
        if not status.get("result"):
            raise OBSError(request_type, int(status.get("code", 0)), status.get("comment"))
        return dict(response.get("responseData") or {})

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                try:
                    message = json.loads(raw)
                    op, d = message["op"], message["d"]
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring a malformed message from OBS")
                    continue
                if op == Op.REQUEST_RESPONSE:
                    future = self._waiting.get(str(d.get("requestId")))
                    if future is not None and not future.done():
                        future.set_result(d)
                elif op == Op.EVENT:
                    data = dict(d.get("eventData") or {})
                    event = OBSEvent(str(d.get("eventType")), data, int(d.get("eventIntent", 0)))
                    try:
                        self._on_event(event)
                    except Exception:
                        log.exception("OBS event handler failed on %s", event.type)
        except ConnectionClosed:
            pass
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(OBSNotConnected("OBS closed the connection"))
            if not self.closed.done():
                self.closed.set_result(None)

    async def close(self) -> None:
        """Close the socket and wait for the reader to finish."""
        await self._ws.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
