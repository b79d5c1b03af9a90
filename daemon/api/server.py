"""Serve the API inside the daemon's event loop; stopping the task stops the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import uvicorn

from daemon.api.app import create_app

if TYPE_CHECKING:
    from daemon.service import Service

log = logging.getLogger(__name__)


async def serve(service: Service) -> None:
    """Run uvicorn without its own signal handling (the daemon owns signals)."""
    api = service.profile.api
    config = uvicorn.Config(
        create_app(service),
        host=api.host,
        port=api.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    try:
        await server.serve()
        if not server.started:
            log.error("API could not listen on %s:%d; the stream goes on without it", api.host, api.port)
    except asyncio.CancelledError:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.shutdown(), 1.0)
        raise
