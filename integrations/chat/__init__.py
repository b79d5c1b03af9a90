"""Live-chat connectors behind one interface (`ChatSource`): Twitch IRC, WebSocket, HTTP webhook, stdin."""

from integrations.chat.base import Backoff, ChatMessage, ChatSource, pump

__all__ = ["Backoff", "ChatMessage", "ChatSource", "pump"]
