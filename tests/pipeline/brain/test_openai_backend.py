"""The OpenAI-compatible backend against a real llama.cpp server (llama-cpp-python's) on loopback."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.brain.llama_backend import embedded_gguf
from pipeline.brain.llm import BackendError, GenerationParams
from pipeline.brain.openai_backend import DONE, OpenAIBackend, _sse_event, chat_url
from pipeline.brain.policy import EmotionPolicy
from pipeline.brain.prompt import Persona, build_messages, system_prompt
from pipeline.brain.responder import BrainSettings, Responder
from pipeline.brain.tag_stream import Tag, TagStream
from pipeline.turn import Turn, TurnKind
from tests.net import free_port

KEY = "test-key-not-secret"
SYSTEM = system_prompt(Persona(), 2)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = Path(tmp_path_factory.mktemp("llama-server")) / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_gguf()), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1",
             "--api_key", KEY, "--verbose", "False"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama server did not come up in 90 s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ask(text: str) -> list[dict[str, str]]:
    return build_messages(SYSTEM, [], "ann", text, TurnKind.CHAT, [])


def test_chat_url() -> None:
    assert chat_url("http://h:8000") == "http://h:8000/v1/chat/completions"
    assert chat_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"


def test_sse_lines() -> None:
    assert _sse_event('data: {"choices":[{"delta":{"content":"Hi"}}]}') == ("Hi", None)
    assert _sse_event('data: {"choices":[{"delta":{"role":"assistant"}}]}') == ("", None)
    assert _sse_event('data: {"choices":[{"delta":{},"finish_reason":"length"}]}') == ("", "length")
    assert _sse_event("data: [DONE]") is DONE
    assert _sse_event(": ping") is None
    with pytest.raises(BackendError, match="server error"):
        _sse_event('data: {"error": {"message": "boom"}}')


def test_grammar_forces_a_valid_tag(server: str) -> None:
    backend = OpenAIBackend(server, "smollm2", api_key=KEY, constraint="grammar")
    try:
        params = GenerationParams(max_tokens=6)  # a grammar slows every token on this server: keep it short
        assert "grammar" in backend.body(ask("x"), params)
        pieces = list(backend.stream(ask("my parcel is lost, I'm sad"), params, threading.Event()))
        assert len(pieces) > 1  # streamed, not one block
        events = TagStream().feed("".join(pieces))
        assert isinstance(events[0], Tag) and events[0].emotion is not None
    finally:
        backend.close()


def test_without_grammar_the_body_has_none(server: str) -> None:
    backend = OpenAIBackend(server + "/v1", "smollm2", api_key=KEY)
    try:
        params = GenerationParams(max_tokens=8)
        assert "grammar" not in backend.body(ask("x"), params)
        assert list(backend.stream(ask("tell me about your favourite city"), params, threading.Event()))
        assert backend.finish_reason == "length"
    finally:
        backend.close()


def test_cancel_stops_the_stream(server: str) -> None:
    backend = OpenAIBackend(server, "smollm2", api_key=KEY)
    cancel = threading.Event()
    seen = 0
    try:
        for _ in backend.stream(ask("tell me a long story"), GenerationParams(max_tokens=200), cancel):
            seen += 1
            if seen == 2:
                cancel.set()
        assert seen == 2 and backend.finish_reason == "cancelled"
    finally:
        backend.close()


def test_wrong_key_and_unreachable_server_raise(server: str) -> None:
    wrong = OpenAIBackend(server, "smollm2", api_key="wrong")
    with pytest.raises(BackendError, match="401") as info:
        list(wrong.stream(ask("hi"), GenerationParams(max_tokens=4), threading.Event()))
    assert "wrong" not in str(info.value)
    wrong.close()
    port = free_port()
    gone = OpenAIBackend(f"http://127.0.0.1:{port}", "m", connect_timeout_s=1)
    with pytest.raises(BackendError, match="ConnectError"):
        list(gone.stream(ask("hi"), GenerationParams(max_tokens=4), threading.Event()))
    gone.close()


def test_responder_over_the_server(server: str, reader) -> None:
    """Unconstrained: the prompt asks for the tag and a missing one falls back to reading the text."""
    backend = OpenAIBackend(server, "smollm2", api_key=KEY)
    responder = Responder(backend, reader, EmotionPolicy(), BrainSettings(max_sentences=2, max_tokens=48))
    try:
        sentences = list(responder.respond_sync(Turn("ann", "test", "I'm so sad, my cat is sick", TurnKind.CHAT)))
        assert 1 <= sum(1 for s in sentences if not s.continues) <= 2  # a first clause may go ahead
        for sentence in sentences:
            assert sentence.source == "llm" and "[" not in sentence.text
            assert sentence.decision is not None
        assert sentences[0].emotion.emotion.value in ("concerned", "neutral")
    finally:
        backend.close()
