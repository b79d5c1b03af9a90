"""The voice into a (virtual) audio device: a PulseAudio/PipeWire null sink, VB-Cable, BlackHole.

The device pulls audio on its own clock through a PortAudio callback; the Stage pushes its chunks
into a jitter buffer in between.  An empty buffer plays silence (counted, then refilled to the
target level before playing again), a buffer that grows past its bound because the two clocks
drift is trimmed back (counted).  ``flush`` empties it on an interrupt.

On Linux a PulseAudio sink that PortAudio does not list by name is reached through ALSA's
``pulse`` device with ``PULSE_SINK`` naming the sink while the stream opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from integrations.outputs.base import Sink
from pipeline.frames import MediaTick

log = logging.getLogger(__name__)

STAGE_RATE = 48000
SILENCE = 1e-3  # -60 dBFS: below this a dropped stretch cannot be heard as a skip

NULL_SINK_HINT = (
    "Linux: pactl load-module module-null-sink sink_name=moodcam rate=48000 channels=2 "
    "sink_properties=device.description=moodcam; Windows: install VB-Cable and use 'CABLE Input'; "
    "macOS: install BlackHole"
)


def playback_delay_ms(latency_ms: int, fps: int) -> float:
    """How long after its Stage time a sample is heard from the device: ``latency_ms`` of jitter
    buffer at its low point, half a Stage tick on average above that, and ``latency_ms`` of device
    buffer.  A virtual camera holds its frames back this long so the pair lines up."""
    return 2 * latency_ms + 500 / fps


class AudioDeviceUnavailable(RuntimeError):
    """The named output device cannot be found or opened."""


class JitterBuffer:
    """Thread-safe mono float32 FIFO between the Stage (push) and the device callback (pull).

    Playback starts (and restarts after an underflow) once ``target`` samples are waiting.  When
    more than ``limit`` are waiting the oldest are dropped down to halfway between the two, so a
    drifting clock costs one short skip now and then instead of ever-growing latency.

    A backlog below the limit would otherwise stay for good: a device that starts pulling late (a
    fresh PulseAudio stream takes up to 2 s) leaves everything pushed meanwhile queued, and the
    voice plays that much behind the picture.  So over every ``window`` samples played the lowest
    level is noted; if even that low point stood more than ``slack`` above the target, the excess
    is dropped as far as it is silent (idle audio, a pause between sentences), never inside a
    word.
    """

    def __init__(self, target: int, limit: int, window: int | None = None, slack: int | None = None) -> None:
        if not 0 < target < limit:
            raise ValueError("need 0 < target < limit")
        self.target, self.limit = target, limit
        self.window = window if window is not None else 4 * limit
        self.slack = slack if slack is not None else max(1, target // 4)
        self._window_played = 0
        self._window_low: int | None = None
        self.capacity = limit
        self._low_mark = (target + limit) // 2
        self._ring = np.zeros(self.capacity, np.float32)
        self._read = 0
        self._level = 0
        self._primed = False
        self._started = False  # has played since the last clear: silence now is an underflow
        self._lock = threading.Lock()
        self.underflows = 0
        self.underflow_samples = 0
        self.trimmed_samples = 0
        self.pushed_samples = 0
        self.played_samples = 0

    @property
    def level(self) -> int:
        """Samples waiting to play."""
        return self._level

    def push(self, pcm: np.ndarray) -> None:
        """Append samples, trimming the oldest when the buffer has grown past ``limit``."""
        pcm = np.asarray(pcm, np.float32).reshape(-1)
        with self._lock:
            self.pushed_samples += len(pcm)
            if len(pcm) >= self.capacity:
                self.trimmed_samples += self._level + len(pcm) - self._low_mark
                pcm = pcm[-self._low_mark :]
                self._read = self._level = 0
            elif self._level + len(pcm) > self.limit:
                drop = min(self._level, self._level + len(pcm) - self._low_mark)
                self._read = (self._read + drop) % self.capacity
                self._level -= drop
                self.trimmed_samples += drop
            write = (self._read + self._level) % self.capacity
            first = min(len(pcm), self.capacity - write)
            self._ring[write : write + first] = pcm[:first]
            self._ring[: len(pcm) - first] = pcm[first:]
            self._level += len(pcm)
            if self._level >= self.target:
                self._primed = self._started = True

    def pull(self, n: int) -> np.ndarray:
        """Exactly ``n`` samples: what is buffered, then silence (an underflow) if that runs out."""
        out = np.zeros(n, np.float32)
        with self._lock:
            if not self._primed:
                if self._started:  # starving: refilling to the target after an underflow
                    self.underflow_samples += n
                return out
            take = min(n, self._level)
            first = min(take, self.capacity - self._read)
            out[:first] = self._ring[self._read : self._read + first]
            out[first:take] = self._ring[: take - first]
            self._read = (self._read + take) % self.capacity
            self._level -= take
            self.played_samples += take
            if take < n:
                self.underflows += 1
                self.underflow_samples += n - take
                self._primed = False  # refill to the target before playing again
                self._window_played, self._window_low = 0, None
            else:
                self._settle(take)
        return out

    def _settle(self, played: int) -> None:
        """Note the level after a pull; at the end of a window, drop a standing backlog of silence."""
        low = self._level if self._window_low is None else min(self._window_low, self._level)
        self._window_low, self._window_played = low, self._window_played + played
        if self._window_played < self.window:
            return
        self._window_played, self._window_low = 0, None
        excess = low - self.target
        if excess <= self.slack:
            return
        head = np.roll(self._ring, -self._read)[:excess] if self._read + excess > self.capacity else (
            self._ring[self._read : self._read + excess])
        loud = np.flatnonzero(np.abs(head) > SILENCE)
        drop = int(loud[0]) if len(loud) else excess  # the silence before the next sound, at most
        self._read = (self._read + drop) % self.capacity
        self._level -= drop
        self.trimmed_samples += drop

    def clear(self) -> None:
        """Drop everything buffered (interrupt)."""
        with self._lock:
            self._read, self._level = 0, 0
            self._primed = self._started = False
            self._window_played, self._window_low = 0, None


class StreamResampler:
    """Linear resampling of a continuous stream, chunk by chunk, without seams between chunks."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._step = src_rate / dst_rate
        self._pos = 0.0  # next output position, in input samples from the start of ``_prev``
        self._prev = np.zeros(0, np.float32)  # the last input sample seen (none at first)

    def process(self, pcm: np.ndarray) -> np.ndarray:
        pcm = np.asarray(pcm, np.float32).reshape(-1)
        if self.src_rate == self.dst_rate or len(pcm) == 0:
            return pcm
        data = np.concatenate([self._prev, pcm])
        last = len(data) - 1
        n = int(np.floor((last - self._pos) / self._step)) + 1 if self._pos <= last else 0
        x = self._pos + self._step * np.arange(n)
        out = np.interp(x, np.arange(len(data)), data).astype(np.float32)
        self._pos = self._pos + self._step * n - last
        self._prev = data[-1:]
        return out


