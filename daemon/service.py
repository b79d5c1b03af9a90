"""The daemon: wires profile -> components -> Stage -> sinks, serves the API, reloads, stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.check import CheckResult, check_profile
from daemon.conductor import Conductor, Line
from daemon.config.profile import Profile, ProfileError, load_profile
from daemon.events import EventBus
from daemon.metrics import Metrics
from daemon.notify import Notifier
from daemon.sinks import build_sinks
from daemon.stage import Stage
from integrations.outputs.base import SinkRunner
from integrations.outputs.preview import PreviewSink
from pipeline.emotion import EmotionState

if TYPE_CHECKING:
    from fastapi import APIRouter

    from daemon.api.auth import TokenGuard
    from daemon.components import Components
    from daemon.intake import Intake
    from integrations.obs.bridge import OBSBridge
    from integrations.webrtc.hub import WebRTCHub

log = logging.getLogger(__name__)


class ComponentUnavailable(RuntimeError):
    """An enabled, required component cannot run here (exit code 1)."""

    def __init__(self, failures: list[CheckResult]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{r.component}: {r.detail}" for r in failures))


class Service:
    """One running moodcam: owns the Stage, its sinks, the conductor, the API server and the events."""

    def __init__(self, profile: Profile, profile_path: Path, notifier: Notifier | None = None) -> None:
        self.profile = profile
        self.profile_path = Path(profile_path)
        self.events = EventBus()
        self.notifier = notifier or Notifier()
        self.stop_event = asyncio.Event()
        self.preview = PreviewSink()
        self.stage: Stage | None = None
        self.conductor: Conductor | None = None
        self.components: Components | None = None
        self.checks: list[CheckResult] = []
        self.metrics = Metrics(lambda: self.stage, self._queue_depths)
        self.started = time.time()
        self._emotion_override: EmotionState | None = None
        self._routers: list[APIRouter] = []
        self.webrtc: WebRTCHub | None = None
        self.obs_bridge: OBSBridge | None = None
        self.intake: Intake | None = None
        self._reloading = asyncio.Lock()

    # -- start-up -------------------------------------------------------------------------------
    def preflight(self) -> dict[str, bool]:
        """Run the checks; raise ComponentUnavailable for required components that cannot run."""
        self.checks = check_profile(self.profile)
        failures = [r for r in self.checks if r.required and not r.ok]
        if failures:
            raise ComponentUnavailable(failures)
        for result in self.checks:
            log.info("%s", result.line)
        return {r.component: r.ok for r in self.checks}

    async def build(self, available: dict[str, bool]) -> Stage:
        from daemon.components import build_components

        self.components = await asyncio.to_thread(build_components, self.profile)
        c = self.components
        stage = Stage(
            c.animator,
            c.performer,
            fps=self.profile.outputs.fps,
            gap_s=0.12,  # between utterances; the voice puts its own pause before each sentence
            events=self.events,
        )
        stage.rest = self._rest_emotion(self.profile)
        stage.set_emotion(stage.rest)
        for sink in build_sinks(self.profile, self.preview, available, self):
            stage.add_sink(SinkRunner(sink, queue_size=self.profile.outputs.sink_queue))
        self.stage = stage
        self.conductor = Conductor(stage, c.voice, self.events, observe=self.observe)
        return stage

    @staticmethod
    def _rest_emotion(profile: Profile) -> EmotionState:
        rest = profile.emotion.default
        return EmotionState(rest, 0.0 if rest == "neutral" else min(0.4, profile.emotion.max_intensity))

    def observe(self, stage: str, seconds: float) -> None:
        self.metrics.latency.labels(stage).observe(seconds)

    def add_router(self, router: APIRouter) -> None:
        self._routers.append(router)

    def extra_routers(self, guard: TokenGuard) -> list[APIRouter]:
        routers = list(self._routers)
        if self.intake is not None:
            routers.append(self.intake.router(guard))
        if self.webrtc is not None:
            from fastapi import Depends

            from integrations.webrtc.routes import build_router

            routers.append(build_router(self.webrtc, dependencies=[Depends(guard)]))
        return routers

    def request_stop(self) -> None:
        self.stop_event.set()

    async def run(self) -> None:
        """Run until a stop is requested (signal or API)."""
        available = self.preflight()
        stage = await self.build(available)
        assert self.conductor is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload(None)))
        stage.heartbeat = self.notifier.watchdog
        self.conductor.start()
        from daemon.intake import Intake

        self.intake = Intake(self)
        await self.intake.start()
        stage_task = asyncio.create_task(stage.run(self.stop_event), name="stage")
        obs_tasks = self._start_obs()
        server_task = None
        if self.profile.api.enabled:
            from daemon.api.server import serve

            server_task = asyncio.create_task(serve(self), name="api")
        ready = asyncio.create_task(stage.running.wait())
        await asyncio.wait({ready, stage_task}, return_when=asyncio.FIRST_COMPLETED)
        if stage.running.is_set():
            self.notifier.ready()
            api = self.profile.api
            log.info("streaming at %d fps; preview on http://%s:%d/", stage.fps, api.host, api.port)
            if self.profile.persona.greeting:
                await self.say(self.profile.persona.greeting, None)
        try:
            await stage_task
        finally:
            ready.cancel()
            self.notifier.stopping()
            await self.intake.stop()
            await self.conductor.stop()
            await self._stop_obs(obs_tasks)
            if self.webrtc is not None:
                await self.webrtc.close()
            if server_task is not None:
                server_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await server_task
            log.info("stopped after %d frames", stage.stats.frames)

    def _start_obs(self) -> list[asyncio.Task[None]]:
        """Steer OBS from the live events; OBS being down only means retries in the background."""
        if not self.profile.obs.enabled:
            return []
        import os

        from integrations.obs.bridge import bridge_from_config

        cfg = self.profile.obs
        self.obs_bridge = bridge_from_config(cfg, os.environ.get(cfg.password_env) if cfg.password_env else None)
        self.obs_bridge.start()
        return [asyncio.create_task(self.obs_bridge.pump(self.events.subscribe(256)), name="obs")]

    async def _stop_obs(self, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.obs_bridge is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.obs_bridge.stop(), 1.0)

    # -- control --------------------------------------------------------------------------------
    async def say(self, text: str, emotion: EmotionState | None) -> str:
        """Speak ``text`` as it is; the emotion is read from it when not given."""
        assert self.conductor is not None and self.components is not None
        c = self.components
        if emotion is None:
            emotion = (await asyncio.to_thread(c.reader.read, text)).state
        if self._emotion_override is not None:
            emotion = self._emotion_override
        lines = [Line(s, emotion, "operator") for s in c.split(text)]
        job = self.conductor.say(lines)
        return job.id

    def interrupt(self, reason: str = "operator") -> int:
        assert self.conductor is not None
        if self.components is not None and self.components.brain is not None:
            self.components.brain.interrupt()  # type: ignore[attr-defined]
        self.metrics.interrupts.labels(reason).inc()
        return self.conductor.interrupt(reason)

    def override_emotion(self, state: EmotionState | None) -> None:
        """Operator override of the face's emotion; None hands control back."""
        self._emotion_override = state
        assert self.stage is not None
        self.stage.set_override(state)
        self.events.publish("emotion.override", emotion=state.emotion.value if state else None)

    async def reload(self, path: Path | None) -> tuple[bool, str]:
        """Swap to a new (or the same, re-read) profile at the next utterance; keep the old one if bad."""
        async with self._reloading:
            target = Path(path) if path else self.profile_path
            self.notifier.reloading()
            try:
                profile = await asyncio.to_thread(load_profile, target)
                checks = await asyncio.to_thread(check_profile, profile)
                # our own listening port is busy (we hold it): outputs and api change only on restart
                failures = [r for r in checks if r.required and not r.ok and r.component != "api"]
                if failures:
                    raise ComponentUnavailable(failures)
                from daemon.components import build_components

                components = await asyncio.to_thread(build_components, profile, self._fixed_size())
            except (ProfileError, ComponentUnavailable) as exc:
                reason = str(exc)
                log.error("reload refused, keeping the current profile: %s", reason)
                self.events.publish("profile.rejected", path=str(target), reason=reason)
                self.notifier.ready("streaming (reload refused)")
                return False, reason
            except Exception as exc:
                log.exception("reload failed, keeping the current profile")
                self.notifier.ready("streaming (reload failed)")
                return False, f"reload failed: {exc}"
            self._apply(profile, target, components)
            self.notifier.ready()
            return True, f"profile {target} loaded"

    def _fixed_size(self) -> tuple[int, int]:
        f = self.profile.face
        return f.width, f.height

    def _apply(self, profile: Profile, path: Path, components: Components) -> None:
        assert self.stage is not None and self.conductor is not None
        old = self.profile
        if (profile.outputs, profile.api) != (old.outputs, old.api):
            log.warning("outputs and api settings change only on restart; the rest is applied now")
        self.stage.replace_face(components.animator, components.performer)
        self.stage.rest = self._rest_emotion(profile)
        self.conductor.voice = components.voice
        if self.intake is not None and components.brain is not None:
            self.intake.dispatcher.responder = components.brain  # type: ignore[assignment]
        self.components = components
        self.profile = profile.model_copy(update={"outputs": old.outputs, "api": old.api})
        self.profile_path = path
        self.events.publish("profile.loaded", path=str(path), persona=profile.persona.name)
        log.info("profile %s loaded (persona %s)", path, profile.persona.name)

    # -- status ---------------------------------------------------------------------------------
    def _queue_depths(self) -> dict[str, int]:
        depths = {"jobs": self.conductor.pending} if self.conductor else {}
        if self.intake is not None:
            depths["inbox"] = len(self.intake.inbox)
        return depths

    def _decisions(self) -> list[dict[str, Any]]:
        """The emotion policy's recent decisions: which rule fired, and why."""
        brain = self.components.brain if self.components else None
        policy = getattr(brain, "policy", None)
        recent = getattr(policy, "recent", None) or []
        return [d.as_dict() for d in list(recent)[-5:]]

    def status_brief(self) -> dict[str, Any]:
        stage = self.stage
        return {
            "profile": str(self.profile_path),
            "persona": self.profile.persona.name,
            "speaking": bool(stage and stage.speaking),
            "subtitle": stage.subtitle if stage else "",
        }

    def status(self) -> dict[str, Any]:
        stage = self.stage
        out = self.status_brief()
        if stage is None:
            return {**out, "state": "starting"}
        latency = {}
        for metric in self.metrics.latency.collect():
            for sample in metric.samples:
                if sample.name.endswith("_sum"):
                    latency.setdefault(sample.labels["stage"], {})["sum_s"] = round(sample.value, 4)
                elif sample.name.endswith("_count"):
                    latency.setdefault(sample.labels["stage"], {})["count"] = int(sample.value)
        for item in latency.values():
            if item.get("count"):
                item["mean_ms"] = round(1000 * item["sum_s"] / item["count"], 1)
        return {
            **out,
            "state": "streaming" if stage.running.is_set() else "starting",
            "uptime_s": round(time.time() - self.started, 1),
            "fps": stage.fps,
            "frames": stage.stats.frames,
            "late_frames": stage.stats.late_frames,
            "skipped_ticks": stage.stats.skipped_ticks,
            "interval_p99_ms": _p99(stage.stats.intervals_ms),
            "render_ms": round(stage.stats.render_ms_last, 2),
            "emotion_override": self._emotion_override.emotion.value if self._emotion_override else None,
            "queues": {"speech": stage.speech.queued, **self._queue_depths()},
            "conductor": self.conductor.status() if self.conductor else None,
            "intake": self.intake.status() if self.intake else None,
            "emotion_decisions": self._decisions(),
            "latency": latency,
            "sinks": {
                r.name: {
                    "up": r.stats.up,
                    "written": r.stats.written,
                    "dropped": r.stats.dropped,
                    "failures": r.stats.failures,
                    "last_error": r.stats.last_error,
                    "queue": r.depth,
                }
                for r in stage.runners
            },
        }


def _p99(values: Iterable[float]) -> float | None:
    """99th percentile of the Stage's recent tick intervals (how even the clock is right now)."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1) if ordered else None
