"""The one interface every LLM backend implements: chat messages in, text pieces out, as a stream.

Calls are synchronous and heavy: the daemon runs them in a thread. ``cancel`` is checked between
tokens so an interrupt stops generation within a token or two.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pipeline.emotion import EMOTIONS

Messages = Sequence[dict[str, str]]


class BackendError(RuntimeError):
    """The model could not be loaded or the server could not be reached or answered badly."""


@dataclass(frozen=True, slots=True)
class GenerationParams:
    """Sampling settings for one reply; ``tags``: the emotion names a reply may open with."""

    max_tokens: int = 120
    temperature: float = 0.6
    seed: int = 1234
    force_tag: bool = True
    tags: tuple[str, ...] = tuple(e.value for e in EMOTIONS)
    stop: tuple[str, ...] = ()


@runtime_checkable
class LLMBackend(Protocol):
    """A chat model that streams text. ``name`` says which (for logs and the bench)."""

    name: str

    def stream(self, messages: Messages, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        """Yield the reply in pieces; stop early when ``cancel`` is set. Raises BackendError."""
        ...

    def close(self) -> None:
        """Release the model or the connection."""
        ...
