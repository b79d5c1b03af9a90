"""The embedded GGUF through llama-cpp-python: tag forced by grammar, seeded, cancellable."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipeline.brain.factory import make_backend
from pipeline.brain.llama_backend import LlamaBackend, embedded_gguf, resolve_model
from pipeline.brain.llm import BackendError, GenerationParams, LLMBackend
from pipeline.brain.prompt import Persona, build_messages, system_prompt
from pipeline.brain.tag_stream import Tag, TagStream
from pipeline.emotion import Emotion
from pipeline.turn import TurnKind

SYSTEM = system_prompt(Persona(), 2)


def ask(text: str) -> list[dict[str, str]]:
    return build_messages(SYSTEM, [], "ann", text, TurnKind.CHAT, [])


def test_embedded_model_is_found_in_the_package(tmp_path: Path) -> None:
    path = embedded_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert resolve_model("embedded", tmp_path).name.endswith(".Q8_0.gguf")
    with pytest.raises(BackendError, match="not found"):
        resolve_model("/nonexistent/model.gguf")


def test_reply_opens_with_a_valid_tag(llama: LlamaBackend) -> None:
    assert isinstance(llama, LLMBackend)
    for question in ("my order arrived broken", "what time is it in Tokyo?"):
        pieces = list(llama.stream(ask(question), GenerationParams(max_tokens=10), threading.Event()))
        events = TagStream().feed("".join(pieces))
        assert isinstance(events[0], Tag) and events[0].emotion in set(Emotion), pieces[:3]
        assert "".join(pieces).strip() != pieces[0].strip()  # some text follows the tag


def test_grammar_path_gives_a_valid_tag_too(llama: LlamaBackend) -> None:
    llama.tag_mode = "grammar"
    try:
        first = next(iter(llama.stream(ask("I'm worried my parcel is lost"), GenerationParams(8), threading.Event())))
    finally:
        llama.tag_mode = "auto"
    assert first in {f"[{e.value}]" for e in Emotion}


def test_tag_set_can_be_restricted(llama: LlamaBackend) -> None:
    params = GenerationParams(max_tokens=6, tags=("sad", "concerned"))
    first = next(iter(llama.stream(ask("I love this!"), params, threading.Event())))
    assert first in ("[sad]", "[concerned]")


def test_same_seed_same_reply(llama: LlamaBackend) -> None:
    short = [{"role": "user", "content": "Tell me about your day."}]  # a short prompt: three cold evaluations

    def reply(seed: int) -> str:
        llama.reset()
        params = GenerationParams(max_tokens=12, temperature=0.8, seed=seed)
        return "".join(llama.stream(short, params, threading.Event()))

    one = reply(7)
    assert reply(7) == one
    assert reply(8) != one


def test_without_forcing_the_text_streams_freely(llama: LlamaBackend) -> None:
    params = GenerationParams(max_tokens=12, force_tag=False)
    pieces = list(llama.stream(ask("tell me about your favourite city"), params, threading.Event()))
    assert 1 <= len(pieces) <= 12
    assert llama.finish_reason == "length"


def test_cancel_stops_generation_within_a_token(llama: LlamaBackend) -> None:
    cancel = threading.Event()
    seen = 0
    for _ in llama.stream(ask("tell me a very long story about the sea"), GenerationParams(max_tokens=200), cancel):
        seen += 1
        if seen == 3:
            cancel.set()
    assert seen == 3 and llama.finish_reason == "cancelled"


def test_long_history_is_trimmed_to_fit(llama: LlamaBackend) -> None:
    small = LlamaBackend("embedded", n_ctx=512)
    try:
        history = [{"role": "user", "content": "filler words " * 150}] * 4
        messages = [{"role": "system", "content": SYSTEM}, *history, {"role": "user", "content": "hi"}]
        pieces = list(small.stream(messages, GenerationParams(max_tokens=8), threading.Event()))
        assert pieces
        with pytest.raises(BackendError, match="does not fit"):
            huge = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "word " * 2000}]
            list(small.stream(huge, GenerationParams(max_tokens=8), threading.Event()))
    finally:
        small.close()


def test_factory() -> None:
    with pytest.raises(BackendError, match="URL"):
        make_backend("openai", "m")
    backend = make_backend("openai", "m", url="http://127.0.0.1:9/v1", server_grammar=True)
    assert backend.name == "openai"
    backend.close()
