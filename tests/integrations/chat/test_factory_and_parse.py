"""Connector factory from profile entries, and IRC/IRCv3 line parsing details."""

from __future__ import annotations

import pytest

from daemon.config.inputs import ChatConfig
from integrations.chat.factory import chat_source
from integrations.chat.irc_parse import parse_line, to_chat_message, unescape_tag
from integrations.chat.stdin import StdinChat
from integrations.chat.twitch_irc import TwitchIrc
from integrations.chat.webhook import WebhookChat
from integrations.chat.websocket import WebSocketChat
from pipeline.turn import TurnKind


def test_factory_builds_each_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOODCAM_TEST_CHAT_TOKEN", "t0k")
    tw = chat_source(ChatConfig(kind="twitch", channel="Streamer", nick="bot", token_env="MOODCAM_TEST_CHAT_TOKEN",
                                host="127.0.0.1", port=6667, tls=False))
    assert isinstance(tw, TwitchIrc) and not tw.anonymous and tw.port == 6667 and tw.channel == "#streamer"
    anon = chat_source(ChatConfig(kind="twitch", channel="streamer"))
    assert isinstance(anon, TwitchIrc) and anon.anonymous and anon.tls and anon.port == 6697
    ws = chat_source(ChatConfig(kind="websocket", url="wss://chat.example/ws", platform="douyin"))
    assert isinstance(ws, WebSocketChat) and ws.platform == "douyin"
    assert isinstance(chat_source(ChatConfig(kind="webhook")), WebhookChat)
    assert isinstance(chat_source(ChatConfig(kind="stdin")), StdinChat)
    with pytest.raises(ValueError):
        chat_source(ChatConfig(kind="twitch"))
    with pytest.raises(ValueError):
        ChatConfig(kind="websocket", url="http://not-a-websocket")


def test_tag_unescaping() -> None:
    assert unescape_tag(r"a\sb\:c\\d\re\nf") == "a b;c\\d\re\nf"
    assert unescape_tag("trailing\\") == "trailing"


def test_parse_line_forms() -> None:
    m = parse_line("@a=1;b=;c :nick!user@host PRIVMSG #chan :hello :) world\r\n")
    assert m is not None and m.command == "PRIVMSG" and m.params == ["#chan", "hello :) world"]
    assert m.tags == {"a": "1", "b": "", "c": ""} and m.nick == "nick"
    ping = parse_line("PING :tmi.twitch.tv")
    assert ping is not None and ping.command == "PING" and ping.trailing == "tmi.twitch.tv"
    assert parse_line("") is None and parse_line(":prefix-only") is None


def test_usernotice_kinds() -> None:
    gift = parse_line("@msg-id=submysterygift;msg-param-mass-gift-count=5;display-name=G;system-msg=G\\sgifted\\s5 "
                      ":tmi.twitch.tv USERNOTICE #c")
    assert gift is not None
    msg = to_chat_message(gift, "twitch")
    assert msg is not None and msg.kind == TurnKind.GIFT and msg.amount == 5 and msg.text == "G gifted 5"
    other = parse_line("@msg-id=unknownthing :tmi.twitch.tv USERNOTICE #c")
    assert other is not None and to_chat_message(other, "twitch") is None
    ctcp = parse_line(":a!a@a PRIVMSG #c :\x01VERSION\x01")
    assert ctcp is not None and to_chat_message(ctcp, "twitch") is None
