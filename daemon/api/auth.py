"""Who may use the control API: a bearer token, except from loopback when the profile allows it."""

from __future__ import annotations

import hmac
import ipaddress
import os

from fastapi import HTTPException, Request, WebSocket, status


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


class TokenGuard:
    """Checks ``Authorization: Bearer <token>`` (or ``?token=`` for WebSockets and the page).

    The token lives in an environment variable named by the profile; it is compared in constant
    time and never logged.  With no token configured, only loopback clients get in.
    """

    def __init__(self, token_env: str | None, loopback_without_token: bool) -> None:
        self._token = os.environ.get(token_env) if token_env else None
        self.loopback_without_token = loopback_without_token

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    def allowed(self, client_host: str | None, presented: str | None) -> bool:
        if self.loopback_without_token and is_loopback(client_host):
            return True
        if not self._token or not presented:
            return False
        return hmac.compare_digest(presented.encode(), self._token.encode())

    @staticmethod
    def _presented(headers: dict[str, str] | object, query: dict[str, str] | object) -> str | None:
        auth = headers.get("authorization", "")  # type: ignore[attr-defined]
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return query.get("token")  # type: ignore[attr-defined]

    async def __call__(self, request: Request) -> None:
        """FastAPI dependency for HTTP routes."""
        client = request.client.host if request.client else None
        if not self.allowed(client, self._presented(request.headers, request.query_params)):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "bearer token required", headers={"WWW-Authenticate": "Bearer"}
            )

    def websocket_allowed(self, websocket: WebSocket) -> bool:
        client = websocket.client.host if websocket.client else None
        return self.allowed(client, self._presented(websocket.headers, websocket.query_params))
