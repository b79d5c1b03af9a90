"""The `moodcam` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
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
        return exit_codes.CRASH
    return exit_codes.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodcam", description="Emotion-aware digital human for live streaming.")
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="validate a profile and check each component on this machine")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("run", help="run the daemon")
    p.add_argument("profile", nargs="?", help="profile file or bundled name (default: default)")
    p.set_defaults(func=cmd_run)
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
