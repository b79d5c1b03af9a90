"""The bridge drives a real OBS from daemon events, and keeps doing so across an OBS crash."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator

import pytest

from integrations.obs.bridge import OBSBridge
from integrations.obs.client import OBSClient, OBSError
from integrations.obs.protocol import Status
from integrations.obs.rules import Rule
from tests.integrations.obs.conftest import OBSServer
from tests.net import free_port

RULES = [
    Rule("speech.start", "scene", scene="Talk"),
    Rule("speech.end", "scene", scene="Idle"),
    Rule("emotion:happy", "show", scene="Talk", source="Badge", min_intensity=0.5),
    Rule("emotion:sad", "hide", source="Badge"),  # no scene: the current program scene
    Rule("speech.start", "media", source="Jingle", media_action="restart"),
    Rule("speech.end", "media", source="Jingle", media_action="stop"),
    Rule("connected", "virtualcam"),
]


async def create(client: OBSClient, request: str, data: dict) -> None:
    try:
        await client.request(request, data)
    except OBSError as exc:
        assert exc.code == Status.RESOURCE_ALREADY_EXISTS, exc


@pytest.fixture(scope="module")
def scenes(obs_server: OBSServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OBSServer]:
    """Idle and Talk scenes; in Talk a text source, a badge and a media source with a real file."""
    jingle = tmp_path_factory.mktemp("media") / "jingle.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=30", str(jingle)],
        check=True,
    )

    async def setup() -> None:
        async with OBSClient("127.0.0.1", obs_server.port, obs_server.password) as client:
            assert await client.wait_connected(10), client.last_error
            for name in ("Idle", "Talk"):
                await create(client, "CreateScene", {"sceneName": name})
            await create(client, "CreateInput", {"sceneName": "Talk", "inputName": "Subs",
                                                 "inputKind": "text_ft2_source_v2", "inputSettings": {"text": ""}})
            await create(client, "CreateInput", {"sceneName": "Talk", "inputName": "Badge",
                                                 "inputKind": "color_source_v3",
                                                 "inputSettings": {"color": 0xFF00FF00, "width": 64, "height": 64}})
            await create(client, "CreateInput", {"sceneName": "Talk", "inputName": "Jingle",
                                                 "inputKind": "ffmpeg_source",
                                                 "inputSettings": {"local_file": str(jingle), "looping": True}})
            await client.request("SetCurrentProgramScene", {"sceneName": "Idle"})

    asyncio.run(setup())
    yield obs_server


async def probe(server: OBSServer) -> OBSClient:
    """A second, independent client that reads OBS back."""
    client = OBSClient("127.0.0.1", server.port, server.password)
    client.start()
    assert await client.wait_connected(10), client.last_error
    return client


async def program_scene(client: OBSClient) -> str:
    return (await client.request("GetCurrentProgramScene"))["currentProgramSceneName"]


async def subtitle(client: OBSClient) -> str:
    return (await client.request("GetInputSettings", {"inputName": "Subs"}))["inputSettings"].get("text", "")


async def badge_enabled(client: OBSClient) -> bool:
    item = (await client.request("GetSceneItemId", {"sceneName": "Talk", "sourceName": "Badge"}))["sceneItemId"]
    return (await client.request("GetSceneItemEnabled", {"sceneName": "Talk", "sceneItemId": item}))[
        "sceneItemEnabled"
    ]


async def media_state(client: OBSClient) -> str:
    return (await client.request("GetMediaInputStatus", {"inputName": "Jingle"}))["mediaState"]


async def eventually(read, client: OBSClient, ok, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    """OBS applies some changes on its UI thread just after answering: read until ``ok`` or time out."""
    value = None
    try:
        async with asyncio.timeout(timeout):
            while not ok(value := await read(client)):
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{read.__name__} stayed {value!r}") from None


def make_bridge(server: OBSServer, **kwargs) -> OBSBridge:  # type: ignore[no-untyped-def]
    client = OBSClient("127.0.0.1", server.port, server.password, backoff_initial=0.1, backoff_max=0.5,
                       request_timeout=1.0)
    return OBSBridge(client, RULES, subtitle_source="Subs", **kwargs)


async def test_events_drive_scenes_subtitles_sources_media_and_virtualcam(scenes: OBSServer) -> None:
    bridge = make_bridge(scenes)
    check = await probe(scenes)
    bridge.start()
    try:
        assert await bridge.client.wait_connected(10)
        assert await bridge.drained(10)
        # `connected` asked for the virtual camera; this machine has no v4l2loopback, so OBS says no
        assert bridge.stats.failed == 1 and "VirtualCam is not available" in (bridge.stats.last_error or "")

        assert bridge.handle("speech.start", {"id": "u1", "text": "Hello there", "emotion": "happy"}) == 2
        for i in range(50):  # a subtitle burst coalesces to its last text
            bridge.handle("subtitle", {"text": f"Hello there {i}", "id": "u1"})
        assert bridge.depth <= 3
        assert await bridge.drained(10)
        await eventually(program_scene, check, lambda v: v == "Talk")
        await eventually(subtitle, check, lambda v: v == "Hello there 49")
        assert bridge.stats.coalesced >= 49
        await eventually(media_state, check, lambda v: v == "OBS_MEDIA_STATE_PLAYING")

        assert bridge.handle("emotion", {"emotion": "happy", "intensity": 0.2}) == 0  # below min_intensity
        bridge.handle("emotion", {"emotion": "sad", "intensity": 0.8})
        assert await bridge.drained(10)
        await eventually(badge_enabled, check, lambda v: v is False)
        bridge.handle("emotion", {"emotion": "happy", "intensity": 0.9})
        assert await bridge.drained(10)
        await eventually(badge_enabled, check, lambda v: v is True)

        bridge.handle("subtitle", {"text": "", "id": None})
        bridge.handle("speech.interrupted", {"reason": "operator", "cut": []})
        assert await bridge.drained(10)
        await eventually(program_scene, check, lambda v: v == "Idle")
        await eventually(subtitle, check, lambda v: v == "")
        await eventually(media_state, check, lambda v: v in ("OBS_MEDIA_STATE_STOPPED", "OBS_MEDIA_STATE_ENDED"))
        assert bridge.stats.failed == 1  # only the virtual camera
    finally:
        await bridge.stop()
        await check.stop()


async def test_a_missing_scene_is_reported_and_the_rest_still_applies(scenes: OBSServer) -> None:
    client = OBSClient("127.0.0.1", scenes.port, scenes.password)
    bridge = OBSBridge(client, [Rule("speech.start", "scene", scene="No Such Scene")], subtitle_source="Subs")
    check = await probe(scenes)
    bridge.start()
    try:
        bridge.handle("speech.start", {"id": "u2"})
        bridge.handle("subtitle", {"text": "still here", "id": "u2"})
        assert await bridge.drained(10)
        assert bridge.stats.failed == 1 and str(Status.RESOURCE_NOT_FOUND) in (bridge.stats.last_error or "")
        await eventually(subtitle, check, lambda v: v == "still here")
    finally:
        await bridge.stop()
        await check.stop()


async def test_a_frozen_obs_never_backs_up_the_daemon(scenes: OBSServer) -> None:
    bridge = make_bridge(scenes, queue_size=8)
    check = await probe(scenes)
    bridge.start()
    try:
        assert await bridge.client.wait_connected(10) and await bridge.drained(10)
        scenes.freeze()
        try:
            for i in range(300):
                bridge.handle("subtitle", {"text": f"line {i}", "id": "u3"})
                bridge.handle("speech.start" if i % 2 else "speech.end", {"id": "u3"})
            assert bridge.depth <= 8
            assert not await bridge.drained(0.5)
        finally:
            scenes.thaw()
        assert await bridge.drained(15)
        await eventually(subtitle, check, lambda v: v == "line 299")
        await eventually(program_scene, check, lambda v: v == "Talk")
    finally:
        await bridge.stop()
        await check.stop()


async def test_without_obs_the_queue_stays_bounded() -> None:
    client = OBSClient("127.0.0.1", free_port(), "x", backoff_initial=0.05, backoff_max=0.2)
    rules = [Rule("speech.start", "show", scene="S", source=f"src{i}") for i in range(10)]
    bridge = OBSBridge(client, rules, queue_size=4)
    bridge.start()
    try:
        assert bridge.handle("speech.start", {"id": "u"}) == 10
        assert bridge.depth == 4 and bridge.stats.dropped == 6
        await asyncio.sleep(0.3)
        assert not client.connected and bridge.depth == 4
    finally:
        await bridge.stop()


def rewrite_saved_collection(server: OBSServer, scene: str, text: str) -> None:
    """Edit OBS's saved scene collection while it is down: it comes back showing something else."""
    (path,) = (server.home / ".config" / "obs-studio" / "basic" / "scenes").glob("*.json")
    saved = json.loads(path.read_text())
    saved["current_scene"] = saved["current_program_scene"] = scene
    for source in saved["sources"]:
        if source["name"] == "Subs":
            source["settings"]["text"] = text
    path.write_text(json.dumps(saved))


