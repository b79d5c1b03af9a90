"""The preview page and control API: where it listens and who may use it."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from daemon.config.base import Section


class APIConfig(Section):
    enabled: bool = Field(True, title="Enabled", description="Serve the preview page and control API.")
    host: str = Field("127.0.0.1", title="Host", description="Listen address (loopback unless you need the LAN).")
    port: int = Field(8080, ge=1, le=65535, title="Port", description="Listen port.")
    token_env: str | None = Field(
        "MOODCAM_TOKEN",
        title="Token variable",
        description="Environment variable holding the bearer token required off loopback.",
    )
    loopback_without_token: bool = Field(
        True, title="Loopback without token", description="Requests from 127.0.0.1/::1 need no token."
    )
    cors_origins: list[str] = Field(
        default_factory=list, max_length=32, title="CORS origins", description="Allowed origins (none by default)."
    )

    @field_validator("host")
    @classmethod
    def _ip(cls, value: str) -> str:
        if value != "localhost":
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError("must be an IP address or `localhost`") from None
        return value
