"""Twitch chat over IRC: anonymous read-only (``justinfan``) or logged in with an OAuth token.

Requests Twitch's IRCv3 tags and commands (display names, bits, subs, raids), answers PING, follows
RECONNECT, and reconnects with backoff whenever the connection drops.  Host, port and TLS are
parameters so tests can point it at a local server.  The token is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from collections.abc import AsyncIterator

from integrations.chat.base import Backoff, ChatMessage, ChatSource
from integrations.chat.irc_parse import parse_line, to_chat_message

log = logging.getLogger(__name__)

ANONYMOUS_NICK = "justinfan12345"


class TwitchAuthError(ConnectionError):
    """The server refused the login (wrong or expired token)."""


class TwitchIrc(ChatSource):
    """Read one channel's chat."""

    def __init__(
        self,
        channel: str,
        *,
        nick: str | None = None,
        token: str | None = None,
        host: str = "irc.chat.twitch.tv",
        port: int | None = None,
        tls: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        backoff: Backoff | None = None,
        platform: str = "twitch",
        connect_timeout: float = 10.0,
        idle_timeout: float = 360.0,
    ) -> None:
        super().__init__()
        self.channel = "#" + channel.lower().lstrip("#")
        self._token = None if not token else (token if token.startswith("oauth:") else f"oauth:{token}")
        self.nick = (nick or ANONYMOUS_NICK).lower() if self._token else ANONYMOUS_NICK
        self.host = host
        self.tls = tls
        self.port = port or (6697 if tls else 6667)
        self._ssl = ssl_context
        self.backoff = backoff or Backoff()
        self.platform = platform
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.joined = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    def from_env(cls, channel: str, token_env: str | None, **kwargs: object) -> TwitchIrc:
        """Authenticated when ``token_env`` names a set variable, anonymous otherwise."""
        token = os.environ.get(token_env) if token_env else None
        return cls(channel, token=token or None, **kwargs)  # type: ignore[arg-type]

    @property
    def anonymous(self) -> bool:
        return self._token is None

    async def messages(self) -> AsyncIterator[ChatMessage]:
        while not self.closed:
            try:
                async for message in self._session():
                    self.received += 1
                    yield message
            except TwitchAuthError as exc:
                self.last_error = str(exc)
                log.warning("twitch login to %s refused: %s", self.channel, exc)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ConnectionError, ssl.SSLError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.info("twitch chat %s disconnected: %s", self.channel, self.last_error)
            finally:
                self.connected = False
                self.joined.clear()
                await self._close_writer()
            if self.closed or not await self.backoff.sleep(self._closed):
                return
            self.reconnects += 1

    async def close(self) -> None:
        await super().close()
        await self._close_writer()

    async def send(self, line: str) -> None:
        """Send one raw IRC line (used for PONG; chat writing is not a feature of this connector)."""
        if self._writer is None:
            raise ConnectionError("not connected")
        self._writer.write(line.encode("utf-8", "replace")[:510] + b"\r\n")
        await self._writer.drain()

    async def _session(self) -> AsyncIterator[ChatMessage]:
        ctx = (self._ssl or ssl.create_default_context()) if self.tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=ctx, limit=65536), self.connect_timeout
        )
        self._writer = writer
        await self.send("CAP REQ :twitch.tv/tags twitch.tv/commands")
        if self._token:
            await self.send(f"PASS {self._token}")
        await self.send(f"NICK {self.nick}")
        await self.send(f"USER {self.nick} 0 * :{self.nick}")
        pinged = False
        while not self.closed:
            try:
                raw = await asyncio.wait_for(reader.readline(), 15.0 if pinged else self.idle_timeout)
            except TimeoutError:
                if pinged:
                    raise TimeoutError("no answer to keep-alive PING") from None
                await self.send("PING :keepalive")
                pinged = True
                continue
            if not raw:
                raise ConnectionError("server closed the connection")
            pinged = False
            msg = parse_line(raw.decode("utf-8", "replace"))
            if msg is None:
                continue
            cmd = msg.command
            if cmd == "PING":
                await self.send(f"PONG :{msg.trailing}")
            elif cmd == "CAP" and len(msg.params) >= 2 and msg.params[1] in ("ACK", "NAK"):
                await self.send("CAP END")
            elif cmd in ("001", "376", "422") and not self.connected:
                self.connected = True
                await self.send(f"JOIN {self.channel}")
            elif cmd == "JOIN" and msg.nick.lower() == self.nick and msg.trailing.lower() == self.channel:
                self.joined.set()
                self.backoff.reset()
                self.last_error = None
            elif cmd == "366" and not self.joined.is_set():  # end of NAMES: joined
                self.joined.set()
                self.backoff.reset()
            elif cmd == "RECONNECT":
                raise ConnectionError("server asked to reconnect")
            elif cmd == "NOTICE" and "authentication failed" in msg.trailing.lower():
                raise TwitchAuthError(msg.trailing)
            elif cmd in ("464", "465") or (cmd == "ERROR" and not self.connected):
                raise TwitchAuthError(msg.trailing or cmd)
            elif cmd == "ERROR":
                raise ConnectionError(msg.trailing or "server error")
            else:
                chat = to_chat_message(msg, self.platform)
                if chat is not None and (not msg.params or msg.params[0].lower() == self.channel):
                    yield chat

    async def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await asyncio.wait_for(writer.wait_closed(), 2.0)
