"""The benchmark's side of a live run: asking questions and timing the answers where a viewer sees them.

``Bench`` posts chat questions, follows the daemon's live events, reads its status and metrics,
and owns the WHEP viewer whose packet arrivals give the times "at the sink".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import psutil
import websockets

from tests.integrations import avsync

TEMPLATES = ("What do you think about {}?", "Can you tell me something about {}?", "Do you like {}?",
             "Why do people love {}?", "How would you explain {} to a child?")
TOPICS = ("coffee", "rainy days", "old movies", "space travel", "cats", "hiking", "pizza", "jazz", "the ocean",
          "board games", "gardening", "trains", "chocolate", "winter", "museums", "robots")


def questions() -> list[str]:
    """Eighty different questions (the answer cache is off too: every one goes to the model)."""
    return [t.format(topic) for topic in TOPICS for t in TEMPLATES]


@dataclass
class Answer:
    """One question's timeline (wall-clock seconds) and the daemon's own stage timings (ms)."""

    posted: float
    turn: float | None = None
    reply: float | None = None
    start: float | None = None
    first_frame: float | None = None
    stages: dict[str, float] = field(default_factory=dict)
    interrupt_ms: float | None = None


class Events:
    """The daemon's live events, as they arrive."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self, port: int) -> None:
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/api/events", max_size=None)

        async def pump() -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for raw in ws:
                    self.seen.append(json.loads(raw))

        self._task = asyncio.create_task(pump())

    def first(self, kind: str, after: float) -> dict[str, Any] | None:
        return next((e for e in self.seen if e["kind"] == kind and e["at"] >= after), None)

    async def wait(self, kind: str, after: float, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while (event := self.first(kind, after)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return event

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


def latency_sums(status: dict[str, Any]) -> dict[str, float]:
    return {name: item.get("sum_s", 0.0) for name, item in status.get("latency", {}).items()}


def metric(text: str, name: str) -> dict[str, float]:
    """Samples of one Prometheus metric, by their label set."""
    out = {}
    for line in text.splitlines():
        m = re.match(rf"^{name}(\{{[^}}]*\}})? ([0-9.eE+-]+)$", line)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


class Bench:
    def __init__(self, http: httpx.AsyncClient, daemon: psutil.Process) -> None:
        self.http, self.daemon = http, daemon
        self.events = Events()
        self.viewer: avsync.Viewer | None = None
        self.wall = time.time() - time.monotonic()  # wall clock minus monotonic, for event times
        self.rss: list[float] = []
        self.late: list[tuple[float, int]] = []
        self.answers: list[Answer] = []

    async def get(self, path: str, tries: int = 3) -> httpx.Response:
        """GET with a retry: on a loaded machine the daemon may drop a keep-alive connection."""
        for attempt in range(tries):
            try:
                return await self.http.get(path)
            except httpx.TransportError:
                if attempt == tries - 1:
                    raise
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")

    def frame_arrivals(self) -> np.ndarray:
        """Monotonic arrival of each video frame's first packet, in order."""
        assert self.viewer is not None
        first: dict[int, float] = {}
        for arrival, ts in self.viewer.packets["video"]:
            first.setdefault(ts, arrival)
        return np.array(sorted(first.values()))

    async def ask(self, text: str, viewer: str, interrupt: bool) -> Answer:
        before = latency_sums((await self.get("/api/status")).json())
        answer = Answer(posted=time.time())
        r = await self.http.post("/api/chat", json={"platform": "bench", "viewer": viewer, "text": text,
                                                    "kind": "question"})
        r.raise_for_status()
        start = await self.events.wait("speech.start", answer.posted, 25)
        if start is None:  # blocked, failed or silent: counted as unanswered
            await self.until_quiet()
            return answer
        answer.start = start["at"]
        answer.turn = (self.events.first("turn", answer.posted) or {}).get("at")
        answer.reply = (self.events.first("reply", answer.posted) or {}).get("at")
        await asyncio.sleep(0.5)  # the frame has reached the viewer by now
        arrivals = self.frame_arrivals() + self.wall
        later = arrivals[arrivals >= answer.start]
        answer.first_frame = float(later[0]) if later.size else None
        after = latency_sums((await self.get("/api/status")).json())
        answer.stages = {k: 1000 * (after[k] - before.get(k, 0.0)) for k in after}
        if interrupt and await self.generated() and await self.while_sounding():
            called = time.monotonic()
            await self.http.post("/api/interrupt")
            await asyncio.sleep(1.5)
            answer.interrupt_ms = self.last_sound_after(called)
        await self.until_quiet()
        return answer

    async def generated(self, timeout: float = 10.0) -> bool:
        """Wait until the reply has been generated in full (only its speech is left to play).

        The interrupt figure is the audio path's: from the request to the last sound at the viewer,
        with nothing left to cancel upstream. Interrupting a reply still being written is tested in
        ``tests/daemon/test_live_service.py``.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = (await self.get("/api/status")).json()
            if (status.get("conductor") or {}).get("current") is None:
                return bool(status["speaking"])
            await asyncio.sleep(0.05)
        return False

    async def while_sounding(self, timeout: float = 4.0) -> bool:
        """Wait until the viewer has been hearing the voice for the last 100 ms (not a pause)."""
        assert self.viewer is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            recent = self.viewer.audio[-5:]
            if len(recent) == 5 and min(float(np.max(f.data)) for f in recent) > 0.01:
                return True
            await asyncio.sleep(0.01)
        return False

    def last_sound_after(self, called: float) -> float | None:
        """ms from ``called`` to the arrival of the last audio packet with sound in it."""
        assert self.viewer is not None
        arrival: dict[int, float] = {}
        for t, ts in self.viewer.packets["audio"]:
            arrival.setdefault(ts, t)
        origin = self.viewer.origin("audio")
        loud = [arrival.get((origin + f.pts) % 2**32) for f in self.viewer.audio if float(np.max(f.data)) > 0.005]
        times = [t for t in loud if t is not None and called - 1.0 <= t <= called + 1.5]
        return 1000 * (max(times) - called) if times else None

    async def until_quiet(self, timeout: float = 45.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = (await self.get("/api/status")).json()
            conductor = status.get("conductor") or {}
            if not status["speaking"] and conductor.get("current") is None and not conductor.get("queued"):
                return
            await asyncio.sleep(0.25)

    async def sample(self) -> None:
        """Every 2 s: the daemon's RSS, and when frames came out late (repeated)."""
        last = None
        while True:
            with contextlib.suppress(psutil.Error):
                self.rss.append(self.daemon.memory_info().rss / 2**20)
            with contextlib.suppress(httpx.HTTPError):
                late = (await self.get("/api/status")).json()["late_frames"]
                if last is not None and late > last:
                    self.late.append((time.monotonic(), late - last))
                last = late
            await asyncio.sleep(2.0)


def smaps(pid: int) -> dict[str, tuple[float, float]]:
    """(resident MB, size MB) of each mapping of a process, keyed by start address and what it maps."""
    out: dict[str, tuple[float, float]] = {}
    key, size = "", 0.0
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                key, size = f"{lo:x} {head[5] if len(head) > 5 else '[anon]'}", (hi - lo) / 2**20
            elif head[0] == "Rss:":
                out[key] = (int(head[1]) / 1024, size)
    return out


def growth_by_mapping(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]], top: int = 6
) -> dict[str, float]:
    """Where resident memory grew: the mappings that grew most (named by what they map and their size)."""
    grown = []
    for key, (mb, size) in after.items():
        delta = mb - before.get(key, (0.0, 0.0))[0]
        if delta > 0.5:
            grown.append((delta, f"{key.split(' ', 1)[1]} ({size:.0f} MB mapping)"))
    grown.sort(reverse=True)
    merged: dict[str, float] = {}
    for delta, name in grown:
        merged[name] = round(merged.get(name, 0.0) + delta, 1)
    return dict(list(merged.items())[:top])
