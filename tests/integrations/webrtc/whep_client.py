"""A WHEP viewer in its own process (aiortc): connects, receives for a while, prints a JSON report.

Usage: python whep_client.py BASE_URL SECONDS
Prints one line ``CONNECTED`` once media flows, then the report as JSON on the last line.
Host candidates are restricted to 127.0.0.1 so the test's traffic stays on loopback.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aioice.ice
import httpx
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"]


async def main(base: str, seconds: float) -> dict[str, object]:
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    report: dict[str, object] = {"video_frames": 0, "audio_samples": 0}
    audio: list[np.ndarray] = []
    first_frame = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def consume(track) -> None:  # type: ignore[no-untyped-def]
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                report["video_frames"] = int(report["video_frames"]) + 1  # type: ignore[call-overload]
                img = frame.to_ndarray(format="rgb24")
                h, w = img.shape[:2]
                report["size"] = [w, h]
                report["left"] = img[h // 2, w // 4].tolist()
                report["right"] = img[h // 2, 3 * w // 4].tolist()
                first_frame.set()
            else:
                pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
                report["audio_samples"] = int(report["audio_samples"]) + frame.samples  # type: ignore[call-overload]
                audio.append(pcm.astype(np.float64) / 32768)

    pc.on("track", lambda track: tasks.append(asyncio.ensure_future(consume(track))))
    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        r = await http.post("/whep", content=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"})
        assert r.status_code == 201, (r.status_code, r.text)
        location = r.headers["location"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=r.text, type="answer"))
        await asyncio.wait_for(first_frame.wait(), 15)
        print("CONNECTED", flush=True)
        started, frames0 = time.monotonic(), int(report["video_frames"])  # type: ignore[call-overload]
        await asyncio.sleep(seconds)
        report["fps"] = round((int(report["video_frames"]) - frames0) / (time.monotonic() - started), 2)  # type: ignore[call-overload]
        report["delete_status"] = (await http.delete(location)).status_code
    await pc.close()
    for task in tasks:
        task.cancel()
    tail = np.concatenate(audio[-100:]) if audio else np.zeros(1)
    report["audio_rms"] = float(np.sqrt(np.mean(tail**2)))
    report["audio_peak_hz"] = float(np.argmax(np.abs(np.fft.rfft(tail))) * 48000 / len(tail))
    return report


if __name__ == "__main__":
    result = asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    print(json.dumps(result), flush=True)
