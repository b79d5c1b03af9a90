"""Daemon events -> OBS requests, without ever making the daemon wait for OBS.

``handle(kind, data)`` is synchronous and O(rules): it turns an event into operations and puts
them in a small ordered queue keyed by what they change, so a newer scene switch replaces an older
one still waiting and subtitle updates coalesce to the latest text.  One worker task applies the
queue in order while OBS is connected.  While OBS is away the queue keeps only the latest wish per
key (bounded, oldest dropped); when OBS comes back the current wishes are re-applied, since a
restarted OBS has forgotten them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import AsyncIterable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from integrations.obs.client import OBSClient, OBSError, OBSNotConnected
from integrations.obs.protocol import Status
from integrations.obs.rules import Op, Rule, op_for, subtitle_op

log = logging.getLogger(__name__)

MEDIA_ACTION_PREFIX = "OBS_WEBSOCKET_MEDIA_INPUT_ACTION_"


@dataclass(slots=True)
class BridgeStats:
    """Counters for the status API and tests."""

    queued: int = 0
    applied: int = 0
    failed: int = 0
    coalesced: int = 0
    dropped: int = 0
    expired: int = 0
    retried: int = 0
    last_error: str | None = None


class OBSBridge:
    """Applies mapping rules and the live subtitle to OBS through an ``OBSClient``."""

    def __init__(
        self,
        client: OBSClient,
        rules: Iterable[Rule] = (),
        *,
        subtitle_source: str | None = None,
        queue_size: int = 64,
        trigger_ttl: float = 3.0,
        resync_on_connect: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.rules = list(rules)
        self.subtitle_source = subtitle_source
        self.queue_size = queue_size
        self.trigger_ttl = trigger_ttl
        self.resync_on_connect = resync_on_connect
        self.stats = BridgeStats()
        self._clock = clock
        self._pending: collections.OrderedDict[Hashable, Op] = collections.OrderedDict()
        self._wanted: dict[Hashable, Op] = {}  # latest state op per key: re-applied after a restart
        self._item_ids: dict[tuple[str, str], int] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._warned: set[tuple[Hashable, int]] = set()
        client.on_connect(self._on_connect)

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the client's connection loop and the worker; returns at once."""
        self.client.start()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._work(), name="obs-bridge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.client.stop()

    async def pump(self, events: AsyncIterable[Any]) -> None:
        """Feed ``handle`` from an async stream of objects with ``kind`` and ``data`` (an event bus)."""
        async for event in events:
            self.handle(event.kind, event.data)

    async def drained(self, timeout: float | None = None) -> bool:
        """True once nothing is queued or in flight (False on timeout)."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    @property
    def depth(self) -> int:
        return len(self._pending)

    # -- the daemon side --------------------------------------------------------------------------
    def handle(self, kind: str, data: Mapping[str, Any] | None = None) -> int:
        """Queue what the event asks of OBS; never waits.  Returns how many operations were queued."""
        data = data or {}
        ops = [op_for(rule) for rule in self.rules if rule.matches(kind, data)]
        if kind == "subtitle" and self.subtitle_source:
            ops.append(subtitle_op(self.subtitle_source, str(data.get("text") or "")))
        for op in ops:
            self._enqueue(op)
        return len(ops)

    def _enqueue(self, op: Op, front: bool = False) -> None:
        if op.state:
            self._wanted[op.key] = op
        if op.key in self._pending:
            self.stats.coalesced += 1
            if front:
                return  # a newer wish for the same key is already waiting
            del self._pending[op.key]
        while len(self._pending) >= self.queue_size:
            self._pending.popitem(last=False)
            self.stats.dropped += 1
        self._pending[op.key] = op
        if front:
            self._pending.move_to_end(op.key, last=False)
        self.stats.queued += 1
        self._idle.clear()
        self._wake.set()

    async def _on_connect(self) -> None:
        """OBS (re)connected: forget scene item ids, re-apply current wishes, fire `connected` rules."""
        self._item_ids.clear()
        self._warned.clear()
        if self.resync_on_connect:
            for op in reversed(list(self._wanted.values())):
                self._enqueue(op, front=True)
        self.handle("connected", {})

    # -- the OBS side -----------------------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self.client.connected:
                await self.client.wait_connected()
                continue
            key, op = self._pending.popitem(last=False)
            if not op.state and self._clock() - op.at > self.trigger_ttl:
                self.stats.expired += 1
                continue
            try:
                await self._apply(op)
                self.stats.applied += 1
                if self._warned:
                    self._warned = {w for w in self._warned if w[0] != key}
            except OBSError as exc:
                self.stats.failed += 1
                self.stats.last_error = str(exc)
                if (key, exc.code) not in self._warned:  # one warning per cause, not one per subtitle
                    self._warned.add((key, exc.code))
                    log.warning("OBS %s: %s", op.kind, exc)
            except (OBSNotConnected, TimeoutError) as exc:
                self.stats.retried += 1
                self.stats.last_error = str(exc)
                if op.state and key not in self._pending:
                    self._enqueue(op, front=True)
                await asyncio.sleep(0.05)  # let the client notice the loss before the next try
            except Exception:
                self.stats.failed += 1
                log.exception("OBS %s failed", op.kind)

    async def _apply(self, op: Op) -> None:
        a = op.args
        if op.kind == "scene":
            await self.client.request("SetCurrentProgramScene", {"sceneName": a["scene"]})
        elif op.kind == "text":
            await self.client.request(
                "SetInputSettings", {"inputName": a["source"], "inputSettings": {"text": a["text"]}, "overlay": True}
            )
        elif op.kind == "item":
            await self._set_item_enabled(a["scene"], a["source"], a["enabled"])
        elif op.kind == "media":
            action = MEDIA_ACTION_PREFIX + str(a["action"]).upper()
            await self.client.request("TriggerMediaInputAction", {"inputName": a["source"], "mediaAction": action})
        elif op.kind == "virtualcam":
            status = await self.client.request("GetVirtualCamStatus")
            if not status.get("outputActive"):
                try:
                    await self.client.request("StartVirtualCam")
                except OBSError as exc:
                    if exc.code != Status.OUTPUT_RUNNING:
                        raise
        else:  # pragma: no cover - Op kinds come from rules.py
            raise ValueError(f"unknown op {op.kind}")

    async def _set_item_enabled(self, scene: str | None, source: str, enabled: bool) -> None:
        if scene is None:
            scene = (await self.client.request("GetCurrentProgramScene"))["currentProgramSceneName"]
        item_id = self._item_ids.get((scene, source))
        if item_id is None:
            found = await self.client.request("GetSceneItemId", {"sceneName": scene, "sourceName": source})
            item_id = self._item_ids[(scene, source)] = int(found["sceneItemId"])
        try:
            await self.client.request(
                "SetSceneItemEnabled", {"sceneName": scene, "sceneItemId": item_id, "sceneItemEnabled": enabled}
            )
        except OBSError as exc:
            if exc.code == Status.RESOURCE_NOT_FOUND:
                self._item_ids.pop((scene, source), None)  # the item was removed and maybe re-added
            raise


def bridge_from_config(config: Any, password: str | None) -> OBSBridge:
    """Build client + bridge from a profile's ``obs`` section (read by attribute name)."""
    client = OBSClient(
        config.host,
        config.port,
        password,
        request_timeout=config.request_timeout_s,
        backoff_initial=config.reconnect_min_s,
        backoff_max=config.reconnect_max_s,
    )
    rules = [Rule(**rule.model_dump()) for rule in config.rules()]
    return OBSBridge(
        client,
        rules,
        subtitle_source=config.subtitle_source,
        queue_size=config.queue,
        resync_on_connect=config.resync_on_connect,
    )