@dataclass(frozen=True, slots=True)
class OutputTarget:
    """Where to open the stream: a PortAudio device, plus the PulseAudio sink to route to."""

    device: int | str | None
    label: str
    pulse_sink: str | None = None


def _sd() -> Any:
    import sounddevice

    return sounddevice


def _refresh_portaudio() -> bool:
    """PortAudio lists devices once, at start; re-scan when it found none (no sound server was up yet).

    Re-initialising PortAudio closes every open stream (a microphone too), so it is done only while
    there is no device at all, when no stream can be open.
    """
    sd = _sd()
    try:
        if len(sd.query_devices()) > 0:
            return False
    except sd.PortAudioError:
        pass
    with contextlib.suppress(Exception):
        sd._terminate()
    sd._initialize()
    return True


def _pulse_sinks() -> list[str]:
    if not sys.platform.startswith("linux") or shutil.which("pactl") is None:
        return []
    try:
        out = subprocess.run(
            ["pactl", "list", "short", "sinks"], capture_output=True, text=True, timeout=3, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split("\t")[1] for line in out.splitlines() if line.count("\t") >= 1]


def _find_portaudio_output(name: str | None) -> int | None:
    """The output device whose name is ``name`` or contains it (case-insensitive).

    A device such as VB-Cable is listed once per host API on Windows: prefer an exact name, then
    the default host API, then the first listed.
    """
    sd = _sd()
    try:
        if not name:
            return int(sd.query_devices(kind="output")["index"])
        devices = list(sd.query_devices())
        default_api = sd.default.hostapi
    except (ValueError, sd.PortAudioError):
        return None
    wanted = name.lower()
    matches = [d for d in devices if d["max_output_channels"] > 0 and wanted in str(d["name"]).lower()]
    if not matches:
        return None
    matches.sort(key=lambda d: (str(d["name"]).lower() != wanted, d["hostapi"] != default_api, d["index"]))
    return int(matches[0]["index"])


def resolve_output(name: str | None) -> OutputTarget:
    """Find the output device called ``name`` (None: the system default)."""
    sd = _sd()
    for attempt in range(2):
        index = _find_portaudio_output(name)
        if index is not None:
            return OutputTarget(index, str(sd.query_devices(index)["name"]))
        if name and name in _pulse_sinks():
            pulse = _find_portaudio_output("pulse")
            if pulse is not None:
                return OutputTarget(pulse, f"{name} (PulseAudio)", pulse_sink=name)
        if attempt == 0 and not _refresh_portaudio():
            break
    raise AudioDeviceUnavailable(
        f"no audio output device {name!r}" if name else "no audio output device at all"
    )


