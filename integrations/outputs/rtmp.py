"""RTMP push (H.264 + AAC in FLV) to a platform's ingest, reconnecting after failures.

The stream key is a secret: it comes from an environment variable, is joined to the URL only when
connecting, and every message that could carry it (FFmpeg errors name the URL) is redacted.

PyAV connects (``avio_open``) and writes the FLV header and trailer while holding the GIL, and
FFmpeg's output I/O has no timeout here.  So before FFmpeg connects, a plain-socket RTMP handshake
with a timeout proves the server answers; and when a write hangs on a stalled network, a watchdog
shuts down FFmpeg's socket (Linux: found through psutil) so the worker thread returns, ``write``
raises, and the runner reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
import struct
import threading
from urllib.parse import urlsplit

import psutil

from integrations.outputs.base import Sink
from integrations.outputs.encoder import AVEncoder, EncoderThread
from pipeline.frames import MediaTick

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443}
REDACTED = "<stream-key>"


class RTMPError(RuntimeError):
    """An RTMP failure whose message is safe to log (no stream key)."""


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every non-empty secret replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def join_url(url: str, key: str | None) -> str:
    """The full publish URL: ``rtmp://host/app/`` + key."""
    if not key:
        return url
    return url.rstrip("/") + "/" + key.lstrip("/")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError("expected rtmp://host[:port]/app or rtmps://...")
    return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed the connection during the RTMP handshake")
        data += chunk
    return bytes(data)


def rtmp_handshake(url: str, timeout: float) -> None:
    """Do the RTMP handshake (C0/C1 -> S0/S1/S2, C2) on a plain socket, then hang up.

    Raises when the server is unreachable, not RTMP, or silent for ``timeout`` seconds.
    """
    host, port = _host_port(url)
    with socket.create_connection((host, port), timeout=timeout) as raw:
        sock: socket.socket = raw
        if urlsplit(url).scheme == "rtmps":
            sock = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        sock.sendall(b"\x03" + struct.pack(">II", 0, 0) + os.urandom(1528))
        s0s1 = _recv_exact(sock, 1 + 1536)
        if s0s1[0] != 3:
            raise ConnectionError(f"not an RTMP server (version byte {s0s1[0]})")
        sock.sendall(s0s1[1:])  # C2 echoes S1
        _recv_exact(sock, 1536)  # S2


def _tcp_fds(port: int) -> dict[int, tuple[str, int]]:
    """Our process's TCP sockets to ``port``: fd -> remote address (empty where unsupported)."""
    try:
        conns = psutil.Process().net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return {}
    return {c.fd: (c.raddr.ip, c.raddr.port) for c in conns if c.raddr and c.raddr.port == port and c.fd >= 0}


def _cut(fds: dict[int, tuple[str, int]], port: int) -> int:
    """Shut down the given sockets (if they are still ours and still connected there); returns how many."""
    now = _tcp_fds(port)
    cut = 0
    for fd, remote in fds.items():
        if now.get(fd) != remote:
            continue
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
            cut += 1
        sock.close()
    return cut


