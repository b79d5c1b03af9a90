"""Measuring lip sync in decoded output: a test utterance with sharp events, and event finders.

The utterance is a train of short tone bursts separated by silences of different lengths; its
viseme track opens the mouth wide (AA) exactly while each burst sounds and keeps it at rest
otherwise.  In any output, each burst is then one audio event and one mouth event, and the
offset between their centres is the A/V offset a viewer sees.

Centres, not onsets: the face eases into and out of a shape (co-articulation), symmetrically
around the key, so the midpoint of the half-height crossings of the mouth signal is where the
key is centred, and the crossings are interpolated between frames.  That resolves offsets far
finer than a frame (33 ms at 30 fps).  Likewise the audio centre is the midpoint of the burst's
half-amplitude crossings, which codec smearing moves symmetrically.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtcpSrPacket, RtpPacket

from pipeline.emotion import EmotionState
from pipeline.face.visemes_map import SHAPES
from pipeline.utterance import Utterance
from pipeline.visemes import Viseme, VisemeKey

BURST_S = 0.12
TONE_HZ = 1000.0
AMPLITUDE = 0.5


@dataclass(frozen=True, slots=True)
class BurstPlan:
    """Where each burst sits inside the utterance (seconds from its first sample)."""

    starts: tuple[float, ...]
    length: float = BURST_S

    @property
    def centres(self) -> np.ndarray:
        return np.asarray(self.starts) + self.length / 2


def burst_utterance(
    gaps: Sequence[float] = (0.5, 0.65, 0.45, 0.7, 0.55),
    lead_in: float = 0.5,
    tail: float = 0.4,
    rate: int = 48_000,
) -> tuple[Utterance, BurstPlan]:
    """Tone bursts (``BURST_S`` long, then each gap of silence) with the mouth open only during them."""
    starts, t = [], lead_in
    for gap in (*gaps, None):
        starts.append(t)
        if gap is not None:
            t += BURST_S + gap
    total = starts[-1] + BURST_S + tail
    audio = np.zeros(round(total * rate), np.float32)
    keys: list[VisemeKey] = []
    prev_end = 0
    n = round(BURST_S * rate)
    tone = (AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * np.arange(n) / rate)).astype(np.float32)
    for s in starts:
        a = round(s * rate)
        audio[a : a + n] = tone
        keys.append(VisemeKey(prev_end, a, Viseme.SILENCE))
        keys.append(VisemeKey(a, a + n, Viseme.AA))
        prev_end = a + n
    keys.append(VisemeKey(prev_end, audio.size, Viseme.SILENCE))
    utt = Utterance("sync test", EmotionState(), audio, rate, visemes=keys)
    return utt, BurstPlan(tuple(starts))


def decode(path: Path | str) -> tuple[np.ndarray, list[np.ndarray], float, np.ndarray]:
    """(video times, RGB frames, audio start time, mono audio) of a recorded container."""
    with av.open(str(path)) as container:
        times, frames = [], []
        for f in container.decode(video=0):
            times.append(float(f.time))
            frames.append(f.to_ndarray(format="rgb24"))
    with av.open(str(path)) as container:
        starts, pcm = [], []
        for f in container.decode(audio=0):
            starts.append(float(f.time))
            pcm.append(f.to_ndarray()[0])
    return np.array(times), frames, starts[0], np.concatenate(pcm)


def open_mouth_weights(amount: float = 1.0) -> np.ndarray:
    """The blendshapes of a wide-open mouth (AA), to find where the mouth is in a frame."""
    return SHAPES[Viseme.AA] * np.float32(amount)


def mouth_box(rest: np.ndarray, open_: np.ndarray, margin: int = 2) -> tuple[slice, slice]:
    """The rows and columns where an open mouth differs from the rest pose (renderer's own frames)."""
    diff = np.abs(open_.astype(np.int16) - rest.astype(np.int16)).sum(axis=2)
    ys, xs = np.nonzero(diff > 30)
    assert ys.size > 50, "the open mouth does not change the picture"
    h, w = diff.shape
    return (
        slice(max(0, ys.min() - margin), min(h, ys.max() + margin + 1)),
        slice(max(0, xs.min() - margin), min(w, xs.max() + margin + 1)),
    )


def mouth_signal(frames: Sequence[np.ndarray] | np.ndarray, rest: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """Per frame: mean absolute pixel difference from the rest pose inside the mouth box."""
    ref = rest[box].astype(np.float32)
    return np.array([float(np.abs(f[box].astype(np.float32) - ref).mean()) for f in frames])


def _crossing(t: np.ndarray, y: np.ndarray, i: int, level: float) -> float:
    """Time between samples i-1 and i where y crosses ``level`` (linear interpolation)."""
    y0, y1 = y[i - 1], y[i]
    frac = 0.0 if y1 == y0 else (level - y0) / (y1 - y0)
    return float(t[i - 1] + frac * (t[i] - t[i - 1]))


def pulses(t: np.ndarray, y: np.ndarray, min_gap: float = 0.05) -> list[tuple[float, float]]:
    """The (rise, fall) half-height crossing times of every pulse in a non-negative signal.

    A pulse is a run above half the height between the signal's floor and its highest peak
    (runs closer than ``min_gap`` seconds are one pulse).  The crossings are interpolated
    between samples; a pulse cut off by the start or end of the signal is left out.
    """
    t = np.asarray(t, np.float64)
    y = np.asarray(y, np.float64)
    floor = float(np.percentile(y, 10))
    level = floor + 0.5 * (float(y.max()) - floor)
    if level <= floor:
        return []
    idx = np.flatnonzero(y > level)
    out: list[tuple[float, float]] = []
    for g in np.split(idx, np.flatnonzero(np.diff(t[idx]) > min_gap) + 1):
        i, j = int(g[0]), int(g[-1])
        if i == 0 or j + 1 >= len(y):
            continue
        out.append((_crossing(t, y, i, level), _crossing(t, y, j + 1, level)))
    return out


def audio_bursts(pcm: np.ndarray, rate: int, t0: float = 0.0, window_s: float = 0.004) -> list[tuple[float, float]]:
    """(onset, offset) of every tone burst in ``pcm`` (mono), in seconds from ``t0``."""
    x = np.asarray(pcm, np.float64).reshape(-1)
    win = max(1, round(window_s * rate))
    env = np.sqrt(np.convolve(x * x, np.ones(win) / win, mode="same") * 2.0)
    step = max(1, rate // 2000)  # 0.5 ms resolution is plenty and keeps this fast
    idx = np.arange(0, env.size, step)
    return pulses(t0 + idx / rate, env[idx])


def centres(events: list[tuple[float, float]]) -> np.ndarray:
    return np.array([(a + b) / 2 for a, b in events])


def pair_offsets(mouth: np.ndarray, audio: np.ndarray, expected: int, tolerance: float = 0.2) -> np.ndarray:
    """Offset (mouth minus audio, seconds) of each audio event's nearest mouth event.

    Asserts every one of the ``expected`` events was found in both: a missing event would
    otherwise pass unnoticed.
    """
    assert len(audio) == expected, f"found {len(audio)} audio bursts, expected {expected}"
    # a frame repeated under load can split one opening in two: every burst must still find its own
    assert len(mouth) >= expected, f"found {len(mouth)} mouth openings, expected {expected}"
    out = []
    for a in audio:
        k = int(np.argmin(np.abs(mouth - a)))
        assert abs(mouth[k] - a) < tolerance, f"no mouth event near the burst at {a:.3f} s"
        out.append(mouth[k] - a)
    return np.array(out)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one output showed: per-event offsets (ms), raw and net of the intended visual lead."""

    sink: str
    raw_ms: np.ndarray
    lead_ms: float

    @property
    def net_ms(self) -> np.ndarray:
        return self.raw_ms + self.lead_ms

    @property
    def drift_ms(self) -> float:
        """Change of the offset from the first to the last event, along a fitted line."""
        slope = np.polyfit(np.arange(len(self.raw_ms)), self.raw_ms, 1)[0]
        return float(slope * (len(self.raw_ms) - 1))

    def line(self) -> str:
        net = self.net_ms
        return (
            f"{self.sink}: raw {np.mean(self.raw_ms):+.1f} ms, net of the {self.lead_ms:.0f} ms lead "
            f"{np.mean(net):+.1f} ms (min {net.min():+.1f}, max {net.max():+.1f}, drift {self.drift_ms:+.1f})"
        )


# --- recording with arrival times ---------------------------------------------------------------------

_POLLER = r"""
import os, sys, time
out = open(sys.argv[1], "w", buffering=1)
paths = sys.argv[2:]
last = [-1] * len(paths)
while True:
    for i, p in enumerate(paths):
        try:
            size = os.stat(p).st_size
        except FileNotFoundError:
            continue
        if size != last[i]:
            last[i] = size
            out.write(f"{i} {time.monotonic():.6f} {size}\n")
    time.sleep(0.0005)
"""


class SizeLog:
    """Notes (monotonic time, size) whenever one of some files grows: when each byte arrived.

    Runs in its own process so that the timing does not wait for this process's GIL;
    ``time.monotonic`` is the system-wide CLOCK_MONOTONIC, comparable with the Stage's clock.
    """

    def __init__(self, log: Path, paths: Sequence[Path]) -> None:
        self.log = log
        self.paths = list(paths)
        self._proc = subprocess.Popen([sys.executable, "-c", _POLLER, str(log), *map(str, self.paths)])

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.wait(5)

    def growth(self, path: Path) -> np.ndarray:
        """Rows of (time, size) for ``path``, in order."""
        which = self.paths.index(path)
        rows = [line.split() for line in self.log.read_text().splitlines()]
        return np.array([(float(t), int(s)) for i, t, s in rows if int(i) == which], dtype=np.float64).reshape(-1, 2)


def arrival_times(growth: np.ndarray, unit: int, count: int) -> np.ndarray:
    """When each of ``count`` records of ``unit`` bytes was complete in a growing file."""
    ends = (np.arange(count) + 1) * unit
    k = np.searchsorted(growth[:, 1], ends, side="left")
    assert k.max() < len(growth), "the file never grew that far"
    return growth[k, 0]


def stream_clock(growth: np.ndarray, bytes_per_sample: int, rate: int, during: tuple[float, float]) -> float:
    """Monotonic time at which sample 0 of a real-time recording was captured.

    A recorder hands over audio in blocks, each as soon as its last sample is captured; the
    earliest-looking blocks (the lower envelope of time minus samples/rate) give the estimate.
    Only blocks inside ``during`` count: a recorder's first and last blocks come irregularly.
    """
    t, samples = growth[:, 0], growth[:, 1] / bytes_per_sample
    inside = (t >= during[0]) & (t <= during[1]) & (samples > 0)
    assert inside.sum() >= 10, "too few recorded blocks in the window"
    return float(np.percentile(t[inside] - samples[inside] / rate, 2))


# --- a WHEP viewer that keeps what it receives ---------------------------------------------------------


@dataclass
class Received:
    """One decoded frame as the viewer got it: RTP timestamp, arrival (monotonic) and the media."""

    pts: int
    arrival: float
    data: Any


def rgb(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")


def mono(frame: av.AudioFrame) -> np.ndarray:
    """The first channel as float32 in -1..1."""
    return frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0].astype(np.float32) / 32768


@dataclass
class Viewer:
    """An aiortc WHEP client recording decoded frames, RTP arrivals and the sender's RTCP reports.

    The sender reports pair each stream's RTP clock with the sender's wall clock: a browser uses
    them to line audio and video up, and so does the analysis here.  aiortc hands decoded frames
    over with timestamps counted from the stream's first frame; ``origin`` is that frame's RTP
    timestamp, so ``origin + pts`` is back on the RTP clock the reports speak of.
    """

    pc: RTCPeerConnection
    keep_video: Callable[[av.VideoFrame], Any] = rgb  # what to keep of each frame (a long run keeps little)
    keep_audio: Callable[[av.AudioFrame], Any] = mono
    video: list[Received] = field(default_factory=list)
    audio: list[Received] = field(default_factory=list)
    reports: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: {"audio": [], "video": []})
    packets: dict[str, list[tuple[float, int]]] = field(default_factory=lambda: {"audio": [], "video": []})
    location: str = ""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def connect(cls, http: httpx.AsyncClient, **keep: Callable[[Any], Any]) -> Viewer:
        pc = RTCPeerConnection()
        viewer = cls(pc, **keep)
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", lambda track: viewer._tasks.append(asyncio.ensure_future(viewer._consume(track))))
        await pc.setLocalDescription(await pc.createOffer())
        r = await http.post("/whep", content=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"})
        assert r.status_code == 201, (r.status_code, r.text)
        viewer.location = r.headers["location"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=r.text, type="answer"))
        for receiver in pc.getReceivers():
            viewer._spy(receiver)
        return viewer

    def _spy(self, receiver: RTCRtpReceiver) -> None:
        kind = receiver.track.kind
        rtcp, rtp = receiver._handle_rtcp_packet, receiver._handle_rtp_packet

        async def on_rtcp(packet: object) -> None:
            if isinstance(packet, RtcpSrPacket):
                ntp = packet.sender_info.ntp_timestamp
                self.reports[kind].append((ntp / 2**32, packet.sender_info.rtp_timestamp))
            await rtcp(packet)

        async def on_rtp(packet: RtpPacket, arrival_time_ms: int) -> None:
            self.packets[kind].append((time.monotonic(), packet.timestamp))
            await rtp(packet, arrival_time_ms)

        receiver._handle_rtcp_packet = on_rtcp  # type: ignore[method-assign]
        receiver._handle_rtp_packet = on_rtp  # type: ignore[method-assign]

    def origin(self, kind: str) -> int:
        """RTP timestamp of the first frame handed over (decoded pts 0)."""
        stamps = [ts for _, ts in self.packets[kind]]
        first = stamps[0]
        frames = self.video if kind == "video" else self.audio
        seen = set(stamps)
        assert all((first + f.pts) % 2**32 in seen for f in frames), f"{kind} pts do not map onto RTP timestamps"
        return first

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = time.monotonic()
            if track.kind == "video":
                self.video.append(Received(int(frame.pts), now, self.keep_video(frame)))
            else:
                self.audio.append(Received(int(frame.pts), now, self.keep_audio(frame)))

    async def close(self, http: httpx.AsyncClient) -> None:
        await http.delete(self.location)
        await self.pc.close()
        for task in self._tasks:
            task.cancel()


def unwrap(rtp: Sequence[int], reference: int) -> np.ndarray:
    """32-bit RTP timestamps as signed offsets from ``reference`` (wrap-around safe)."""
    d = (np.asarray(rtp, np.int64) - reference) % 2**32
    return np.where(d >= 2**31, d - 2**32, d)


def sender_time(rtp: Sequence[int], reports: list[tuple[float, int]], clock: int, reference: int) -> np.ndarray:
    """Sender wall-clock seconds of RTP timestamps, through the sender reports (median mapping)."""
    assert len(reports) >= 2, "too few RTCP sender reports"
    ntp = np.array([n for n, _ in reports])
    base = np.median(ntp - unwrap([r for _, r in reports], reference) / clock)
    return unwrap(rtp, reference) / clock + base
