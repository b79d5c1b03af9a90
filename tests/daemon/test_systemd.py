"""systemd integration: the notify/watchdog protocol of `moodcam run`, the unit files, the installer.

The watchdog test plays systemd's part itself: it owns the ``NOTIFY_SOCKET`` datagram socket and
reads what the daemon sends.  Starting the units under a real systemd needs systemd as PID 1,
which containers such as CI runners usually lack; that test says so and skips.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.cli import PROFILES_DIR
from daemon.config.profile import ProfileError, load_profile
from daemon.install_service import (
    PLACEHOLDER_EXECUTABLE,
    InstallError,
    install_service,
    moodcam_executable,
    render_unit,
)
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = ROOT / "systemd"
PID1 = Path("/proc/1/comm").read_text().strip()
UNIT_DIR_SYSTEM = Path("/etc/systemd/system")




def small_profile(folder: Path, port: int, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assets").mkdir(exist_ok=True)
    shutil.copy(PROFILES_DIR / "assets" / "astronaut.png", folder / "assets" / "face.png")
    path = folder / "small.toml"
    path.write_text(
        f"""
[face]
portrait = "assets/face.png"
width = 128
height = 128
[outputs.virtual_camera]
enabled = "off"
[outputs.audio_device]
enabled = "off"
[outputs.webrtc]
enabled = false
[api]
port = {port}
{extra}"""
    )
    return path


# --- the notify protocol, with this test as systemd ----------------------------------------------


class NotifyListener:
    """The NOTIFY_SOCKET end: collects (monotonic time, {field: value}) per datagram."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[tuple[float, dict[str, str]]] = []

    def receive(self, seconds: float) -> list[tuple[float, dict[str, str]]]:
        """Everything that arrives within ``seconds``."""
        got: list[tuple[float, dict[str, str]]] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            got.append((time.monotonic(), fields))
        self.messages += got
        return got

    def wait_for(self, key: str, timeout: float, proc: subprocess.Popen[str]) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"moodcam exited with {proc.returncode}"
            for _, fields in self.receive(0.2):
                if key in fields:
                    return fields
        raise AssertionError(f"no {key} within {timeout} s")

    def close(self) -> None:
        self.sock.close()


def pings(messages: list[tuple[float, dict[str, str]]]) -> list[float]:
    return [t for t, fields in messages if fields.get("WATCHDOG") == "1"]


@pytest.fixture
def notify_socket() -> Iterator[NotifyListener]:
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"moodcam-notify-{os.getpid()}-{time.monotonic_ns()}"
    folder.mkdir(mode=0o700)
    listener = NotifyListener(folder / "notify.sock")  # short path: AF_UNIX paths max out at 107 bytes
    try:
        yield listener
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_ready_after_first_frame_then_watchdog_pings_that_stop_when_frozen(
    tmp_path: Path, notify_socket: NotifyListener
) -> None:
    profile = small_profile(tmp_path, free_port())
    env = {**os.environ, "NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "1000000",
           "PYTHONUNBUFFERED": "1"}
    env.pop("WATCHDOG_PID", None)
    log = open(tmp_path / "moodcam.log", "w")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen([moodcam_executable(), "run", str(profile)], cwd=tmp_path, env=env, stderr=log,
                            stdout=log, text=True)
    log.close()
    try:
        try:
            ready = notify_socket.wait_for("READY", 120, proc)
        except AssertionError:
            pytest.fail((tmp_path / "moodcam.log").read_text()[-3000:])
        assert ready["READY"] == "1" and ready["MAINPID"] == str(proc.pid)

        running = pings(notify_socket.receive(3.0))
        assert len(running) >= 4, running  # WATCHDOG_USEC=1 s: a ping every half second
        assert max(b - a for a, b in itertools.pairwise(running)) < 1.0

        os.kill(proc.pid, signal.SIGSTOP)  # a frozen Stage: what the watchdog is for
        try:
            notify_socket.receive(0.2)  # anything sent just before the stop
            assert pings(notify_socket.receive(2.0)) == []
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        resumed = pings(notify_socket.receive(2.5))
        assert len(resumed) >= 3, resumed

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        notify_socket.receive(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any("STOPPING" in fields for _, fields in notify_socket.messages)


# --- the unit files --------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "template"), [("moodcam@.service", True), ("moodcam.service", False)])
def test_shipped_units_are_the_installer_output(file: str, template: bool) -> None:
    assert (SYSTEMD_DIR / file).read_text() == render_unit(PLACEHOLDER_EXECUTABLE, template)


def test_unit_asks_for_notify_watchdog_and_hardening() -> None:
    unit = render_unit("/opt/x/bin/moodcam", template=True)
    keys: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    expect = {
        "Type": ["notify"], "WatchdogSec": ["10"], "User": ["moodcam"], "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"], "ProtectHome": ["read-only"], "PrivateTmp": ["yes"],
        "DevicePolicy": ["closed"], "DeviceAllow": ["char-video4linux rw", "char-alsa rw"],
        "SupplementaryGroups": ["video audio"], "ExecReload": ["/bin/kill -HUP $MAINPID"],
        "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"],
        "ExecStart": ["/opt/x/bin/moodcam run /etc/moodcam/%i.toml"],
    }
    for key, values in expect.items():
        assert keys.get(key) == values, key
    assert "PrivateDevices" not in keys  # it would hide /dev/video* and /dev/snd
    assert "MemoryDenyWriteExecute" not in keys  # numba and onnxruntime JIT


