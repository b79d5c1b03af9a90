"""Record the stream to an mp4 (H.264 + AAC) that plays to the end even after a signal stops us."""

from __future__ import annotations

import logging
from pathlib import Path

from integrations.outputs.base import Sink
from integrations.outputs.encoder import AVEncoder, EncoderThread
from pipeline.frames import MediaTick

log = logging.getLogger(__name__)


class FileSink(Sink):
    """Encodes on its own thread; ``close`` flushes the encoders and writes the mp4 index."""

    name = "file"

    def __init__(
        self,
        path: Path,
        fps: int,
        sample_rate: int = 48_000,
        video_bitrate_kbps: int = 2500,
        audio_bitrate_kbps: int = 128,
    ) -> None:
        self.path = Path(path)
        self.fps = fps
        self.sample_rate = sample_rate
        self.video_bitrate = video_bitrate_kbps * 1000
        self.audio_bitrate = audio_bitrate_kbps * 1000
        self._encoder: AVEncoder | None = None
        self._worker = EncoderThread("file-sink")
        self._opens = 0
        self.current: Path | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._opens += 1
        # a sink reopened after a failure starts a new file rather than truncating what it recorded
        suffix = "" if self._opens == 1 else f".{self._opens}"
        self.current = self.path.with_name(f"{self.path.stem}{suffix}{self.path.suffix}")

    def _write(self, tick: MediaTick) -> None:
        if self._encoder is None:
            assert self.current is not None
            h, w = tick.video.image.shape[:2]
            self._encoder = AVEncoder(
                self.current,
                width=w,
                height=h,
                fps=self.fps,
                sample_rate=self.sample_rate,
                video_bitrate=self.video_bitrate,
                audio_bitrate=self.audio_bitrate,
                fmt="mp4",
                preset="veryfast",
            )
        self._encoder.encode(tick)

    async def write(self, tick: MediaTick) -> None:
        await self._worker.run(self._write, tick)

    async def close(self) -> None:
        encoder, self._encoder = self._encoder, None
        if encoder is not None:
            await self._worker.run(encoder.close)
            log.info("recording finalised: %s (%d frames)", self.current, encoder.frames)