def probe_audio_device(name: str | None) -> tuple[bool, str]:
    """Is the output device there?  (ok, one line for ``moodcam check``)."""
    try:
        target = resolve_output(name)
    except AudioDeviceUnavailable as exc:
        return False, f"{exc}: {NULL_SINK_HINT}"
    except OSError as exc:  # libportaudio missing
        return False, f"PortAudio unavailable ({exc}): install libportaudio2"
    return True, f"OK {target.label}"


class AudioDeviceSink(Sink):
    """Plays the Stage's audio into an output device through a jitter buffer."""

    name = "audio_device"

    def __init__(
        self,
        device: str | None = None,
        latency_ms: int = 60,
        channels: int = 2,
        max_extra_ms: int = 300,
        stage_rate: int = STAGE_RATE,
    ) -> None:
        self.device, self.latency_ms, self.channels = device, latency_ms, channels
        self.stage_rate = stage_rate
        self.max_extra_ms = max_extra_ms
        self.buffer: JitterBuffer | None = None
        self.device_underflows = 0
        self.device_frames = 0
        self.target: OutputTarget | None = None
        self._stream: Any = None
        self._resampler: StreamResampler | None = None

    @property
    def stats(self) -> dict[str, int]:
        """Counters for the status API and tests."""
        b = self.buffer
        if b is None:
            return {"device_underflows": self.device_underflows, "device_frames": self.device_frames}
        return {
            "level": b.level,
            "underflows": b.underflows,
            "underflow_samples": b.underflow_samples,
            "trimmed_samples": b.trimmed_samples,
            "played_samples": b.played_samples,
            "device_underflows": self.device_underflows,
            "device_frames": self.device_frames,
        }

    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status.output_underflow:
            self.device_underflows += 1
        self.device_frames += frames
        buffer = self.buffer
        outdata[:] = (buffer.pull(frames) if buffer is not None else np.zeros(frames, np.float32))[:, None]

    def _open_blocking(self) -> None:
        sd = _sd()
        target = resolve_output(self.device)
        info = sd.query_devices(target.device)
        channels = max(1, min(self.channels, int(info["max_output_channels"])))
        latency = self.latency_ms / 1000
        saved = os.environ.get("PULSE_SINK")
        if target.pulse_sink:
            os.environ["PULSE_SINK"] = target.pulse_sink  # read by libpulse when the stream connects
        try:
            stream, error = None, None
            for rate in dict.fromkeys((self.stage_rate, int(info["default_samplerate"]))):
                try:
                    stream = sd.OutputStream(
                        samplerate=rate, channels=channels, dtype="float32", device=target.device,
                        latency=latency, callback=self._callback,
                    )
                    break
                except sd.PortAudioError as exc:
                    error = exc
            if stream is None:
                raise AudioDeviceUnavailable(f"cannot open {target.label}: {error}")
            rate = int(stream.samplerate)
            self._resampler = StreamResampler(self.stage_rate, rate)
            target_samples = max(1, int(rate * latency))
            self.buffer = JitterBuffer(
                target_samples, target_samples + int(rate * self.max_extra_ms / 1000), window=rate // 2
            )
            stream.start()
        finally:
            if target.pulse_sink:
                if saved is None:
                    os.environ.pop("PULSE_SINK", None)
                else:
                    os.environ["PULSE_SINK"] = saved
        self._stream, self.target = stream, target
        log.info("audio device open: %s, %d Hz, %d ch", target.label, rate, channels)

    async def open(self) -> None:
        await asyncio.to_thread(self._open_blocking)

    async def write(self, tick: MediaTick) -> None:
        stream, buffer, resampler = self._stream, self.buffer, self._resampler
        if stream is None or buffer is None or resampler is None:
            raise AudioDeviceUnavailable("audio device is not open")
        if not stream.active:
            raise AudioDeviceUnavailable(f"audio device {self.target.label if self.target else ''} stopped")
        pcm = tick.audio.pcm
        if tick.audio.sample_rate != resampler.src_rate:
            resampler = self._resampler = StreamResampler(tick.audio.sample_rate, resampler.dst_rate)
        buffer.push(resampler.process(pcm))

    def flush(self) -> None:
        if self.buffer is not None:
            self.buffer.clear()

    async def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return

        def _stop() -> None:
            try:
                stream.stop()
            finally:
                stream.close()

        try:
            await asyncio.to_thread(_stop)
        except Exception:
            log.exception("audio device failed to close")
