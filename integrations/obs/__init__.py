"""OBS Studio control over obs-websocket v5: a reconnecting client and the daemon-event bridge."""

from integrations.obs.bridge import BridgeStats, OBSBridge, bridge_from_config
from integrations.obs.client import OBSClient
from integrations.obs.protocol import OBSAuthError, OBSError, OBSEvent, OBSNotConnected
from integrations.obs.rules import Rule

__all__ = [
    "BridgeStats",
    "OBSAuthError",
    "OBSBridge",
    "OBSClient",
    "OBSError",
    "OBSEvent",
    "OBSNotConnected",
    "Rule",
    "bridge_from_config",
]
