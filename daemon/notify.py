"""systemd's notify protocol (READY, WATCHDOG, STATUS, RELOADING, STOPPING) without a dependency."""

from __future__ import annotations

import contextlib
import os
import socket
import time


class Notifier:
    """Sends datagrams to ``$NOTIFY_SOCKET``; a no-op when not run by systemd."""

    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        self._address: str | None = None
        self._sock: socket.socket | None = None
        if address:
            self._address = "\0" + address[1:] if address.startswith("@") else address
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        enabled = usec and usec.isdigit() and (pid is None or pid == str(os.getpid()))
        self.watchdog_interval = int(usec) / 2e6 if enabled else None  # ping at half the timeout
        self._last_ping = 0.0

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, *fields: str) -> None:
        if self._sock is None or self._address is None:
            return
        with contextlib.suppress(OSError):  # systemd gone: nothing to tell
            self._sock.sendto("\n".join(fields).encode(), self._address)

    def ready(self, status: str = "streaming") -> None:
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def reloading(self) -> None:
        self.send("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def watchdog(self) -> None:
        """Called every Stage tick; pings at most once per half watchdog period."""
        if self.watchdog_interval is None:
            return
        now = time.monotonic()
        if now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self.send("WATCHDOG=1")
