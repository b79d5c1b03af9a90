"""A real IRC server (Debian ngircd) on loopback for the chat connector tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.net import free_port


@dataclass
class Ngircd:
    port: int
    conf: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(["ngircd", "-n", "-f", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"ngircd did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def _ngircd(tmp: Path, password: str | None) -> Ngircd:
    port = free_port()
    conf = tmp / "ngircd.conf"
    conf.write_text(
        "\n".join(
            [
                "[Global]",
                "Name = irc.test.local",
                "Info = moodcam test server",
                "Listen = 127.0.0.1",
                f"Ports = {port}",
                "MotdPhrase = test",
                *([f"Password = {password}"] if password else []),
                "[Limits]",
                "MaxNickLength = 30",
                "PingTimeout = 120",
                "[Options]",
                "PAM = no",
                "Ident = no",
                "DNS = no",
                "[Channel]",
                "Name = #moodcam",
                "",
            ]
        )
    )
    return Ngircd(port, conf, tmp / "ngircd.log")


@pytest.fixture(scope="module")
def ngircd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ngircd]:
    if shutil.which("ngircd") is None:
        pytest.fail("Debian package ngircd is required (apt-get install ngircd)")
    server = _ngircd(tmp_path_factory.mktemp("ngircd"), None)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ngircd_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ngircd]:
    server = _ngircd(tmp_path_factory.mktemp("ngircd-pass"), "oauth:s3cret-token")
    server.start()
    yield server
    server.stop()
