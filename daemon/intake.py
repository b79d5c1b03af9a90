"""Everything that brings turns in: the inbox and its dispatcher, chat connectors, the chat
webhook, the operator's `ask`, and the host's microphone (barge-in, converse and mirror)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from daemon.api.models import Accepted, AskRequest
from daemon.dispatcher import Dispatcher
from daemon.listening import EchoTap, build_listener
from pipeline.turn import TurnKind

if TYPE_CHECKING:
    from daemon.api.auth import TokenGuard
    from daemon.service import Service
    from integrations.chat.base import ChatMessage, ChatSource
    from pipeline.listen.listener import Listener

log = logging.getLogger(__name__)


def build_inbox(service: Service) -> Any:
    from pipeline.inbox.inbox import Inbox
    from pipeline.inbox.moderation import Moderator
    from pipeline.inbox.ratelimit import ViewerRateLimit

    i = service.profile.inputs
    moderator = Moderator(
        i.blocked_words, guard_injection=i.guard_injection, scrub_contacts=i.scrub_contacts,
        max_chars=i.max_message_chars,
    )
    return Inbox(
        moderator,
        capacity=i.inbox_capacity,
        max_age_s=i.question_max_age_s,
        rate_limit=ViewerRateLimit(burst=i.viewer_burst, rate_per_s=i.viewer_per_minute / 60.0),
    )


class Intake:
    """Owns the inbox, the dispatcher, the chat connections and the microphone."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.inbox = build_inbox(service)
        assert service.conductor is not None and service.components is not None
        self.dispatcher = Dispatcher(
            self.inbox,
            service.components.brain,  # type: ignore[arg-type]
            service.conductor,
            service.events,
            observe=service.observe,
            on_block=lambda rule: service.metrics.moderation_blocks.labels(rule).inc(),
        )
        self.sources: list[ChatSource] = []
        self.listener: Listener | None = None
        self._tasks: list[asyncio.Task[None]] = []
        webhook_env = next((c.token_env for c in service.profile.inputs.chat if c.kind == "webhook"), None)
        self._webhook_token = os.environ.get(webhook_env) if webhook_env else None

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        from integrations.chat.base import pump
        from integrations.chat.factory import chat_source

        self.dispatcher.start()
        for cfg in self.service.profile.inputs.chat:
            if cfg.kind == "webhook":
                continue  # served by the API's /api/chat
            source = chat_source(cfg)
            self.sources.append(source)
            self._tasks.append(asyncio.create_task(pump(source, self.on_chat), name=f"chat:{cfg.kind}"))
        if self.service.profile.inputs.mic.enabled:
            self._tasks.append(asyncio.create_task(self._start_mic(), name="mic"))

    async def _start_mic(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            listener, guard = await asyncio.to_thread(
                build_listener, self.service.profile, loop, self.on_barge_in, self.on_partial, self.on_final
            )
        except Exception as exc:
            log.error("microphone unavailable, the stream goes on without it: %s", exc)
            self.service.events.publish("mic.error", reason=str(exc))
            return
        self.listener = listener
        if guard is not None and self.service.stage is not None:
            from integrations.outputs.base import SinkRunner

            runner = SinkRunner(EchoTap(guard, self.service.profile.outputs.audio_device.latency_ms / 1000))
            self.service.stage.add_sink(runner)
            runner.start()
        await asyncio.to_thread(listener.start)
        log.info("listening to the host's microphone (%s mode)", self.service.profile.inputs.mic.mode)

    async def stop(self) -> None:
        await self.dispatcher.stop()
        for source in self.sources:
            with contextlib.suppress(Exception):
                await source.close()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.listener.stop)

    # -- inputs ---------------------------------------------------------------------------------
    def on_chat(self, message: ChatMessage) -> None:
        self.dispatcher.offer(message.viewer, message.platform, message.text, message.kind, message.amount)

    def on_barge_in(self) -> None:
        """The host started talking over the avatar: stop it now."""
        log.info("barge-in: the host is speaking")
        self.dispatcher.interrupt()
        self.service.interrupt("barge-in")

    def on_partial(self, text: str) -> None:
        self.service.events.publish("transcript.partial", text=text)

    def on_final(self, text: str, language: str) -> None:
        self.service.events.publish("transcript", text=text, language=language)
        if self.service.profile.inputs.mic.mode == "mirror":
            self._tasks.append(asyncio.create_task(self._mirror(text), name="mirror"))
        else:
            self.dispatcher.offer("host", "mic", text, TurnKind.HOST)

    async def _mirror(self, text: str) -> None:
        """Say the host's own words in the avatar's voice, with the feeling read from them."""
        await self.service.say(text, None)

    # -- HTTP ------------------------------------------------------------------------------------
    def router(self, guard: TokenGuard) -> APIRouter:
        """``POST /api/chat`` (bots and platform bridges) and ``POST /api/ask`` (the operator)."""
        from integrations.chat.webhook import webhook_router

        async def allowed(request: Request) -> None:
            presented = request.headers.get("x-chat-token") or request.headers.get("authorization", "")[7:]
            if self._webhook_token and presented and hmac.compare_digest(presented, self._webhook_token):
                return
            await guard(request)

        router = APIRouter()
        router.include_router(webhook_router(self.on_chat, None), prefix="/api/chat", dependencies=[Depends(allowed)])

        @router.post("/api/ask", tags=["control"], status_code=202, dependencies=[Depends(guard)])
        async def ask(body: AskRequest) -> Accepted:
            """Have the avatar answer a line as a viewer's would be (it goes through moderation)."""
            offer = self.dispatcher.offer(body.viewer, "operator", body.text, TurnKind.QUESTION)
            if not offer.accepted:
                raise HTTPException(422, offer.reason)
            return Accepted(detail=offer.reason)

        return router

    def status(self) -> dict[str, Any]:
        return {
            "inbox": {"queued": len(self.inbox), **self.inbox.depth(), "stats": asdict(self.inbox.stats)},
            "chat": [s.status() for s in self.sources],
            "mic": self.listener.status() if self.listener is not None else None,
            "answered": self.dispatcher.answered,
        }

