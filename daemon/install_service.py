"""`moodcam install-service`: run a profile as a hardened systemd service.

The units are rendered here (the files in the repository's ``systemd/`` folder are this output
with a placeholder path), so an installed wheel needs no source checkout.  A profile is copied to
``/etc/moodcam/NAME.toml`` together with the files it names by relative path (portrait, knowledge,
...), keeping those paths valid; ``moodcam@NAME.service`` then runs it as the ``moodcam`` user.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from daemon.config.profile import Profile, load_profile

UNIT_DIR = Path("/etc/systemd/system")
CONFIG_DIR = Path("/etc/moodcam")
STATE_ROOT = Path("/var/lib/moodcam")
USER = "moodcam"
PLACEHOLDER_EXECUTABLE = "/opt/moodcam/.venv/bin/moodcam"
"""The ExecStart path in the shipped unit files; the installer writes the real one."""
SINGLE_NAME = "default"
"""`moodcam.service` (not the template) runs /etc/moodcam/default.toml."""
_INSTANCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_OUTPUT_FIELDS = {("outputs", "file", "path")}  # paths moodcam writes, not inputs to copy

UNIT = """\
# {header}
# Installed by `moodcam install-service`, which writes the real path of the moodcam executable.
# Secrets (obs-websocket password, stream key, API token) go in {env_file} (mode 0640).
[Unit]
Description=moodcam emotion-aware digital human{description}
After=network-online.target sound.target
Wants=network-online.target
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
ExecStart={executable} run /etc/moodcam/{name}.toml
ExecReload=/bin/kill -HUP $MAINPID
# READY=1 comes once the Stage emits its first frame; models load before that.
TimeoutStartSec=180
TimeoutStopSec=15
# The Stage pings WATCHDOG=1 from its frame loop: a frozen loop is restarted within 10 s.
WatchdogSec=10
Restart=on-failure
RestartSec=3
# exit 2: the profile itself is wrong; restarting cannot fix it
RestartPreventExitStatus=2
User=moodcam
Group=moodcam
SupplementaryGroups=video audio
EnvironmentFile=-{env_file}
Environment=PYTHONUNBUFFERED=1 HOME=/var/lib/moodcam/{name} XDG_CACHE_HOME=/var/cache/moodcam
StateDirectory=moodcam/{name}
StateDirectoryMode=0750
CacheDirectory=moodcam
CacheDirectoryMode=0750
WorkingDirectory=/var/lib/moodcam/{name}
# Relative recording paths land in the state directory; the installer adds a drop-in for others.
ReadWritePaths=/var/lib/moodcam/{name}
UMask=0027

NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
DevicePolicy=closed
DeviceAllow=char-video4linux rw
DeviceAllow=char-alsa rw
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
CapabilityBoundingSet=
AmbientCapabilities=
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# No MemoryDenyWriteExecute: numba and onnxruntime compile code at run time.

[Install]
WantedBy=multi-user.target
"""


class InstallError(RuntimeError):
    """The service cannot be installed as asked (the message says why)."""


def render_unit(executable: str, template: bool) -> str:
    """The text of ``moodcam@.service`` (template) or ``moodcam.service``."""
    if template:
        return UNIT.format(
            header="moodcam@.service: one moodcam per profile; moodcam@shop.service runs /etc/moodcam/shop.toml.",
            description=" (%i)",
            executable=executable,
            name="%i",
            env_file="/etc/moodcam/%i.env",
        )
    return UNIT.format(
        header=f"moodcam.service: a single moodcam running /etc/moodcam/{SINGLE_NAME}.toml.",
        description="",
        executable=executable,
        name=SINGLE_NAME,
        env_file=f"/etc/moodcam/{SINGLE_NAME}.env",
    )


def moodcam_executable() -> str:
    """The `moodcam` script of the environment this Python runs in (not resolved through symlinks)."""
    beside = Path(sys.executable).parent / "moodcam"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("moodcam")
    if found is None:
        raise InstallError("cannot find the `moodcam` executable; install moodcam (pip install .) first")
    return str(Path(found).absolute())


def _unreadable_by_others(path: Path) -> Path | None:
    """The first folder on ``path``'s real route that a system user could not traverse."""
    real = path.resolve()
    for folder in [*reversed(real.parents)]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def _files_to_copy(raw: dict[str, Any], model: BaseModel, base: Path, where: tuple[str, ...] = ()) -> list[str]:
    """Relative file paths the profile names (as written), found by matching TOML keys to Path fields."""
    out: list[str] = []
    for key, value in raw.items():
        sub = getattr(model, key, None)
        here = (*where, key)
        if isinstance(value, dict) and isinstance(sub, BaseModel):
            out += _files_to_copy(value, sub, base, here)
        elif isinstance(value, list) and isinstance(sub, list):
            for item, sub_item in zip(value, sub, strict=False):
                if isinstance(item, dict) and isinstance(sub_item, BaseModel):
                    out += _files_to_copy(item, sub_item, base, here)
        elif (
            isinstance(value, str)
            and isinstance(sub, Path)
            and here not in _OUTPUT_FIELDS
            and not Path(value).expanduser().is_absolute()
            and (base / value).is_file()
        ):
            out.append(value)
    return out


