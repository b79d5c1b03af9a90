"""IRC line parsing with IRCv3 message tags, and Twitch's meaning of them (bits, subs, raids)."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.chat.base import ChatMessage
from pipeline.turn import TurnKind

_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_SUB_IDS = {"sub", "resub", "subgift", "submysterygift", "giftpaidupgrade", "anongiftpaidupgrade", "primepaidupgrade"}


@dataclass(frozen=True, slots=True)
class IrcLine:
    """One parsed IRC line: ``@tags :prefix COMMAND params :trailing``."""

    command: str
    params: list[str] = field(default_factory=list)
    prefix: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0]

    @property
    def trailing(self) -> str:
        return self.params[-1] if self.params else ""


def unescape_tag(value: str) -> str:
    """IRCv3 tag value escapes (``\\s`` is a space, ``\\:`` a semicolon, ...)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(_TAG_ESCAPES.get(value[i + 1], value[i + 1]))
            i += 2
            continue
        if ch != "\\":
            out.append(ch)
        i += 1
    return "".join(out)


def parse_line(line: str) -> IrcLine | None:
    """Parse one line (without CRLF); None for an empty or malformed one."""
    line = line.rstrip("\r\n")
    tags: dict[str, str] = {}
    if line.startswith("@"):
        raw_tags, _, line = line[1:].partition(" ")
        for item in raw_tags.split(";"):
            key, _, value = item.partition("=")
            if key:
                tags[key] = unescape_tag(value)
    line = line.lstrip(" ")
    prefix = ""
    if line.startswith(":"):
        prefix, _, line = line[1:].partition(" ")
    head, sep, trailing = line.partition(" :")
    parts = head.split()
    if not parts:
        return None
    params = parts[1:]
    if sep:
        params.append(trailing)
    return IrcLine(parts[0].upper(), params, prefix, tags)


def _int_tag(tags: dict[str, str], key: str) -> int:
    try:
        return int(tags.get(key, "0") or 0)
    except ValueError:
        return 0


def to_chat_message(msg: IrcLine, platform: str) -> ChatMessage | None:
    """A chat message for a PRIVMSG or a Twitch USERNOTICE (subs, gifts, raids); None for the rest."""
    viewer = msg.tags.get("display-name") or msg.tags.get("login") or msg.nick or "viewer"
    msg_id = msg.tags.get("id")
    if msg.command == "PRIVMSG" and len(msg.params) >= 2:
        text = msg.trailing
        if text.startswith("\x01ACTION ") and text.endswith("\x01"):
            text = text[8:-1]
        elif text.startswith("\x01"):
            return None  # other CTCP requests are not chat
        bits = _int_tag(msg.tags, "bits")
        if bits > 0:
            return ChatMessage(platform, viewer, text, TurnKind.GIFT, float(bits), msg_id)
        return ChatMessage(platform, viewer, text, TurnKind.CHAT, None, msg_id)
    if msg.command == "USERNOTICE":
        kind_id = msg.tags.get("msg-id", "")
        system = msg.tags.get("system-msg", "")
        said = msg.trailing if len(msg.params) >= 2 else ""
        text = f"{system} {said}".strip()
        if kind_id in _SUB_IDS:
            months = _int_tag(msg.tags, "msg-param-cumulative-months") or _int_tag(
                msg.tags, "msg-param-mass-gift-count"
            )
            return ChatMessage(platform, viewer, text or "subscribed", TurnKind.GIFT, float(months or 1), msg_id)
        if kind_id == "raid":
            raiders = _int_tag(msg.tags, "msg-param-viewerCount")
            return ChatMessage(platform, viewer, text or "raided", TurnKind.JOIN, float(raiders), msg_id)
        if kind_id == "ritual":
            return ChatMessage(platform, viewer, text or "joined", TurnKind.JOIN, None, msg_id)
        if kind_id == "announcement" and said:
            return ChatMessage(platform, viewer, said, TurnKind.CHAT, None, msg_id)
    return None