def installed_units(tmp_path: Path) -> Path:
    units = tmp_path / "units"
    for file, template in (("moodcam@.service", True), ("moodcam.service", False)):
        units.mkdir(exist_ok=True)
        (units / file).write_text(render_unit(moodcam_executable(), template))
    return units


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = installed_units(tmp_path)
    result = subprocess.run(["systemd-analyze", "verify", "moodcam@.service", "moodcam.service"],
                            cwd=units, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    security = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", "moodcam@.service"],
                              cwd=units, capture_output=True, text=True, timeout=60)
    level = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
    assert level is not None, security.stdout[-500:] + security.stderr
    assert float(level.group(1)) <= 3.0, security.stdout[-2000:]


@pytest.mark.skipif(
    PID1 != "systemd",
    reason=f"systemd is not PID 1 here (PID 1 is {PID1!r}): "
    "cannot start units; the notify protocol is tested without it above",
)
def test_unit_runs_under_real_systemd(tmp_path: Path) -> None:
    """The real template unit, started by systemd, becomes active (READY) and is watchdog-supervised."""
    config = Path("/etc/moodcam")
    name = f"pytest{os.getpid()}"
    profile = small_profile(tmp_path / "p", free_port())
    profile.write_text(profile.read_text().replace('"assets/face.png"', f'"{name}-face.png"'))
    runtime = Path("/run/systemd/system")
    unit = runtime / "moodcam@.service"
    dropin = runtime / f"moodcam@{name}.service.d" / "test.conf"
    assert not unit.exists() and not (UNIT_DIR_SYSTEM / "moodcam@.service").exists(), "a real install exists"
    try:
        config.mkdir(exist_ok=True)
        shutil.copy(profile, config / f"{name}.toml")
        shutil.copy(profile.parent / "assets" / "face.png", config / f"{name}-face.png")
        unit.write_text(render_unit(moodcam_executable(), template=True))
        dropin.parent.mkdir(parents=True, exist_ok=True)
        # the test's venv may live where a system user cannot read: run as root for this check only
        dropin.write_text("[Service]\nUser=root\nGroup=root\n")
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "start", f"moodcam@{name}.service"], check=True, timeout=200)
        show = subprocess.run(["systemctl", "show", f"moodcam@{name}.service", "-p", "ActiveState",
                               "-p", "WatchdogUSec", "-p", "Type"], capture_output=True, text=True, check=True)
        assert "ActiveState=active" in show.stdout and "Type=notify" in show.stdout
        assert "WatchdogUSec=10s" in show.stdout
    finally:
        subprocess.run(["systemctl", "stop", f"moodcam@{name}.service"], timeout=60)
        unit.unlink(missing_ok=True)
        shutil.rmtree(dropin.parent, ignore_errors=True)
        (config / f"{name}.toml").unlink(missing_ok=True)
        (config / f"{name}-face.png").unlink(missing_ok=True)
        subprocess.run(["systemctl", "daemon-reload"])
        shutil.rmtree(Path("/var/lib/moodcam") / name, ignore_errors=True)


