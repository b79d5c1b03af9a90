"""The JSON chat message accepted by the webhook, the WebSocket connector and stdin.

``{"platform": str, "viewer": str, "text": str, "kind": "chat|question|gift|follow|join", "amount": number?}``
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations.chat.base import ChatMessage
from pipeline.turn import TurnKind


class ChatPayload(BaseModel):
    """One chat message or event as JSON; unknown keys are ignored so platforms can add their own."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    platform: str = Field("webhook", min_length=1, max_length=40, description="Where it came from.")
    viewer: str = Field(..., min_length=1, max_length=100, description="Display name of the sender.")
    text: str = Field("", max_length=2000, description="The message (may be empty for events).")
    kind: Literal["chat", "question", "gift", "follow", "join"] = Field("chat", description="What it is.")
    amount: float | None = Field(None, ge=0, le=1e9, description="Gift value (coins, bits, ...).")
    id: str | None = Field(None, max_length=200, description="Platform message id, if any.")

    def to_message(self, platform: str | None = None) -> ChatMessage:
        return ChatMessage(
            platform=platform or self.platform,
            viewer=self.viewer,
            text=self.text,
            kind=TurnKind(self.kind),
            amount=self.amount,
            id=self.id,
        )


def parse_json_messages(raw: str | bytes, platform: str | None = None) -> list[ChatMessage]:
    """Messages in a JSON text holding one object or a list of them; invalid items are skipped.

    Raises ValueError when the text is not JSON at all.
    """
    data = json.loads(raw)
    items = data if isinstance(data, list) else [data]
    out: list[ChatMessage] = []
    for item in items[:100]:
        try:
            out.append(ChatPayload.model_validate(item).to_message(platform))
        except ValidationError:
            continue
    return out
