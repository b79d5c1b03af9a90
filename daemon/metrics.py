"""Prometheus metrics (`/metrics`), all prefixed `moodcam_`.

Counters that already live in the Stage and sink stats are read at scrape time by a collector, so
the hot path does no extra bookkeeping; latencies are observed where they happen.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from daemon.stage import Stage

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class _StageCollector(Collector):
    def __init__(self, stage: Callable[[], Stage | None], queues: Callable[[], dict[str, int]]) -> None:
        self.reconnects: collections.Counter[str] = collections.Counter()
        self._stage = stage
        self._queues = queues
        self._fps_window: collections.deque[tuple[float, int]] = collections.deque(maxlen=64)

    def _output_fps(self, frames: int) -> float:
        now = time.monotonic()
        self._fps_window.append((now, frames))
        while len(self._fps_window) > 2 and now - self._fps_window[0][0] > 10.0:
            self._fps_window.popleft()
        (t0, f0), (t1, f1) = self._fps_window[0], self._fps_window[-1]
        return (f1 - f0) / (t1 - t0) if t1 > t0 else 0.0

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        stage = self._stage()
        if stage is None:
            return
        frames = CounterMetricFamily("moodcam_frames", "Frames emitted by the Stage")
        frames.add_metric([], stage.stats.frames)
        yield frames
        fps = GaugeMetricFamily("moodcam_output_fps", "Frames per second emitted, over the last scrapes")
        fps.add_metric([], self._output_fps(stage.stats.frames))
        yield fps
        late = CounterMetricFamily("moodcam_frames_late", "Frames repeated because rendering was late")
        late.add_metric([], stage.stats.late_frames)
        yield late
        dropped = CounterMetricFamily("moodcam_frames_dropped", "Frames a sink dropped while behind", labels=["sink"])
        reopen = CounterMetricFamily(
            "moodcam_reconnects", "Times a component came back after failing", labels=["component"]
        )
        up = GaugeMetricFamily("moodcam_sink_up", "Whether a sink is currently open", labels=["sink"])
        depth = GaugeMetricFamily("moodcam_queue_depth", "Items waiting in a queue", labels=["queue"])
        for runner in stage.runners:
            dropped.add_metric([runner.name], runner.stats.dropped)
            reopen.add_metric([f"sink:{runner.name}"], runner.stats.reopens)
            up.add_metric([runner.name], 1.0 if runner.stats.up else 0.0)
            depth.add_metric([f"sink:{runner.name}"], runner.depth)
        for component, count in self.reconnects.items():
            reopen.add_metric([component], count)
        depth.add_metric(["speech"], stage.speech.queued)
        for name, value in self._queues().items():
            depth.add_metric([name], value)
        yield dropped
        yield reopen
        yield up
        yield depth


class Metrics:
    """The daemon's registry: scrape-time Stage figures plus latency histograms and event counters."""

    def __init__(self, stage: Callable[[], Stage | None], queues: Callable[[], dict[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._collector = _StageCollector(stage, queues or dict)
        self.registry.register(self._collector)
        self.latency = Histogram(
            "moodcam_stage_latency_seconds",
            "Latency of each pipeline stage (inbox, brain_first_sentence, voice_first_audio, face, sink)",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.moderation_blocks = Counter(
            "moodcam_moderation_blocks", "Messages moderation kept off the air", ["rule"], registry=self.registry
        )
        self.utterances = Counter("moodcam_utterances", "Utterances spoken", ["source"], registry=self.registry)
        self.interrupts = Counter("moodcam_interrupts", "Interrupts", ["reason"], registry=self.registry)

    def reconnected(self, component: str) -> None:
        """Count a reconnect of a client (OBS, chat) for ``moodcam_reconnects_total``."""
        self._collector.reconnects[component] += 1

    def render(self) -> bytes:
        return generate_latest(self.registry)
