"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, a hosted API), streamed over SSE.

Where the server accepts a GBNF ``grammar`` field (llama.cpp's server and llama-cpp-python's), the
reply is constrained to open with a valid emotion tag; elsewhere the prompt asks for it and a
missing tag falls back to reading the text.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any, Literal

import httpx

from pipeline.brain.llm import BackendError, GenerationParams, Messages
from pipeline.brain.tag_stream import tag_grammar

log = logging.getLogger(__name__)
Constraint = Literal["none", "grammar"]


def chat_url(base_url: str) -> str:
    """``http://host:8000`` or ``http://host:8000/v1`` -> the chat completions URL."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


class OpenAIBackend:
    """Streams chat completions from a server; the API key is read by the caller and never logged."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        constraint: Constraint = "none",
        timeout_s: float = 30.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.url = chat_url(base_url)
        self.model = model
        self.constraint = constraint
        self.finish_reason: str | None = None  # of the last reply: "stop", "length" or "cancelled"
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s), trust_env=False
        )

    def body(self, messages: Messages, params: GenerationParams) -> dict[str, Any]:
        """The request body for one reply."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "stream": True,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "seed": params.seed,
        }
        if params.stop:
            body["stop"] = list(params.stop[:4])  # the OpenAI API takes at most four
        if params.force_tag and self.constraint == "grammar":
            body["grammar"] = tag_grammar(params.tags, free_text=True)
        return body

    def stream(self, messages: Messages, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        self.finish_reason = None
        try:
            with self._client.stream("POST", self.url, json=self.body(messages, params)) as response:
                if response.status_code >= 400:
                    detail = response.read().decode("utf-8", "replace")[:300]
                    raise BackendError(f"{self.url} answered {response.status_code}: {detail}")
                for line in response.iter_lines():
                    if cancel.is_set():
                        self.finish_reason = "cancelled"
                        return
                    event = _sse_event(line)
                    if event is None:
                        continue
                    if event is DONE:
                        return
                    text, finish = event
                    self.finish_reason = finish or self.finish_reason
                    if text:
                        yield text
        except httpx.HTTPError as exc:
            raise BackendError(f"{self.url}: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        self._client.close()


DONE = ("", "done")


def _sse_event(line: str) -> tuple[str, str | None] | None:
    """(text, finish reason) of one SSE ``data:`` line, ``DONE`` at the end, None for anything else."""
    if not line.startswith("data:"):
        return None
    data = line[5:].strip()
    if data == "[DONE]":
        return DONE
    try:
        event = json.loads(data)
    except json.JSONDecodeError:
        log.warning("ignoring a malformed stream event")
        return None
    if "error" in event:
        raise BackendError(f"server error: {str(event['error'])[:300]}")
    choices = event.get("choices") or []
    if not choices:
        return None
    delta = choices[0].get("delta") or {}
    text = delta.get("content")
    finish = choices[0].get("finish_reason")
    return (text if isinstance(text, str) else "", finish if isinstance(finish, str) else None)
