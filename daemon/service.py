"""The daemon: wires profile -> face -> Stage -> sinks, serves the page, and stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from daemon.check import CheckResult, check_profile
from daemon.config.profile import Profile
from daemon.events import EventBus
from daemon.face_setup import build_face
from daemon.notify import Notifier
from daemon.stage import Stage
from integrations.outputs.base import Sink, SinkRunner
from integrations.outputs.file_sink import FileSink
from integrations.outputs.preview import PreviewSink

log = logging.getLogger(__name__)


class ComponentUnavailable(RuntimeError):
    """An enabled, required component cannot run here (exit code 1)."""

    def __init__(self, failures: list[CheckResult]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{r.component}: {r.detail}" for r in failures))


def build_sinks(profile: Profile, preview: PreviewSink, available: dict[str, bool]) -> list[Sink]:
    """The enabled sinks; `auto` devices only when ``moodcam check`` found them."""
    o = profile.outputs
    sinks: list[Sink] = [preview]
    if o.file.enabled:
        sinks.append(
            FileSink(
                o.file.path,
                fps=o.fps,
                video_bitrate_kbps=o.file.video_bitrate_kbps,
                audio_bitrate_kbps=o.file.audio_bitrate_kbps,
            )
        )
    return sinks


class Service:
    """One running moodcam: owns the Stage, its sinks, the API server and the event bus."""

    def __init__(self, profile: Profile, profile_path: Path, notifier: Notifier | None = None) -> None:
        self.profile = profile
        self.profile_path = profile_path
        self.events = EventBus()
        self.notifier = notifier or Notifier()
        self.stop_event = asyncio.Event()
        self.preview = PreviewSink()
        self.stage: Stage | None = None
        self.checks: list[CheckResult] = []

    def preflight(self) -> dict[str, bool]:
        """Run the checks; raise ComponentUnavailable for required components that cannot run."""
        self.checks = check_profile(self.profile)
        failures = [r for r in self.checks if r.required and not r.ok]
        if failures:
            raise ComponentUnavailable(failures)
        for result in self.checks:
            log.info("%s", result.line)
        return {r.component: r.ok for r in self.checks}

    def build(self, available: dict[str, bool]) -> Stage:
        animator, performer = build_face(self.profile)
        stage = Stage(
            animator,
            performer,
            fps=self.profile.outputs.fps,
            gap_s=self.profile.voice.sentence_pause_ms / 1000.0,
            events=self.events,
        )
        for sink in build_sinks(self.profile, self.preview, available):
            stage.add_sink(SinkRunner(sink, queue_size=self.profile.outputs.sink_queue))
        self.stage = stage
        return stage

    def request_stop(self) -> None:
        self.stop_event.set()

    async def run(self) -> None:
        """Run until a stop is requested (signal or API)."""
        available = self.preflight()
        stage = self.build(available)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        stage.heartbeat = self.notifier.watchdog
        stage_task = asyncio.create_task(stage.run(self.stop_event), name="stage")
        server_task = None
        if self.profile.api.enabled:
            from daemon.api.server import serve

            server_task = asyncio.create_task(serve(self), name="api")
        ready = asyncio.create_task(stage.running.wait())
        await asyncio.wait({ready, stage_task}, return_when=asyncio.FIRST_COMPLETED)
        if stage.running.is_set():
            self.notifier.ready()
            log.info("streaming at %d fps; preview on http://%s:%d/", stage.fps, self.profile.api.host,
                     self.profile.api.port)
        try:
            await stage_task
        finally:
            ready.cancel()
            self.notifier.stopping()
            if server_task is not None:
                server_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await server_task
            log.info("stopped after %d frames", stage.stats.frames)
