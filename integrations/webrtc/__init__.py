"""WebRTC output: the Stage's picture and voice to browsers and WHEP players, one session per viewer."""

from integrations.webrtc.fanout import MediaFanout, Subscription
from integrations.webrtc.hub import BadOffer, Session, ViewerLimit, WebRTCHub
from integrations.webrtc.routes import INDEX_HTML, STATIC_DIR, build_router

__all__ = [
    "INDEX_HTML",
    "STATIC_DIR",
    "BadOffer",
    "MediaFanout",
    "Session",
    "Subscription",
    "ViewerLimit",
    "WebRTCHub",
    "build_router",
]