def probe_rtmp(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    """Can we reach the ingest server?  A TCP connect to host:port (``moodcam check``)."""
    try:
        host, port = _host_port(url)
    except ValueError as exc:
        return False, f"bad RTMP URL: {exc}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        return False, f"cannot reach {host}:{port}: {exc.strerror or exc}"
    return True, f"OK {host}:{port} reachable"


class RTMPSink(Sink):
    """Encodes the Stage's ticks with ``AVEncoder`` and pushes them to ``url`` + stream key."""

    name = "rtmp"

    def __init__(
        self,
        url: str,
        width: int,
        height: int,
        fps: int,
        *,
        key: str | None = None,
        key_env: str | None = None,
        video_bitrate_kbps: int = 2500,
        audio_bitrate_kbps: int = 128,
        keyframe_s: float = 2.0,
        preset: str = "veryfast",
        connect_timeout: float = 5.0,
        write_timeout: float = 5.0,
    ) -> None:
        _host_port(url)  # reject a malformed URL at the door
        if key is None and key_env:
            key = os.environ.get(key_env)
            if not key:
                raise RTMPError(f"stream key variable {key_env} is not set")
        self.url = url
        self._key = key
        self.width, self.height, self.fps = width, height, fps
        self.video_bitrate = video_bitrate_kbps * 1000
        self.audio_bitrate = audio_bitrate_kbps * 1000
        self.keyframe_s = keyframe_s
        self.preset = preset
        self.connect_timeout = connect_timeout
        self.write_timeout = write_timeout
        self.connections = 0
        self._encoder: AVEncoder | None = None
        self._worker: EncoderThread | None = None
        self._fds: dict[int, tuple[str, int]] = {}  # FFmpeg's socket(s), to cut when a write hangs
        self.stalls = 0

    @property
    def safe_url(self) -> str:
        """The publish URL as it may appear in logs."""
        return join_url(self.url, REDACTED if self._key else None)

    def _safe(self, exc: BaseException) -> RTMPError:
        return RTMPError(redact(f"{type(exc).__name__}: {exc}", self._key, join_url(self.url, self._key)))

    def _connect(self, abandoned: threading.Event) -> AVEncoder:
        _, port = _host_port(self.url)
        # fail fast on an unreachable or silent server: FFmpeg's own connect has no timeout here
        rtmp_handshake(self.url, self.connect_timeout)
        before = _tcp_fds(port)
        encoder = AVEncoder(
            join_url(self.url, self._key),
            self.width,
            self.height,
            self.fps,
            video_bitrate=self.video_bitrate,
            audio_bitrate=self.audio_bitrate,
            keyframe_s=self.keyframe_s,
            fmt="flv",
            preset=self.preset,
        )
        try:
            encoder.start()  # the RTMP handshake happens here, so open() fails when the server says no
            if abandoned.is_set():  # open() gave up waiting: do not leave a connection behind
                raise RTMPError("connected too late")
        except BaseException:
            encoder.abort()
            raise
        self._fds = {fd: remote for fd, remote in _tcp_fds(port).items() if fd not in before}
        return encoder

    async def open(self) -> None:
        worker = EncoderThread("rtmp")
        error: RTMPError | None = None
        abandoned = threading.Event()
        try:
            self._encoder = await asyncio.wait_for(worker.run(self._connect, abandoned), self.connect_timeout * 2)
        except TimeoutError:
            abandoned.set()
            error = RTMPError(f"rtmp server did not answer within {self.connect_timeout * 2:.0f} s")
        except Exception as exc:
            error = self._safe(exc)
        if error is not None:  # raised outside the handler: no chained exception that names the key
            worker.shutdown()
            raise error
        self._worker = worker
        self.connections += 1
        log.info("rtmp connected to %s", self.safe_url)

    async def write(self, tick: MediaTick) -> None:
        encoder, worker = self._encoder, self._worker
        if encoder is None or worker is None:
            raise RTMPError("rtmp is not connected")
        error: RTMPError | None = None
        try:
            await asyncio.wait_for(worker.run(encoder.encode, tick), self.write_timeout)
        except TimeoutError:
            self.stalls += 1
            cut = _cut(self._fds, _host_port(self.url)[1])  # unblocks the worker stuck in FFmpeg
            how = "connection cut" if cut else "could not cut the connection"
            error = RTMPError(f"rtmp write stalled for {self.write_timeout:.0f} s ({how}); reconnecting")
        except Exception as exc:
            error = self._safe(exc)
        if error is not None:
            raise error

    async def close(self) -> None:
        encoder, worker = self._encoder, self._worker
        self._encoder, self._worker, self._fds = None, None, {}
        if encoder is None or worker is None:
            return
        # queued behind any stuck write: runs whenever the worker is free, never blocks us for long
        future = worker.submit(_finish, encoder)
        worker.shutdown()
        try:
            await asyncio.wait_for(asyncio.shield(future), self.write_timeout)
        except TimeoutError:
            log.warning("rtmp close is still waiting for the network; left to finish in the background")
        except Exception as exc:
            log.info("rtmp closed with an error: %s", self._safe(exc))


def _finish(encoder: AVEncoder) -> None:
    """Flush and close; if the connection is already broken just drop it."""
    try:
        encoder.close()
    except Exception:
        encoder.abort()
        raise
