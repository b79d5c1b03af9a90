"""Viewer sessions: SDP offer in, SDP answer out, one peer connection and one subscription each.

Used by both the plain JSON offer/answer endpoint and WHEP.  A session ends when its viewer
hangs up (WHEP DELETE), when ICE fails or closes, or when it never connects; its subscription goes
with it, so a vanished viewer stops costing anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from integrations.webrtc.fanout import MediaFanout, Subscription
from integrations.webrtc.tracks import StageAudioTrack, StageVideoTrack

log = logging.getLogger(__name__)


class ViewerLimit(RuntimeError):
    """Every viewer slot is taken."""


class BadOffer(ValueError):
    """The offer is not SDP we can answer (or asks for no audio and no video)."""


@dataclass(eq=False)
class Session:
    """One connected (or connecting) viewer."""

    id: str
    pc: RTCPeerConnection
    sub: Subscription
    answer_sdp: str = ""
    created: float = field(default_factory=time.monotonic)

    @property
    def state(self) -> str:
        return str(self.pc.connectionState)


class WebRTCHub:
    """Answers viewers' offers with tracks fed from the Stage through ``fanout``."""

    def __init__(
        self,
        fanout: MediaFanout,
        max_viewers: int = 8,
        ice_servers: list[RTCIceServer] | None = None,
        connect_timeout: float = 30.0,
    ) -> None:
        self.fanout = fanout
        self.max_viewers = max_viewers
        self.connect_timeout = connect_timeout
        self._config = RTCConfiguration(iceServers=ice_servers or [])
        self._sessions: dict[str, Session] = {}
        self._tasks: set[asyncio.Future[bool]] = set()
        self.sessions_started = 0
        self.sessions_ended = 0

    @property
    def viewers(self) -> int:
        return len(self._sessions)

    def session(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def stats(self) -> list[dict[str, object]]:
        """Per-viewer state and drop counters (for the status API)."""
        return [
            {
                "id": s.id,
                "state": s.state,
                "age_s": round(time.monotonic() - s.created, 1),
                "video_sent": s.sub.delivered_video,
                "video_dropped": s.sub.dropped_video,
                "audio_dropped": s.sub.dropped_audio,
            }
            for s in self._sessions.values()
        ]

    async def answer(self, offer_sdp: str, offer_type: str = "offer") -> Session:
        """Accept a viewer: returns its session, whose ``answer_sdp`` carries every ICE candidate."""
        if offer_type != "offer":
            raise BadOffer(f"expected an offer, got {offer_type!r}")
        if self.viewers >= self.max_viewers:
            raise ViewerLimit(f"all {self.max_viewers} viewer slots are taken")
        pc = RTCPeerConnection(self._config)
        sub = self.fanout.subscribe()
        session = Session(secrets.token_urlsafe(12), pc, sub)
        self._sessions[session.id] = session
        self.sessions_started += 1

        @pc.on("connectionstatechange")
        async def _state() -> None:
            log.debug("viewer %s: %s", session.id, pc.connectionState)
            if pc.connectionState in ("failed", "closed"):
                await self.end(session.id)

        try:
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            except Exception as exc:
                raise BadOffer(f"cannot use this offer: {exc}") from exc
            kinds = {t.kind for t in pc.getTransceivers()}
            if not kinds & {"audio", "video"}:
                raise BadOffer("the offer has neither audio nor video")
            if "video" in kinds:
                pc.addTrack(StageVideoTrack(sub, self.fanout.fps))
            if "audio" in kinds:
                pc.addTrack(StageAudioTrack(sub))
            await pc.setLocalDescription(await pc.createAnswer())  # gathers all candidates first
        except BaseException:
            await self.end(session.id)
            raise
        session.answer_sdp = pc.localDescription.sdp
        asyncio.get_running_loop().call_later(self.connect_timeout, self._reap, session.id)
        log.info("viewer %s joined (%d watching)", session.id, self.viewers)
        return session

    def _reap(self, session_id: str) -> None:
        """A viewer that never got connected in time is dropped."""
        session = self._sessions.get(session_id)
        if session is not None and session.pc.connectionState != "connected":
            task = asyncio.ensure_future(self.end(session_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def end(self, session_id: str) -> bool:
        """Hang up one viewer; False if there was no such session."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        self.sessions_ended += 1
        self.fanout.unsubscribe(session.sub)
        with contextlib.suppress(Exception):
            await session.pc.close()
        log.info("viewer %s left (%d watching)", session_id, self.viewers)
        return True

    async def close(self) -> None:
        """Hang up everyone (shutdown)."""
        await asyncio.gather(*(self.end(sid) for sid in list(self._sessions)), return_exceptions=True)
