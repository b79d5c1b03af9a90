"""The `moodcam` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from daemon import exit_codes
from daemon.config.profile import Profile, ProfileError, load_profile
from daemon.logs import setup_logging

log = logging.getLogger("moodcam")

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"


def resolve_profile_path(arg: str | None) -> Path:
    """A path, or a profile name from the bundled ``profiles/`` folder (default: ``default``)."""
    if arg is None:
        return PROFILES_DIR / "default.toml"
    path = Path(arg).expanduser()
    if path.exists() or path.suffix == ".toml" or "/" in arg:
        return path
    return PROFILES_DIR / f"{arg}.toml"


def load_or_exit(arg: str | None) -> tuple[Profile, Path]:
    path = resolve_profile_path(arg)
    try:
        return load_profile(path), path
    except ProfileError as exc:
        print(f"moodcam: {exc}", file=sys.stderr)
        raise SystemExit(exit_codes.BAD_PROFILE) from None


def cmd_check(args: argparse.Namespace) -> int:
    from daemon.check import check_profile

    profile, path = load_or_exit(args.profile)
    print(f"profile {path}: valid")
    results = check_profile(profile)
    for result in results:
        print(result.line)
    failed = [r for r in results if r.required and not r.ok]
    return exit_codes.UNAVAILABLE if failed else exit_codes.OK


def cmd_run(args: argparse.Namespace) -> int:
    from daemon.service import ComponentUnavailable, Service

    profile, path = load_or_exit(args.profile)
    service = Service(profile, path)
    try:
        asyncio.run(service.run())
    except ComponentUnavailable as exc:
        for result in exc.failures:
            log.error("%s", result.line)
        log.error("cannot start: run `moodcam check %s` for details", path)
        return exit_codes.UNAVAILABLE
    except KeyboardInterrupt:
        return exit_codes.OK
    except Exception:
        log.exception("crashed")
        return _exit_now(exit_codes.CRASH)
    # every file is finalised and every socket closed by now; native model runtimes can take
    # seconds to tear down at interpreter exit, which would break the 2 s stop promise
    return _exit_now(exit_codes.OK)


def _exit_now(code: int) -> int:
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_render(args: argparse.Namespace) -> int:
    from daemon.render import render_command

    if not 0.0 <= args.intensity <= 1.0:
        print("moodcam: --intensity must be within 0..1", file=sys.stderr)
        return exit_codes.BAD_PROFILE
    path = resolve_profile_path(args.profile)
    return render_command(path, args.output, args.text, args.script, args.emotion, args.intensity)


def cmd_face_demo(args: argparse.Namespace) -> int:
    from daemon.face_demo import face_demo

    path = resolve_profile_path(args.profile) if args.profile else None
    return face_demo(path, args.output, portrait=args.portrait, seconds=args.seconds)


def cmd_install_service(args: argparse.Namespace) -> int:
    from daemon.install_service import InstallError, install_service

    path = resolve_profile_path(args.profile)
    try:
        steps = install_service(path, args.instance, dry_run=args.dry_run)
    except ProfileError as exc:
        print(f"moodcam: {exc}", file=sys.stderr)
        return exit_codes.BAD_PROFILE
    except (InstallError, OSError) as exc:
        print(f"moodcam: cannot install the service: {exc}", file=sys.stderr)
        return exit_codes.UNAVAILABLE
    if not args.dry_run:
        for step in steps:
            print(step)
    return exit_codes.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodcam", description="Emotion-aware digital human for live streaming.")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True)
    from pipeline.emotion import EMOTIONS

    p = sub.add_parser("check", help="validate a profile and check each component on this machine")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("run", help="run the daemon")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("render", help="render a line or a script to a talking mp4, offline")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the line to say")
    source.add_argument("--script", type=Path, help="a file of lines, each `[emotion] text` (or plain text)")
    p.add_argument("--emotion", default="auto", choices=["auto", *EMOTIONS], help="emotion of --text")
    p.add_argument("--intensity", type=float, default=0.7, help="intensity 0..1 of explicit emotions")
    p.add_argument("-o", "--output", type=Path, default=Path("out.mp4"), help="mp4 to write (default: out.mp4)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("face", help="face tools")
    face_sub = p.add_subparsers(dest="face_command", required=True)
    p = face_sub.add_parser("demo", help="render a clip through every emotion and viseme")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    p.add_argument("-o", "--output", type=Path, default=Path("demo.mp4"), help="mp4 to write (default: demo.mp4)")
    p.add_argument("--portrait", type=Path, help="try another photo instead of the profile's")
    p.add_argument("--seconds", type=float, default=1.6, help="seconds per emotion (default: 1.6)")
    p.set_defaults(func=cmd_face_demo)

    p = sub.add_parser("install-service", help="install the systemd unit (one instance per profile)")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    p.add_argument("--instance", help="instance name: moodcam@NAME.service with /etc/moodcam/NAME.toml")
    p.add_argument("--dry-run", action="store_true", help="print the steps without doing them")
    p.set_defaults(func=cmd_install_service)

    from daemon import cli_client

    p = sub.add_parser("say", help="have the running daemon say a line")
    p.add_argument("text")
    p.add_argument("--emotion", default="auto", choices=["auto", *EMOTIONS])
    p.add_argument("--intensity", type=float, default=0.7)
    p.add_argument("--profile", help="profile of the running daemon (for its address and token)")
    p.set_defaults(func=cli_client.cmd_say)

    p = sub.add_parser("status", help="show the running daemon's status")
    p.add_argument("--profile", help="profile of the running daemon (for its address and token)")
    p.set_defaults(func=cli_client.cmd_status)

    p = sub.add_parser("interrupt", help="stop the running daemon's speech now")
    p.add_argument("--profile", help="profile of the running daemon (for its address and token)")
    p.set_defaults(func=cli_client.cmd_interrupt)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(json_lines=args.log_json, level=args.log_level)
    try:
        return args.func(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception:
        log.exception("crashed")
        return exit_codes.CRASH


if __name__ == "__main__":
    sys.exit(main())
