"""The obs-websocket client against a real OBS: handshake, requests, events, failures, timeouts."""

from __future__ import annotations

import asyncio
import time

import pytest

from integrations.obs.client import OBSClient, OBSError, OBSNotConnected
from integrations.obs.protocol import Status
from tests.integrations.obs.conftest import OBSServer
from tests.net import free_port


async def ensure_scene(client: OBSClient, name: str) -> None:
    try:
        await client.request("CreateScene", {"sceneName": name})
    except OBSError as exc:
        assert exc.code == Status.RESOURCE_ALREADY_EXISTS, exc


async def test_identify_requests_and_concurrent_ids(obs_server: OBSServer) -> None:
    async with OBSClient("127.0.0.1", obs_server.port, obs_server.password) as client:
        assert await client.wait_connected(10), client.last_error
        version = await client.request("GetVersion")
        assert version["obsWebSocketVersion"].startswith("5.") and version["rpcVersion"] == 1
        names = [f"client-{i}" for i in range(8)]
        await asyncio.gather(*(ensure_scene(client, n) for n in names))
        # many requests in flight at once: each answer must reach the request that asked for it
        results = await asyncio.gather(
            *(client.request("GetSceneItemList", {"sceneName": n}) for n in names),
            *(client.request("GetSceneSceneTransitionOverride", {"sceneName": n}) for n in names),
        )
        assert all("sceneItems" in r for r in results[:8]) and all("transitionName" in r for r in results[8:])
        scenes = {s["sceneName"] for s in (await client.request("GetSceneList"))["scenes"]}
        assert set(names) <= scenes


async def test_failed_request_raises_with_the_status(obs_server: OBSServer) -> None:
    async with OBSClient("127.0.0.1", obs_server.port, obs_server.password) as client:
        assert await client.wait_connected(10)
        with pytest.raises(OBSError) as info:
            await client.request("SetCurrentProgramScene", {"sceneName": "no such scene"})
        assert info.value.code == Status.RESOURCE_NOT_FOUND
        assert (await client.request("GetVersion"))["obsVersion"]  # the session survives a failure


async def test_events_arrive_for_subscribed_categories(obs_server: OBSServer) -> None:
    async with OBSClient("127.0.0.1", obs_server.port, obs_server.password) as client:
        assert await client.wait_connected(10)
        for name in ("events-a", "events-b"):
            await ensure_scene(client, name)
        stream = client.events("CurrentProgramSceneChanged")
        current = (await client.request("GetCurrentProgramScene"))["currentProgramSceneName"]
        target = "events-b" if current == "events-a" else "events-a"
        await client.request("SetCurrentProgramScene", {"sceneName": target})
        async with asyncio.timeout(5):
            async for event in stream:  # a late event from an earlier switch may come first
                assert event.type == "CurrentProgramSceneChanged"
                if event.data["sceneName"] == target:
                    break
        stream.close()


async def test_wrong_password_is_refused_and_retried_with_backoff(obs_server: OBSServer) -> None:
    client = OBSClient("127.0.0.1", obs_server.port, "wrong-password", backoff_initial=0.05, backoff_max=0.2)
    client.start()
    try:
        assert not await client.wait_connected(1.0)
        assert client.failures >= 2 and "rejected the obs-websocket password" in (client.last_error or "")
        with pytest.raises(OBSNotConnected):
            await client.request("GetVersion")
    finally:
        await client.stop()
    no_password = OBSClient("127.0.0.1", obs_server.port, None, backoff_initial=0.05, backoff_max=0.2)
    no_password.start()
    try:
        assert not await no_password.wait_connected(0.5)
        assert "none is configured" in (no_password.last_error or "")
    finally:
        await no_password.stop()


async def test_absent_obs_never_blocks_and_backs_off() -> None:
    client = OBSClient("127.0.0.1", free_port(), "x", backoff_initial=0.05, backoff_max=0.4)
    client.start()  # returns at once even though nothing listens
    try:
        with pytest.raises(OBSNotConnected):
            await client.request("GetVersion")
        await asyncio.sleep(1.5)
        # doubling from 0.05 s up to the 0.4 s cap: a handful of attempts, not hundreds
        assert 3 <= client.failures <= 12, client.failures
        assert not client.connected and "cannot connect" in (client.last_error or "")
    finally:
        await client.stop()


async def test_a_frozen_obs_costs_a_request_its_timeout(obs_server: OBSServer) -> None:
    async with OBSClient("127.0.0.1", obs_server.port, obs_server.password, request_timeout=0.5) as client:
        assert await client.wait_connected(10)
        obs_server.freeze()
        try:
            t0 = time.monotonic()
            with pytest.raises(TimeoutError):
                await client.request("GetVersion")
            assert time.monotonic() - t0 < 3.0
        finally:
            obs_server.thaw()
        assert (await client.request("GetVersion", timeout=5))["obsVersion"]
