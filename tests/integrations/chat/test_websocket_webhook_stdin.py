"""WebSocket, HTTP webhook and stdin connectors against real servers and pipes on loopback."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
import uvicorn
import websockets
from fastapi import FastAPI

from integrations.chat.base import Backoff, ChatMessage, pump
from integrations.chat.stdin import StdinChat
from integrations.chat.webhook import WebhookChat, webhook_router
from integrations.chat.websocket import WebSocketChat
from pipeline.inbox.inbox import Inbox
from pipeline.turn import TurnKind
from tests.net import free_port

from .test_twitch_irc import reading


async def test_websocket_reads_json_skips_junk_and_reconnects() -> None:
    connections: list[websockets.ServerConnection] = []
    headers: list[str | None] = []

    async def handler(ws: websockets.ServerConnection) -> None:
        connections.append(ws)
        headers.append(ws.request.headers.get("Authorization") if ws.request else None)
        if len(connections) == 1:
            await ws.send(json.dumps({"viewer": "ann", "text": "hi there", "platform": "tiktok"}))
            await ws.send("this is not json")
            await ws.send(json.dumps({"text": "no viewer"}))
            await ws.send(json.dumps([{"viewer": "bob", "kind": "gift", "text": "Rose", "amount": 3},
                                      {"viewer": "cy", "kind": "follow"}]))
            await ws.close()
        else:
            await ws.send(json.dumps({"viewer": "dee", "text": "back again"}))
            await ws.wait_closed()

    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        chat = WebSocketChat(f"ws://127.0.0.1:{port}/chat", token="wstoken", backoff=Backoff(0.05, 0.2))
        async with reading(chat) as got:
            msgs = [await asyncio.wait_for(got.get(), 5) for _ in range(4)]
    ann, bob, cy, dee = msgs
    assert (ann.platform, ann.viewer, ann.text, ann.kind) == ("tiktok", "ann", "hi there", TurnKind.CHAT)
    assert (bob.kind, bob.amount, bob.text) == (TurnKind.GIFT, 3.0, "Rose")
    assert cy.kind == TurnKind.FOLLOW
    assert dee.text == "back again"
    assert chat.invalid == 2 and chat.reconnects >= 1 and len(connections) == 2
    assert headers[0] == "Bearer wstoken"


@pytest.fixture()
async def webhook_server():  # type: ignore[no-untyped-def]
    got: list[ChatMessage] = []

    def callback(m: ChatMessage) -> None:
        if m.text == "explode":
            raise RuntimeError("handler bug")
        got.append(m)

    app = FastAPI()
    app.include_router(webhook_router(callback, "hooktoken"), prefix="/api/chat")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}/api/chat", got
    server.should_exit = True
    await asyncio.wait_for(task, 5)


async def test_webhook_accepts_valid_json_and_rejects_the_rest(webhook_server) -> None:  # type: ignore[no-untyped-def]
    url, got = webhook_server
    auth = {"Authorization": "Bearer hooktoken"}
    async with httpx.AsyncClient(timeout=5) as client:
        ok = await client.post(url, json={"platform": "douyin", "viewer": "ann", "text": "多少钱？"}, headers=auth)
        assert ok.status_code == 202 and ok.json() == {"accepted": 1, "received": 1}
        batch = [{"viewer": "bob", "kind": "gift", "text": "Rocket", "amount": 10}, {"viewer": "cy", "kind": "join"}]
        assert (await client.post(url, json=batch, headers={"X-Chat-Token": "hooktoken"})).status_code == 202
        assert (await client.post(url, json={"viewer": "x", "text": "hi"})).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await client.post(url, json={"viewer": "x"}, headers=wrong)).status_code == 401
        bad = [
            {"viewer": "x", "kind": "shout"},
            {"text": "no viewer"},
            {"viewer": "x", "amount": -5},
            {"viewer": "", "text": "empty name"},
            {"viewer": "x", "text": "y" * 2001},
        ]
        for body in bad:
            r = await client.post(url, json=body, headers=auth)
            assert r.status_code == 422, body
        r = await client.post(url, content=b"{not json", headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 422
        huge = [{"viewer": "v", "text": "z" * 1500}] * 60
        assert (await client.post(url, json=huge, headers=auth)).status_code == 413
        boom = await client.post(url, json={"viewer": "x", "text": "explode"}, headers=auth)
        assert boom.status_code == 202 and boom.json()["accepted"] == 0
        after = await client.post(url, json={"viewer": "dee", "text": "still up"}, headers=auth)
        assert after.status_code == 202
    assert [(m.platform, m.viewer, m.kind) for m in got] == [
        ("douyin", "ann", TurnKind.CHAT),
        ("webhook", "bob", TurnKind.GIFT),
        ("webhook", "cy", TurnKind.JOIN),
        ("webhook", "dee", TurnKind.CHAT),
    ]
    assert got[1].amount == 10


async def test_webhook_as_a_chat_source_feeds_the_inbox() -> None:
    hook = WebhookChat(token=None, max_queue=3)
    app = FastAPI()
    app.include_router(hook.router, prefix="/api/chat")
    inbox = Inbox()
    pumping = asyncio.create_task(pump(hook, lambda m: inbox.offer(m.viewer, m.platform, m.text, m.kind, m.amount)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        r = await client.post("/api/chat", json={"viewer": "ann", "text": "is it in stock?"})
        assert r.status_code == 202
        for _ in range(50):
            if len(inbox):
                break
            await asyncio.sleep(0.01)
    await hook.close()
    await asyncio.wait_for(pumping, 2)
    turn = inbox.pop()
    assert turn is not None and turn.kind == TurnKind.QUESTION and turn.platform == "webhook"


async def test_stdin_lines_json_and_eof() -> None:
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "r", encoding="utf-8")
    chat = StdinChat(reader, viewer="host")
    async with reading(chat) as got:
        with os.fdopen(write_fd, "w", encoding="utf-8") as w:
            w.write("plain line\n\n")
            w.write("mia: hello there\n")
            w.write('{"viewer": "zed", "kind": "gift", "text": "Star", "amount": 2}\n')
            w.flush()
            msgs = [await asyncio.wait_for(got.get(), 5) for _ in range(3)]
        for _ in range(100):  # EOF ends the source
            if not chat.connected:
                break
            await asyncio.sleep(0.02)
        assert not chat.connected
    reader.close()
    assert [(m.viewer, m.text) for m in msgs] == [("host", "plain line"), ("mia", "hello there"), ("zed", "Star")]
    assert msgs[2].kind == TurnKind.GIFT and msgs[2].platform == "stdin"
