"""A plain IRC client that joins a channel and posts lines (the "viewer" in tests)."""

from __future__ import annotations

import asyncio


class Poster:
    def __init__(self, port: int, nick: str, channel: str, password: str | None = None) -> None:
        self.port, self.nick, self.channel, self.password = port, nick, channel, password
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Poster:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        if self.password:
            self._send(f"PASS {self.password}")
        self._send(f"NICK {self.nick}")
        self._send(f"USER {self.nick} 0 * :{self.nick}")
        await self._wait_for(" 001 ")
        self._send(f"JOIN {self.channel}")
        await self._wait_for(" 366 ")
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.writer is not None
        self.writer.close()
        await self.writer.wait_closed()

    def _send(self, line: str) -> None:
        assert self.writer is not None
        self.writer.write(line.encode() + b"\r\n")

    async def _wait_for(self, marker: str) -> None:
        assert self.reader is not None
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 10)).decode(errors="replace")
            if line.startswith("PING"):
                self._send("PONG " + line.split(" ", 1)[1].strip())
            if marker in line:
                return

    async def say(self, text: str) -> None:
        self._send(f"PRIVMSG {self.channel} :{text}")
        assert self.writer is not None
        await self.writer.drain()
