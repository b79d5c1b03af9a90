"""`moodcam say` and `moodcam status`: talk to a running daemon over its control API."""

from __future__ import annotations

import argparse
import json
import os
import sys

import httpx

from daemon import exit_codes


def _base(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    from daemon.cli import load_or_exit

    profile, _ = load_or_exit(args.profile)
    host = "127.0.0.1" if profile.api.host in ("0.0.0.0", "::") else profile.api.host
    host = f"[{host}]" if ":" in host else host
    headers = {}
    token = os.environ.get(profile.api.token_env) if profile.api.token_env else None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return f"http://{host}:{profile.api.port}", headers


def _call(method: str, args: argparse.Namespace, path: str, body: dict | None = None) -> tuple[int, object]:
    base, headers = _base(args)
    try:
        response = httpx.request(method, base + path, json=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        print(f"moodcam: cannot reach the daemon at {base}: {exc}", file=sys.stderr)
        return exit_codes.UNAVAILABLE, None
    try:
        payload: object = response.json()
    except ValueError:
        payload = response.text
    if response.status_code >= 400:
        print(f"moodcam: {response.status_code} {json.dumps(payload, ensure_ascii=False)}", file=sys.stderr)
        return exit_codes.UNAVAILABLE if response.status_code >= 500 else exit_codes.BAD_PROFILE, payload
    return exit_codes.OK, payload


def cmd_say(args: argparse.Namespace) -> int:
    body: dict[str, object] = {"text": args.text}
    if args.emotion and args.emotion != "auto":
        body["emotion"] = args.emotion
        body["intensity"] = args.intensity
    code, payload = _call("POST", args, "/api/say", body)
    if code == exit_codes.OK:
        print(json.dumps(payload, ensure_ascii=False))
    return code


def cmd_status(args: argparse.Namespace) -> int:
    code, payload = _call("GET", args, "/api/status")
    if code == exit_codes.OK:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    return code


def cmd_interrupt(args: argparse.Namespace) -> int:
    code, payload = _call("POST", args, "/api/interrupt", {})
    if code == exit_codes.OK:
        print(json.dumps(payload, ensure_ascii=False))
    return code
