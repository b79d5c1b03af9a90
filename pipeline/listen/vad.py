"""Voice activity: the Silero VAD v6 model that faster-whisper ships, run through onnxruntime.

The model takes 512-sample windows at 16 kHz (32 ms) with the previous window's last 64 samples as
context and carries an LSTM state from window to window, so it is run one window at a time in
order.  A WebRTC VAD pass (optional) skips the network during steady silence to save CPU.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
WINDOW = 512
CONTEXT = 64


def silero_model_path() -> Path:
    """The Silero VAD v6 ONNX file inside the installed faster-whisper package."""
    from faster_whisper.utils import get_assets_path

    path = Path(get_assets_path()) / "silero_vad_v6.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"faster-whisper holds no {path.name}; reinstall faster-whisper>=1.1")
    return path


class SileroVad:
    """Speech probability of each 32 ms window, with the model's recurrent state kept between calls."""

    def __init__(self, path: str | os.PathLike[str] | None = None, threads: int = 1) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = threads
        opts.log_severity_level = 4
        self.session = onnxruntime.InferenceSession(
            str(path or silero_model_path()), providers=["CPUExecutionProvider"], sess_options=opts
        )
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far (a new stream starts from silence)."""
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def __call__(self, window: np.ndarray) -> float:
        """Probability (0..1) that ``window`` (512 float32 samples at 16 kHz) holds speech."""
        x = np.asarray(window, np.float32).reshape(-1)
        if x.size != WINDOW:
            raise ValueError(f"Silero VAD takes {WINDOW}-sample windows, got {x.size}")
        batch = np.concatenate([self._context, x])[None, :]
        prob, self._h, self._c = self.session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = x[-CONTEXT:].copy()
        return float(np.asarray(prob).reshape(-1)[0])


class VoiceActivity:
    """Silero probability per window, with a cheap WebRTC VAD gate while it is quiet.

    While the last Silero probability was low and WebRTC VAD hears no voice (or the window is
    below ``floor_db``), the window scores 0 without running the network.
    """

    def __init__(
        self,
        silero: SileroVad | None = None,
        *,
        prefilter: bool = True,
        webrtc_mode: int = 1,
        floor_db: float = -65.0,
    ) -> None:
        self.silero = silero or SileroVad()
        self._webrtc = None
        if prefilter:
            import webrtcvad

            self._webrtc = webrtcvad.Vad(webrtc_mode)
        self.floor = 10.0 ** (floor_db / 20.0)
        self._last = 0.0
        self.skipped = 0
        self.windows = 0

    def reset(self) -> None:
        self.silero.reset()
        self._last = 0.0

    def __call__(self, window: np.ndarray) -> float:
        self.windows += 1
        x = np.asarray(window, np.float32).reshape(-1)
        quiet = float(np.sqrt(np.mean(x * x))) < self.floor
        if self._last < 0.1 and (quiet or (self._webrtc is not None and not self._voiced(x))):
            self.skipped += 1
            return 0.0
        self._last = self.silero(x)
        return self._last

    def _voiced(self, x: np.ndarray) -> bool:
        pcm = (np.clip(x[:480], -1.0, 1.0) * 32767.0).astype("<i2").tobytes()  # 30 ms frame
        assert self._webrtc is not None
        return bool(self._webrtc.is_speech(pcm, SAMPLE_RATE))
