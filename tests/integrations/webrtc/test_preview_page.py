"""The preview page in headless Chromium (Debian's, driven by playwright): it plays the Stage over
WHEP, shows live subtitles from /api/events, and its controls call the control API."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time

import pytest

from tests.integrations.webrtc.conftest import H, W

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # plain host candidates, no mDNS names
]

STATS_JS = """async () => {
  const pc = window.moodcam.pc, out = {state: pc && pc.connectionState};
  if (!pc) return out;
  (await pc.getStats()).forEach(s => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video')
      Object.assign(out, {framesDecoded: s.framesDecoded, width: s.frameWidth, height: s.frameHeight});
    if (s.kind === 'audio')
      Object.assign(out, {samples: s.totalSamplesReceived, energy: s.totalAudioEnergy, level: s.audioLevel});
  });
  const v = document.getElementById('video');
  if (v.videoWidth) {
    const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
    const g = c.getContext('2d'); g.drawImage(v, 0, 0);
    out.left = Array.from(g.getImageData(c.width / 4, c.height / 2, 1, 1).data);
    out.right = Array.from(g.getImageData(3 * c.width / 4, c.height / 2, 1, 1).data);
  }
  return out;
}"""


async def _until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def browser():  # type: ignore[no-untyped-def]
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian chromium is not installed")
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as profile:
        async with async_playwright() as p:
            ctx = await p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=ARGS
            )
            try:
                yield ctx
            finally:
                await ctx.close()


async def test_page_plays_and_controls_work(stage_server, browser) -> None:  # type: ignore[no-untyped-def]
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(stage_server.url + "/")
    await page.wait_for_selector("#status.live", timeout=20000)
    assert stage_server.hub.viewers == 1
    await page.click("#unmute")  # the viewer turns the sound on (the page starts muted for autoplay)
    assert await page.evaluate("document.getElementById('video').muted") is False

    stats: dict = {}  # type: ignore[type-arg]

    async def media_flowing() -> bool:
        stats.update(await page.evaluate(STATS_JS))
        return stats.get("framesDecoded", 0) >= 60 and stats.get("samples", 0) >= 48000

    await _until(media_flowing, 20, "frames and audio in Chromium")
    assert (stats["width"], stats["height"]) == (W, H)
    assert stats["energy"] > 0 and stats["level"] > 0.05, "the tone is audible, not silence"
    assert stats["left"][0] > 200 and stats["left"][2] < 60, stats["left"]
    assert stats["right"][2] > 200 and stats["right"][0] < 60, stats["right"]

    # live subtitles from the events socket
    await _until(lambda: _true(bool(stage_server.ws_clients)), 10, "the events socket")
    await stage_server.publish({"kind": "subtitle", "text": "Hello there, chat!", "id": "u1"})
    await page.wait_for_function("document.getElementById('subtitle').textContent === 'Hello there, chat!'")
    await stage_server.publish({"kind": "subtitle", "text": "", "id": None})
    await page.wait_for_function("document.getElementById('subtitle').textContent === ''")

    # controls
    await page.select_option("#emotion", "happy")
    await page.fill("#say-text", "Welcome to the stream")
    await page.click("#say-form button[type=submit]")
    await page.click("#interrupt")
    await page.select_option("#emotion", "")
    await _until(lambda: _true(len(stage_server.calls) >= 4), 10, "control calls")
    assert stage_server.calls == [
        ("/api/emotion", {"emotion": "happy", "intensity": 0.7}),
        ("/api/say", {"text": "Welcome to the stream", "emotion": "happy", "intensity": 0.7}),
        ("/api/interrupt", {}),
        ("/api/emotion", {"emotion": None, "intensity": 0.7}),
    ]
    assert await page.input_value("#say-text") == "", "a line that was accepted clears the box"

    # closing the tab hangs up (WHEP DELETE)
    await page.close(run_before_unload=True)
    await _until(lambda: _true(stage_server.hub.viewers == 0), 10, "the viewer to hang up")
    assert errors == []


async def _true(value: bool) -> bool:
    return value
