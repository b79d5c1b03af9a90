"""A small asyncio obs-websocket v5 client that keeps itself connected.

OBS is another program: it starts after us, restarts, crashes.  ``OBSClient`` runs one background
task that opens a session, waits for it to close and opens the next one with exponential backoff
(with jitter, reset after each successful identify).  Nothing here ever waits for OBS on the
caller's behalf: ``request`` fails at once with ``OBSNotConnected`` while OBS is away, and every
request has a timeout, so a frozen OBS costs a caller at most that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from integrations.obs.protocol import (
    OBSAuthError,
    OBSError,
    OBSEvent,
    OBSNotConnected,
    Session,
    Subscribe,
)

__all__ = ["EventStream", "OBSAuthError", "OBSClient", "OBSError", "OBSEvent", "OBSNotConnected", "Subscribe"]

log = logging.getLogger(__name__)

ConnectHook = Callable[[], Awaitable[None] | None]


class EventStream:
    """Async iterator over OBS events with a bounded drop-oldest queue; ``close`` unsubscribes."""

    def __init__(self, client: OBSClient, types: tuple[str, ...], size: int) -> None:
        self._types = set(types)
        self.queue: asyncio.Queue[OBSEvent] = asyncio.Queue(size)
        self.dropped = 0
        self._remove = client.add_listener(self._put)

    def _put(self, event: OBSEvent) -> None:
        if self._types and event.type not in self._types:
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)

    def close(self) -> None:
        self._remove()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> OBSEvent:
        return await self.queue.get()


class OBSClient:
    """Connection manager + request/response + event subscription for one OBS instance.

    The password is only used for the handshake and never logged.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4455,
        password: str | None = None,
        *,
        event_mask: int = Subscribe.ALL,
        request_timeout: float = 2.0,
        connect_timeout: float = 3.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        ping_interval: float | None = 5.0,
        event_queue: int = 256,
    ) -> None:
        self.url = f"ws://{host}:{port}"
        self._password = password
        self.event_mask = event_mask
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.ping_interval = ping_interval
        self._session: Session | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._listeners: list[Callable[[OBSEvent], None]] = []
        self._on_connect: list[ConnectHook] = []
        self._event_queue_size = event_queue
        self.connections = 0
        self.failures = 0
        self.last_error: str | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        self._stopping = False
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="obs-connection")

    async def stop(self) -> None:
        """Stop reconnecting and close the current session."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop_session()

    async def __aenter__(self) -> OBSClient:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def connected(self) -> bool:
        session = self._session
        return self._connected.is_set() and session is not None and not session.closed.done()

    async def wait_connected(self, timeout: float | None = None) -> bool:
        """True once a session is identified; False if ``timeout`` passes first."""
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            return False
        return True

    @property
    def obs_websocket_version(self) -> str | None:
        return self._session.obs_websocket_version if self._session else None

    # -- requests and events ----------------------------------------------------------------------
    async def request(
        self, request_type: str, data: dict[str, Any] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """One request on the current session; OBSNotConnected at once when there is none."""
        session = self._session
        if session is None or session.closed.done():
            raise OBSNotConnected("OBS is not connected")
        try:
            return await session.request(request_type, data, self.request_timeout if timeout is None else timeout)
        except TimeoutError:
            raise TimeoutError(f"OBS did not answer {request_type} within the timeout") from None

    def add_listener(self, callback: Callable[[OBSEvent], None]) -> Callable[[], None]:
        """Call ``callback`` (synchronously, on the loop) for every OBS event; returns an unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def on_connect(self, hook: ConnectHook) -> None:
        """Run ``hook`` (sync or async) after every successful identify, including reconnects."""
        self._on_connect.append(hook)

    def events(self, *types: str) -> EventStream:
        """A subscription (registered at once) to OBS events, optionally only ``types``."""
        return EventStream(self, types, self._event_queue_size)

    def _dispatch(self, event: OBSEvent) -> None:
        for callback in list(self._listeners):
            try:
                callback(event)
            except Exception:
                log.exception("OBS event listener failed on %s", event.type)

    # -- the reconnect loop -----------------------------------------------------------------------
    def _delay(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_initial * (2 ** min(attempt, 30)))
        return base * random.uniform(0.8, 1.0)

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                session = await Session.open(
                    self.url, self._password, self.event_mask, self._dispatch, self.connect_timeout, self.ping_interval
                )
            except OBSNotConnected as exc:
                self.failures += 1
                if str(exc) != self.last_error:  # say it once, not on every retry
                    log.warning("OBS at %s: %s; retrying with backoff", self.url, exc)
                self.last_error = str(exc)
                # a wrong password will not fix itself soon: retry at the slowest pace
                await asyncio.sleep(self._delay(30 if isinstance(exc, OBSAuthError) else attempt))
                attempt += 1
                continue
            if self._stopping:
                await session.close()
                return
            attempt = 0
            self._session = session
            self.connections += 1
            self.last_error = None
            self._connected.set()
            log.info("connected to OBS at %s (obs-websocket %s)", self.url, session.obs_websocket_version)
            await self._run_hooks()
            await session.closed
            self._connected.clear()
            self._session = None
            log.warning("lost the connection to OBS at %s; reconnecting", self.url)
            await asyncio.sleep(self._delay(0))

    async def _run_hooks(self) -> None:
        for hook in list(self._on_connect):
            try:
                result = hook()
                if result is not None:
                    await result
            except Exception:
                log.exception("OBS on-connect hook failed")

    async def _drop_session(self) -> None:
        session, self._session = self._session, None
        self._connected.clear()
        if session is not None:
            await session.close()

