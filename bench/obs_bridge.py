"""OBS bridge benchmark against a real headless OBS: what a daemon event costs, how fast OBS answers,
how many subtitle updates reach OBS under a flood, and how long a reconnect takes after OBS restarts.

Prints one JSON object.  Needs Debian `obs-studio` and `Xvfb`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.obs.bridge import OBSBridge
from integrations.obs.client import OBSClient, OBSError
from integrations.obs.rules import Rule
from tests.integrations.obs.conftest import OBSServer, Xvfb


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(server: OBSServer) -> dict[str, object]:
    client = OBSClient("127.0.0.1", server.port, server.password, backoff_initial=0.1, backoff_max=0.5)
    bridge = OBSBridge(client, [Rule("speech.start", "scene", scene="Talk"), Rule("speech.end", "scene", scene="Idle")],
                       subtitle_source="Subs", queue_size=64)
    bridge.start()
    t0 = time.perf_counter()
    await client.wait_connected(10)
    first_connect = time.perf_counter() - t0
    for request, data in [("CreateScene", {"sceneName": "Idle"}), ("CreateScene", {"sceneName": "Talk"}),
                          ("CreateInput", {"sceneName": "Talk", "inputName": "Subs",
                                           "inputKind": "text_ft2_source_v2", "inputSettings": {"text": ""}})]:
        with contextlib.suppress(OBSError):  # already there from an earlier run
            await client.request(request, data)

    rtt = []
    for _ in range(300):
        t = time.perf_counter()
        await client.request("GetVersion")
        rtt.append((time.perf_counter() - t) * 1000)

    n = 100_000
    t = time.perf_counter()
    for i in range(n):
        bridge.handle("subtitle", {"text": f"word {i}", "id": "b"})
    handle_us = (time.perf_counter() - t) / n * 1e6
    await bridge.drained(10)

    # a flood: one subtitle update every millisecond for 3 s (far above any speech rate)
    applied0, coalesced0 = bridge.stats.applied, bridge.stats.coalesced
    t = time.perf_counter()
    i = 0
    max_depth = 0
    while time.perf_counter() - t < 3.0:
        bridge.handle("subtitle", {"text": f"flood {i}", "id": "f"})
        max_depth = max(max_depth, bridge.depth)
        i += 1
        await asyncio.sleep(0.001)
    await bridge.drained(10)
    flood_s = time.perf_counter() - t
    final = (await client.request("GetInputSettings", {"inputName": "Subs"}))["inputSettings"]["text"]

    # crash and restart OBS: time until the bridge is identified again and has re-applied its state
    bridge.handle("speech.start", {"id": "r"})
    await bridge.drained(10)
    server.kill()
    t = time.perf_counter()
    start_s = await asyncio.to_thread(server.start)
    port_up = time.perf_counter() - t
    await client.wait_connected(20)
    reconnected = time.perf_counter() - t
    await bridge.drained(10)
    scene = (await client.request("GetCurrentProgramScene"))["currentProgramSceneName"]
    await bridge.stop()
    return {
        "first_connect_s": round(first_connect, 3),
        "request_rtt_ms_p50": round(statistics.median(rtt), 3),
        "request_rtt_ms_p95": round(pct(rtt, 0.95), 3),
        "handle_us_per_event": round(handle_us, 2),
        "flood_events": i,
        "flood_applied_to_obs": bridge.stats.applied - applied0,
        "flood_coalesced": bridge.stats.coalesced - coalesced0,
        "flood_max_queue_depth": max_depth,
        "flood_applied_per_s": round((bridge.stats.applied - applied0) / flood_s, 1),
        "flood_final_text_ok": final == f"flood {i - 1}",
        "obs_restart_port_up_s": round(port_up, 3),
        "obs_restart_start_s": round(start_s, 3),
        "reconnect_after_restart_s": round(reconnected, 3),
        "reconnect_lag_after_port_up_s": round(reconnected - port_up, 3),
        "state_reapplied_after_restart": scene == "Talk",
    }


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="moodcam-obs-bench-"))
    xvfb = Xvfb(root / "xvfb.log")
    server = OBSServer(root, xvfb.display)
    try:
        obs_start = server.start()
        result = asyncio.run(measure(server))
    finally:
        server.stop()
        xvfb.stop()
    print(json.dumps({"bench": "obs_bridge", "cores": os.cpu_count(), "obs_start_s": round(obs_start, 3), **result}))


if __name__ == "__main__":
    main()
