"""OBS Studio over obs-websocket v5: connection and the event -> request mapping."""

from __future__ import annotations

from pydantic import Field

from daemon.config.base import Section


class OBSConfig(Section):
    enabled: bool = Field(False, title="Enabled", description="Steer OBS over obs-websocket v5.")
    host: str = Field("127.0.0.1", title="Host", description="obs-websocket host.")
    port: int = Field(4455, ge=1, le=65535, title="Port", description="obs-websocket port.")
    password_env: str | None = Field(
        None, title="Password variable", description="Environment variable holding the obs-websocket password."
    )
    subtitle_source: str | None = Field(
        None, title="Subtitle source", description="Text source that shows the live subtitle."
    )
    speaking_scene: str | None = Field(None, title="Speaking scene", description="Scene while the avatar speaks.")
    idle_scene: str | None = Field(None, title="Idle scene", description="Scene while the avatar is silent.")