# --- the installer ---------------------------------------------------------------------------------


def test_dry_run_prints_every_step_and_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    units, config = tmp_path / "units", tmp_path / "etc"
    lines = install_service(None, "shop", unit_dir=units, dry_run=True, config_dir=config)
    out = capsys.readouterr().out
    assert not units.exists() and not config.exists()
    assert f"copy {PROFILES_DIR / 'default.toml'} -> {config / 'shop.toml'} (mode 640)" in lines
    assert any(line.startswith(f"copy {PROFILES_DIR / 'assets' / 'astronaut.png'}") for line in lines)
    assert lines.index("run: systemctl daemon-reload") < lines.index("run: systemctl enable moodcam@shop.service")
    assert f"write {units / 'moodcam@.service'}" in "\n".join(lines)
    assert f"  ExecStart={moodcam_executable()} run /etc/moodcam/shop.toml" in lines
    has_user = subprocess.run(["id", "moodcam"], capture_output=True).returncode == 0
    assert any(line.startswith("run: useradd --system") for line in lines) != has_user
    assert "would run: systemctl daemon-reload" in out


def test_install_writes_units_profile_and_assets(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    profile = small_profile(tmp_path / "src", free_port(),
                            f'[outputs.file]\nenabled = true\npath = "{recordings / "shop.mp4"}"\n')
    units, config = tmp_path / "units", tmp_path / "etc"
    install_service(profile, "shop", unit_dir=units, config_dir=config, manage_system=False)
    unit = (units / "moodcam@.service").read_text()
    assert f"ExecStart={moodcam_executable()} run /etc/moodcam/%i.toml" in unit
    copied = load_profile(config / "shop.toml")  # relative asset paths still resolve
    assert copied.face.portrait == (config / "assets" / "face.png").resolve()
    assert (config / "shop.toml").stat().st_mode & 0o777 == 0o640
    dropin = (units / "moodcam@shop.service.d" / "recording.conf").read_text()
    assert f"ReadWritePaths={recordings}" in dropin and recordings.is_dir()

    install_service(profile, None, unit_dir=units, config_dir=config, manage_system=False)
    assert "run /etc/moodcam/default.toml" in (units / "moodcam.service").read_text()
    assert (config / "default.toml").is_file()


def test_installer_refuses_bad_input(tmp_path: Path) -> None:
    profile = small_profile(tmp_path / "src", free_port())
    with pytest.raises(InstallError, match="instance name"):
        install_service(profile, "../evil", unit_dir=tmp_path, dry_run=True)
    bad = tmp_path / "bad.toml"
    bad.write_text("[face]\nwidth = 7\n")
    with pytest.raises(ProfileError):
        install_service(bad, "x", unit_dir=tmp_path, dry_run=True)
    outside = tmp_path / "src" / "sub"
    outside.mkdir()
    (outside / "p.toml").write_text('[face]\nportrait = "../assets/face.png"\n')
    with pytest.raises(InstallError, match="absolute paths"):
        install_service(outside / "p.toml", "x", unit_dir=tmp_path, dry_run=True)


def test_moodcam_executable_is_this_environments(tmp_path: Path) -> None:
    exe = Path(moodcam_executable())
    assert exe.parent == Path(sys.executable).parent and os.access(exe, os.X_OK)
