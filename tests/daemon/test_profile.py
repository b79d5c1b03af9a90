"""Profile validation: every kind of bad input names the field and the reason; nothing starts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli import PROFILES_DIR
from daemon.config.profile import Profile, ProfileError, load_profile

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    shutil.copy(PROFILES_DIR / "assets" / "astronaut.png", tmp_path / "face.png")
    path = tmp_path / "p.toml"
    path.write_text('[face]\nportrait = "face.png"\n' + text if "[face]" not in text else text)
    return path


def test_bundled_profiles_are_valid() -> None:
    for name in ("default", "zh-commerce"):
        profile = load_profile(PROFILES_DIR / f"{name}.toml")
        assert isinstance(profile, Profile)
    assert load_profile(PROFILES_DIR / "default.toml").api.host == "127.0.0.1"


BAD = [
    ("unknown section", "[bogus]\nx = 1\n", "bogus", "unknown key"),
    ("unknown key", "[voice]\nspeed = 2\n", "voice.speed", "unknown key"),
    ("wrong type", "[outputs]\nfps = 'thirty'\n", "outputs.fps", "valid integer"),
    ("out of range low", "[outputs]\nfps = 1\n", "outputs.fps", "greater than or equal to 5"),
    ("out of range high", "[voice]\nrate = 9.0\n", "voice.rate", "less than or equal to 2"),
    ("bad enum", "[voice]\nengine = 'espeak'\n", "voice.engine", "'piper', 'openai' or 'xtts'"),
    ("bad emotion", "[emotion]\ndefault = 'elated'\n", "emotion.default", "neutral"),
    ("missing file", "[face]\nportrait = 'nope.png'\n", "face.portrait", "file not found"),
    ("odd size", "[face]\nportrait = 'face.png'\nwidth = 513\n", "face.width", "multiple of 2"),
    ("bad url", "[brain]\nbackend = 'openai'\nurl = 'not a url'\n", "brain.url", "URL"),
    ("bad rtmp scheme", "[outputs.rtmp]\nurl = 'http://x/'\n", "outputs.rtmp.url", "rtmp://"),
    ("bad listen host", "[api]\nhost = 'my box'\n", "api.host", "IP address"),
    ("port range", "[api]\nport = 70000\n", "api.port", "less than or equal to 65535"),
    ("list item", "[[inputs.chat]]\nkind = 'irc'\n", "inputs.chat[0].kind", "twitch"),
    ("rule missing field", "[[emotion.rules]]\nname = 'x'\n", "emotion.rules[0].show", "Field required"),
    ("bad toml", "[voice\n", "(toml)", "Expected"),
]


@pytest.mark.parametrize(("case", "text", "where", "why"), BAD, ids=[b[0] for b in BAD])
def test_bad_profile_names_field_and_reason(tmp_path: Path, case: str, text: str, where: str, why: str) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(write(tmp_path, text))
    problems = dict(info.value.problems)
    assert where in problems, problems
    assert why in problems[where], problems[where]


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "absent.toml")


def test_relative_paths_resolve_against_profile_folder(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, ""))
    assert profile.face.portrait == (tmp_path / "face.png").resolve()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_cli_bad_profile_exits_2_with_path(tmp_path: Path) -> None:
    path = write(tmp_path, "[outputs]\nfps = 500\n")
    for command in ("check", "run"):
        result = _cli(command, str(path))
        assert result.returncode == 2, result.stderr
        assert "outputs.fps" in result.stderr and "less than or equal to 60" in result.stderr


def test_cli_check_reports_each_component(tmp_path: Path) -> None:
    result = _cli("check", str(write(tmp_path, "[api]\nport = 0\n".replace("0", "18099"))))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for component in ("face.portrait", "voice", "brain.llm", "brain.emotion_reader", "outputs.webrtc", "api"):
        assert any(f" {component}: " in line for line in lines), (component, lines)
    # auto devices are reported absent without failing on a machine that has none
    assert any(line.startswith(("OK", "SKIP")) and "outputs.virtual_camera" in line for line in lines)


def test_cli_check_unavailable_component_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "[voice]\nengine = 'openai'\nurl = 'http://127.0.0.1:9/'\n")
    result = _cli("check", str(path))
    assert result.returncode == 1, result.stdout
    assert any(line.startswith("FAIL  voice:") and "unreachable" in line for line in result.stdout.splitlines())


def test_cli_required_device_missing_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "[outputs.virtual_camera]\nenabled = 'on'\ndevice = '/dev/video-none'\n")
    result = _cli("check", str(path))
    assert result.returncode == 1
    assert any(line.startswith("FAIL  outputs.virtual_camera") for line in result.stdout.splitlines())
