"""Control API access rules: bearer token off loopback, loopback by profile, CORS closed, schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from daemon.api.app import create_app
from daemon.cli import PROFILES_DIR
from daemon.config.profile import load_profile
from daemon.service import Service

TOKEN = "s3cret-token-for-tests"


def make_service(tmp_path: Path, extra: str = "") -> Service:
    shutil.copy(PROFILES_DIR / "assets" / "astronaut.png", tmp_path / "face.png")
    path = tmp_path / "p.toml"
    path.write_text(f'[face]\nportrait = "face.png"\n[api]\ntoken_env = "MOODCAM_TEST_TOKEN"\n{extra}')
    return Service(load_profile(path), path)


def client(service: Service, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(service), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://moodcam")


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MOODCAM_TEST_TOKEN", TOKEN)
    return TOKEN


@pytest.mark.parametrize("path", ["/api/status", "/metrics", "/"])
async def test_remote_client_needs_the_token(tmp_path: Path, token: str, path: str) -> None:
    async with client(make_service(tmp_path), "203.0.113.7") as http:
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await http.get(path, headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_control_posts_need_the_token(tmp_path: Path, token: str) -> None:
    async with client(make_service(tmp_path), "203.0.113.7") as http:
        for path, body in (("/api/say", {"text": "hi"}), ("/api/interrupt", {}), ("/api/emotion", {"emotion": None})):
            response = await http.post(path, json=body)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"


async def test_loopback_allowed_without_token_by_default(tmp_path: Path, token: str) -> None:
    async with client(make_service(tmp_path), "127.0.0.1") as http:
        assert (await http.get("/api/status")).status_code == 200
    async with client(make_service(tmp_path), "::1") as http:
        assert (await http.get("/api/status")).status_code == 200


async def test_loopback_can_be_required_to_authenticate(tmp_path: Path, token: str) -> None:
    service = make_service(tmp_path, "loopback_without_token = false\n")
    async with client(service, "127.0.0.1") as http:
        assert (await http.get("/api/status")).status_code == 401
        assert (await http.get("/api/status", params={"token": token})).status_code == 200


async def test_no_token_configured_means_loopback_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOODCAM_TEST_TOKEN", raising=False)
    async with client(make_service(tmp_path), "198.51.100.9") as http:
        assert (await http.get("/api/status", headers={"Authorization": "Bearer "})).status_code == 401


async def test_health_and_schema_are_public_and_cors_closed(tmp_path: Path, token: str) -> None:
    async with client(make_service(tmp_path), "203.0.113.7") as http:
        assert (await http.get("/api/health")).status_code == 503  # not streaming yet, but answered
        schema = (await http.get("/openapi.json")).json()
        assert {"/api/say", "/api/interrupt", "/api/emotion", "/api/profile", "/api/status"} <= set(schema["paths"])
        pre = await http.options(
            "/api/say", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in pre.headers


async def test_bad_bodies_are_rejected_with_reasons(tmp_path: Path, token: str) -> None:
    async with client(make_service(tmp_path), "127.0.0.1") as http:
        response = await http.post("/api/say", json={"text": ""})
        assert response.status_code == 422
        response = await http.post("/api/emotion", json={"emotion": "elated"})
        assert response.status_code == 422 and "emotion" in response.text
        response = await http.post("/api/say", json={"text": "hi", "volume": 11})
        assert response.status_code == 422