async def test_obs_crash_and_restart_reconnects_and_reapplies(scenes: OBSServer) -> None:
    bridge = make_bridge(scenes)
    bridge.start()
    check: OBSClient | None = None
    try:
        assert await bridge.client.wait_connected(10) and await bridge.drained(10)
        bridge.handle("speech.start", {"id": "u4"})
        bridge.handle("subtitle", {"text": "before the crash", "id": "u4"})
        assert await bridge.drained(10)

        scenes.kill()
        for _ in range(100):
            if not bridge.client.connected:
                break
            await asyncio.sleep(0.05)
        assert not bridge.client.connected
        rewrite_saved_collection(scenes, "Idle", "stale text")
        # while OBS is down, events still go in at once and wait (coalesced) for its return
        bridge.handle("subtitle", {"text": "while OBS was away", "id": "u4"})
        await asyncio.sleep(0.8)  # a few failed reconnects with backoff
        assert bridge.client.failures >= 1

        await asyncio.to_thread(scenes.start)
        assert await bridge.client.wait_connected(15), bridge.client.last_error
        assert bridge.client.connections == 2
        assert await bridge.drained(10)
        check = await probe(scenes)
        await eventually(program_scene, check, lambda v: v == "Talk")  # re-applied: OBS came back on its saved "Idle"
        await eventually(subtitle, check, lambda v: v == "while OBS was away")

        bridge.handle("speech.end", {"id": "u4"})
        bridge.handle("subtitle", {"text": "after the restart", "id": "u5"})
        assert await bridge.drained(10)
        await eventually(program_scene, check, lambda v: v == "Idle")
        await eventually(subtitle, check, lambda v: v == "after the restart")
    finally:
        await bridge.stop()
        if check is not None:
            await check.stop()
