"""Build a chat connector from a profile's chat entry (any object with the ``ChatConfig`` fields)."""

from __future__ import annotations

import os
from typing import Any

from integrations.chat.base import ChatSource
from integrations.chat.stdin import StdinChat
from integrations.chat.twitch_irc import TwitchIrc
from integrations.chat.webhook import WebhookChat
from integrations.chat.websocket import WebSocketChat


def chat_source(cfg: Any) -> ChatSource:
    """The connector ``cfg.kind`` names; tokens are read from the variable ``cfg.token_env`` names."""
    token_env = getattr(cfg, "token_env", None)
    token = os.environ.get(token_env) or None if token_env else None
    platform = getattr(cfg, "platform", None)
    if cfg.kind == "twitch":
        if not cfg.channel:
            raise ValueError("a twitch chat source needs a channel")
        kwargs: dict[str, Any] = {"nick": getattr(cfg, "nick", None), "token": token, "tls": getattr(cfg, "tls", True)}
        if getattr(cfg, "host", None):
            kwargs["host"] = cfg.host
        if getattr(cfg, "port", None):
            kwargs["port"] = cfg.port
        return TwitchIrc(cfg.channel, platform=platform or "twitch", **kwargs)
    if cfg.kind == "websocket":
        if not cfg.url:
            raise ValueError("a websocket chat source needs a url")
        return WebSocketChat(str(cfg.url), platform=platform, token=token)
    if cfg.kind == "webhook":
        return WebhookChat(token)
    if cfg.kind == "stdin":
        return StdinChat(platform=platform or "stdin")
    raise ValueError(f"unknown chat kind {cfg.kind!r}")
