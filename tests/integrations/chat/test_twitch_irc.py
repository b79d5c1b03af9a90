"""Twitch IRC connector against a real IRC server (ngircd) and, for Twitch's IRCv3 tags, USERNOTICE
and RECONNECT (which ngircd does not send), against a small asyncio server speaking Twitch's dialect."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from integrations.chat.base import Backoff, ChatMessage, ChatSource
from integrations.chat.twitch_irc import ANONYMOUS_NICK, TwitchIrc
from pipeline.turn import TurnKind

from .conftest import Ngircd
from .irc_poster import Poster


@contextlib.asynccontextmanager
async def reading(source: ChatSource) -> AsyncIterator[asyncio.Queue[ChatMessage]]:
    """Run ``source.messages()`` in a task, collecting into a queue; close it afterwards."""
    out: asyncio.Queue[ChatMessage] = asyncio.Queue()

    async def run() -> None:
        async for m in source.messages():
            out.put_nowait(m)

    task = asyncio.create_task(run())
    try:
        yield out
    finally:
        await source.close()
        await asyncio.wait_for(task, 5)


def quick_backoff() -> Backoff:
    return Backoff(initial=0.05, maximum=0.2)


async def test_anonymous_read_only_on_ngircd(ngircd: Ngircd) -> None:
    chat = TwitchIrc("MoodCam", host="127.0.0.1", port=ngircd.port, tls=False, backoff=quick_backoff())
    assert chat.anonymous and chat.nick == ANONYMOUS_NICK
    async with reading(chat) as got:
        await asyncio.wait_for(chat.joined.wait(), 10)
        async with Poster(ngircd.port, "viewer1", "#moodcam") as viewer:
            await viewer.say("hello from the chat")
            await viewer.say("\x01ACTION waves\x01")
            msg = await asyncio.wait_for(got.get(), 10)
            action = await asyncio.wait_for(got.get(), 10)
    assert (msg.platform, msg.viewer, msg.text, msg.kind) == ("twitch", "viewer1", "hello from the chat", TurnKind.CHAT)
    assert action.text == "waves"
    assert chat.received == 2


async def test_authenticated_login_and_wrong_token(ngircd_with_password: Ngircd) -> None:
    port = ngircd_with_password.port
    good = TwitchIrc("moodcam", nick="moodbot", token="s3cret-token", host="127.0.0.1", port=port, tls=False)
    assert not good.anonymous
    async with reading(good) as got:
        await asyncio.wait_for(good.joined.wait(), 10)
        async with Poster(port, "viewer2", "#moodcam", password="oauth:s3cret-token") as viewer:
            await viewer.say("logged in chat works")
            msg = await asyncio.wait_for(got.get(), 10)
    assert msg.text == "logged in chat works" and msg.viewer == "viewer2"

    bad = TwitchIrc("moodcam", nick="moodbot", token="wrong", host="127.0.0.1", port=port, tls=False,
                    backoff=quick_backoff())
    async with reading(bad):
        for _ in range(100):
            if bad.reconnects >= 1 and bad.last_error:
                break
            await asyncio.sleep(0.05)
    assert not bad.joined.is_set() and bad.reconnects >= 1
    assert "wrong" not in (bad.last_error or "")  # the token never shows up in errors


async def test_reconnects_after_the_server_restarts(ngircd: Ngircd) -> None:
    chat = TwitchIrc("moodcam", host="127.0.0.1", port=ngircd.port, tls=False, backoff=quick_backoff())
    async with reading(chat) as got:
        await asyncio.wait_for(chat.joined.wait(), 10)
        ngircd.stop()
        for _ in range(100):
            if not chat.joined.is_set():
                break
            await asyncio.sleep(0.05)
        assert not chat.connected
        ngircd.start()
        await asyncio.wait_for(chat.joined.wait(), 15)
        async with Poster(ngircd.port, "viewer3", "#moodcam") as viewer:
            await viewer.say("still here after restart")
            msg = await asyncio.wait_for(got.get(), 10)
    assert msg.text == "still here after restart"
    assert chat.reconnects >= 1


class TwitchLikeServer:
    """Speaks the part of Twitch's IRC dialect the connector relies on; records what it was sent."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.received: list[str] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.joined = asyncio.Event()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        for w in self.writers:
            w.close()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    def send(self, line: str) -> None:
        self.writers[-1].write(line.encode() + b"\r\n")

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        nick = ""
        password = None
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            self.received.append(line)
            if line.startswith("CAP REQ"):
                writer.write(b":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n")
            elif line.startswith("PASS "):
                password = line[5:]
            elif line.startswith("NICK "):
                nick = line[5:]
                if self.token is not None and password != f"oauth:{self.token}":
                    writer.write(b":tmi.twitch.tv NOTICE * :Login authentication failed\r\n")
                    writer.close()
                    return
                writer.write(f":tmi.twitch.tv 001 {nick} :Welcome, GLHF!\r\n".encode())
            elif line.startswith("JOIN "):
                writer.write(f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN {line[5:]}\r\n".encode())
                self.joined.set()
            await writer.drain()


async def test_twitch_tags_usernotice_ping_and_reconnect() -> None:
    server = TwitchLikeServer()
    port = await server.start()
    chat = TwitchIrc("#Streamer", host="127.0.0.1", port=port, tls=False, backoff=quick_backoff())
    try:
        async with reading(chat) as got:
            await asyncio.wait_for(chat.joined.wait(), 5)
            assert any(r.startswith("CAP REQ :twitch.tv/tags") for r in server.received)
            assert f"NICK {ANONYMOUS_NICK}" in server.received and "CAP END" in server.received
            server.send("@badge-info=;bits=100;display-name=Big\\sSpender;id=abc-1;user-id=1 "
                        ":bigspender!bigspender@bigspender.tmi.twitch.tv PRIVMSG #streamer :Cheer100 great show")
            server.send("@display-name=Ann;msg-id=resub;msg-param-cumulative-months=7;"
                        "system-msg=Ann\\ssubscribed\\sfor\\s7\\smonths! :tmi.twitch.tv USERNOTICE #streamer :love it")
            server.send("@display-name=Raider;msg-id=raid;msg-param-viewerCount=42;"
                        "system-msg=42\\sraiders\\sfrom\\sRaider :tmi.twitch.tv USERNOTICE #streamer")
            server.send("PING :tmi.twitch.tv")
            server.send(":someone!someone@x PRIVMSG #otherchannel :not ours")
            server.send("@display-name=Bob :bob!bob@bob.tmi.twitch.tv PRIVMSG #streamer :hi; semicolons \\s ok")
            bits = await asyncio.wait_for(got.get(), 5)
            sub = await asyncio.wait_for(got.get(), 5)
            raid = await asyncio.wait_for(got.get(), 5)
            plain = await asyncio.wait_for(got.get(), 5)
            for _ in range(50):
                if "PONG :tmi.twitch.tv" in server.received:
                    break
                await asyncio.sleep(0.02)
            assert "PONG :tmi.twitch.tv" in server.received
            server.joined.clear()
            server.send(":tmi.twitch.tv RECONNECT")
            await asyncio.wait_for(server.joined.wait(), 5)
            server.send("@display-name=Cy :cy!cy@cy.tmi.twitch.tv PRIVMSG #streamer :after reconnect")
            after = await asyncio.wait_for(got.get(), 5)
    finally:
        await server.close()
    assert (bits.viewer, bits.kind, bits.amount, bits.id) == ("Big Spender", TurnKind.GIFT, 100.0, "abc-1")
    assert bits.text == "Cheer100 great show"
    assert sub.kind == TurnKind.GIFT and sub.amount == 7 and sub.text == "Ann subscribed for 7 months! love it"
    assert raid.kind == TurnKind.JOIN and raid.amount == 42 and "raiders" in raid.text
    assert plain.text == "hi; semicolons \\s ok" and plain.viewer == "Bob"
    assert after.text == "after reconnect" and server.connections == 2 and chat.reconnects == 1


async def test_token_login_against_twitch_dialect() -> None:
    server = TwitchLikeServer(token="abc123")
    port = await server.start()
    chat = TwitchIrc("streamer", nick="Bot", token="oauth:abc123", host="127.0.0.1", port=port, tls=False)
    try:
        async with reading(chat):
            await asyncio.wait_for(chat.joined.wait(), 5)
    finally:
        await server.close()
    assert "PASS oauth:abc123" in server.received and "NICK bot" in server.received


@pytest.mark.parametrize("env_value", [None, "tok"])
def test_from_env_picks_anonymous_or_token(monkeypatch: pytest.MonkeyPatch, env_value: str | None) -> None:
    if env_value is None:
        monkeypatch.delenv("MOODCAM_TEST_TWITCH", raising=False)
    else:
        monkeypatch.setenv("MOODCAM_TEST_TWITCH", env_value)
    chat = TwitchIrc.from_env("chan", "MOODCAM_TEST_TWITCH", nick="me", tls=False)
    assert chat.anonymous is (env_value is None)


async def test_tls_connection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """TLS is on by default for Twitch; here against a local server with a throwaway certificate."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    server = TwitchLikeServer()
    server.server = await asyncio.start_server(server._client, "127.0.0.1", 0, ssl=server_ctx)
    port = int(server.server.sockets[0].getsockname()[1])
    chat = TwitchIrc("streamer", host="127.0.0.1", port=port, tls=True, ssl_context=client_ctx)
    try:
        async with reading(chat) as got:
            await asyncio.wait_for(chat.joined.wait(), 5)
            server.send("@display-name=Tee :tee!tee@tee.tmi.twitch.tv PRIVMSG #streamer :over tls")
            msg = await asyncio.wait_for(got.get(), 5)
    finally:
        await server.close()
    assert msg.text == "over tls"