class _Plan:
    """Collects the steps; runs them unless this is a dry run."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.lines: list[str] = []

    def note(self, line: str) -> None:
        self.lines.append(line)

    def run(self, *argv: str) -> None:
        self.lines.append("run: " + shlex.join(argv))
        if not self.dry_run:
            result = subprocess.run(argv, capture_output=True, text=True)
            if result.returncode != 0:
                raise InstallError(f"`{' '.join(argv)}` failed: {(result.stderr or result.stdout).strip()}")

    def mkdir(self, path: Path, mode: int, group: str | None) -> None:
        self.lines.append(f"mkdir {path} (mode {mode:o}{', group ' + group if group else ''})")
        if not self.dry_run:
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(mode)
            if group is not None:
                os.chown(path, -1, grp.getgrnam(group).gr_gid)

    def write(self, path: Path, text: str, mode: int, group: str | None) -> None:
        self.lines.append(f"write {path} ({len(text.splitlines())} lines, mode {mode:o})")
        if not self.dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text)
            tmp.chmod(mode)
            if group is not None:
                os.chown(tmp, -1, grp.getgrnam(group).gr_gid)
            tmp.replace(path)

    def copy(self, src: Path, dst: Path, mode: int, group: str | None) -> None:
        self.lines.append(f"copy {src} -> {dst} (mode {mode:o})")
        if not self.dry_run:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            dst.chmod(mode)
            if group is not None:
                os.chown(dst, -1, grp.getgrnam(group).gr_gid)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def install_service(
    profile: Path | None,
    instance: str | None,
    unit_dir: Path = UNIT_DIR,
    dry_run: bool = False,
    *,
    config_dir: Path = CONFIG_DIR,
    executable: str | None = None,
    manage_system: bool = True,
) -> list[str]:
    """Install moodcam as a systemd service; returns (and with ``dry_run`` prints) the steps.

    ``instance`` set: the template ``moodcam@.service`` and ``moodcam@INSTANCE.service`` enabled,
    running ``/etc/moodcam/INSTANCE.toml``; unset: ``moodcam.service`` running ``default.toml``.
    ``profile`` unset: the bundled default profile.  ``manage_system=False`` only writes files
    (no user, ownership or systemctl), for staging trees and tests.
    """
    from daemon.cli import PROFILES_DIR

    if instance is not None and not _INSTANCE.match(instance):
        raise InstallError(f"instance name {instance!r}: use letters, digits, `_`, `.` and `-` (at most 64)")
    name = instance or SINGLE_NAME
    source = Path(profile) if profile is not None else PROFILES_DIR / "default.toml"
    loaded: Profile = load_profile(source)  # a bad profile fails here, naming the field
    raw = tomllib.loads(source.read_text(encoding="utf-8"))
    base = source.resolve().parent
    extra_files = _files_to_copy(raw, loaded, base)
    escaping = [f for f in extra_files if ".." in Path(f).parts]
    if escaping:
        raise InstallError(f"{source}: use absolute paths for files outside the profile's folder: {escaping}")
    exe = executable or moodcam_executable()
    group = USER if manage_system else None
    plan = _Plan(dry_run)

    if manage_system:
        if os.geteuid() != 0 and not dry_run:
            raise InstallError("installing a system service needs root (try sudo)")
        if _user_exists(USER):
            plan.note(f"user {USER} exists")
        else:
            plan.run("useradd", "--system", "--user-group", "--home-dir", str(STATE_ROOT), "--no-create-home",
                     "--shell", "/usr/sbin/nologin", "--comment", "moodcam streaming avatar", USER)
        for needed in (Path(exe), Path(sys.executable)):
            blocked = _unreadable_by_others(needed)
            if blocked is not None:
                plan.note(f"warning: {needed} (really {needed.resolve()}) lies under {blocked}, which the {USER} "
                          "user cannot enter; "
                          "install moodcam (and its Python) somewhere like /opt/moodcam")
                break
    plan.mkdir(config_dir, 0o750, group)
    plan.copy(source, config_dir / f"{name}.toml", 0o640, group)
    for rel in extra_files:
        plan.copy(base / rel, config_dir / rel, 0o640, group)

    template = instance is not None
    unit_name = "moodcam@.service" if template else "moodcam.service"
    service = f"moodcam@{instance}.service" if template else "moodcam.service"
    plan.write(unit_dir / unit_name, render_unit(exe, template), 0o644, None)
    plan.note(f"  ExecStart={exe} run /etc/moodcam/{name}.toml")

    recording = loaded.outputs.file
    if recording.enabled and recording.path.is_absolute():
        folder = recording.path.parent
        plan.mkdir(folder, 0o750, group)
        if manage_system:
            plan.run("chown", f"{USER}:{USER}", str(folder))
        plan.write(unit_dir / f"{service}.d" / "recording.conf",
                   f"# where {name}'s recording goes\n[Service]\nReadWritePaths={folder}\n", 0o644, None)

    if manage_system:
        plan.run("systemctl", "daemon-reload")
        plan.run("systemctl", "enable", service)
    plan.note(f"start it with: systemctl start {service}; logs: journalctl -u {service} -f")
    if dry_run:
        for line in plan.lines:
            print(("would " if not line.startswith(("  ", "warning", "user ", "start ")) else "") + line)
    return plan.lines
