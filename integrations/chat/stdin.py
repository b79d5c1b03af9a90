"""Chat typed on standard input (or any text stream): handy on a console and for scripted shows.

A line is either a JSON message (see ``schema``), ``name: text``, or plain text from ``viewer``.
A daemon thread reads the stream so a blocking read never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import AsyncIterator
from typing import TextIO

from integrations.chat.base import ChatMessage, ChatSource
from integrations.chat.schema import parse_json_messages

_NAMED = re.compile(r"^([^\s:]{1,40}):\s+(.+)$")


def parse_stdin_line(line: str, platform: str, viewer: str) -> list[ChatMessage]:
    """Messages from one typed line; empty for blank lines."""
    line = line.strip()
    if not line:
        return []
    if line.startswith(("{", "[")):
        try:
            return parse_json_messages(line, platform)
        except ValueError:
            pass
    m = _NAMED.match(line)
    if m:
        return [ChatMessage(platform, m.group(1), m.group(2))]
    return [ChatMessage(platform, viewer, line)]


class StdinChat(ChatSource):
    """Read chat lines from ``stream`` (default: ``sys.stdin``) until end of file or ``close()``."""

    def __init__(self, stream: TextIO | None = None, *, platform: str = "stdin", viewer: str = "console") -> None:
        super().__init__()
        self.stream = stream
        self.platform = platform
        self.viewer = viewer
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=1000)

    def _read(self, loop: asyncio.AbstractEventLoop, stream: TextIO) -> None:
        try:
            for line in stream:
                if self.closed:
                    break
                asyncio.run_coroutine_threadsafe(self._queue.put(line), loop).result()
        except (OSError, ValueError, RuntimeError):
            pass
        finally:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._queue.put_nowait, None)

    async def messages(self) -> AsyncIterator[ChatMessage]:
        loop = asyncio.get_running_loop()
        stream = self.stream or sys.stdin
        threading.Thread(target=self._read, args=(loop, stream), name="stdin-chat", daemon=True).start()
        self.connected = True
        try:
            while not self.closed:
                got, line = await self._next_or_closed(self._queue)
                if not got or line is None:
                    return
                for message in parse_stdin_line(line, self.platform, self.viewer):
                    self.received += 1
                    yield message
        finally:
            self.connected = False
