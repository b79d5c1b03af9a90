"""Brain benchmark: emotion-reader accuracy on the held-out labelled set, and per LLM backend how
long the first spoken piece (the first clause) and the first whole sentence take after a question,
and how fast tokens stream.

Backends: the embedded SmolLM2-135M GGUF in-process (llama_cpp), and the same GGUF behind a real
OpenAI-compatible server (llama-cpp-python's) on loopback (openai). Prints one JSON object.

    .venv/bin/python bench/brain.py [--quick] [--model PATH.gguf]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.cpu import one_blas_thread  # noqa: E402
from pipeline.brain.embedder import Embedder  # noqa: E402
from pipeline.brain.emotion_reader import EmotionReader  # noqa: E402
from pipeline.brain.evaluate import evaluate_reader, load_labelled  # noqa: E402
from pipeline.brain.knowledge import KnowledgeIndex, load_knowledge  # noqa: E402
from pipeline.brain.llm import GenerationParams, LLMBackend, Messages  # noqa: E402
from pipeline.brain.policy import EmotionPolicy  # noqa: E402
from pipeline.brain.responder import BrainSettings, Responder  # noqa: E402
from pipeline.brain.sentences import continues_sentence  # noqa: E402
from pipeline.turn import Turn, TurnKind  # noqa: E402
from tests.net import free_port  # noqa: E402

QUESTIONS = [
    "what's your favourite thing about streaming?",
    "do you have any pets at home?",
    "what should I wear to a summer wedding?",
    "how was your weekend?",
    "can you recommend a gift for my mum?",
    "what music are you listening to lately?",
    "is it cold where you are today?",
    "what made you start this shop?",
]


class Timed:
    """Wraps a backend and notes when each piece arrives (to count tokens per second)."""

    def __init__(self, inner: LLMBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.runs: list[list[float]] = []

    def stream(self, messages: Messages, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        stamps: list[float] = []
        self.runs.append(stamps)
        for piece in self.inner.stream(messages, params, cancel):
            stamps.append(time.perf_counter())
            yield piece

    def close(self) -> None:
        self.inner.close()

    def warm_up(self, messages: Messages) -> None:
        warm = getattr(self.inner, "warm_up", None)
        if warm is not None:
            warm(messages)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_backend(backend: LLMBackend, reader: EmotionReader, shop: KnowledgeIndex, n: int) -> dict:
    timed = Timed(backend)
    responder = Responder(timed, reader, EmotionPolicy(), BrainSettings(max_sentences=3, max_tokens=80),
                          knowledge=shop)
    responder.warm_up()
    first, first_whole, whole, sentences = [], [], [], []
    for i, question in enumerate(QUESTIONS[:n]):
        start = time.perf_counter()
        got, done = 0, None
        for sentence in responder.respond_sync(Turn(f"viewer{i}", "bench", question, TurnKind.CHAT)):
            if got == 0:
                first.append((time.perf_counter() - start) * 1000)
            if done is None and not continues_sentence(sentence.text):
                done = (time.perf_counter() - start) * 1000
            got += not sentence.continues
        whole.append((time.perf_counter() - start) * 1000)
        first_whole.append(done if done is not None else whole[-1])
        sentences.append(got)
    rates = [(len(s) - 1) / (s[-1] - s[0]) for s in timed.runs if len(s) > 2 and s[-1] > s[0]]
    return {
        "first_piece_ms": round(statistics.median(first), 1),
        "first_piece_ms_p90": round(pct(first, 0.9), 1),
        "first_sentence_ms": round(statistics.median(first_whole), 1),
        "first_sentence_ms_p90": round(pct(first_whole, 0.9), 1),
        "reply_ms": round(statistics.median(whole), 1),
        "tokens_per_s": round(statistics.median(rates), 1) if rates else None,
        "sentences_per_reply": round(statistics.mean(sentences), 2),
        "questions": n,
    }


def run_server(model: str, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", str(threads), "--n_threads_batch", str(threads),
             "--verbose", "False"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/v1/models", timeout=2).is_success:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"llama server did not start: {log.read_text(errors='replace')[-1000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer questions (finishes in well under 30 s)")
    parser.add_argument("--model", default="embedded", help="GGUF path or `embedded`")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    one_blas_thread()  # as the daemon runs
    n = 2 if args.quick else len(QUESTIONS)
    began = time.perf_counter()
    out: dict[str, object] = {"cores": os.cpu_count(), "quick": args.quick, "model": args.model}

    t0 = time.perf_counter()
    embedder = Embedder()
    reader = EmotionReader(embedder)
    out["emotion_reader_load_s"] = round(time.perf_counter() - t0, 2)
    rows = load_labelled(ROOT / "tests" / "data" / "emotion_labelled.tsv")
    t0 = time.perf_counter()
    result = evaluate_reader(reader, rows)
    out["emotion_accuracy"] = round(result.accuracy, 4)
    out["emotion_macro_f1"] = round(result.macro_f1, 4)
    out["emotion_per_label_f1"] = {k.value: round(v, 3) for k, v in result.per_label_f1.items()}
    out["emotion_labelled_lines"] = result.n
    out["emotion_batch_ms_per_line"] = round((time.perf_counter() - t0) * 1000 / result.n, 2)
    singles = [text for text, _ in rows[:: max(1, len(rows) // (10 if args.quick else 40))]]
    t0 = time.perf_counter()
    for text in singles:
        reader.read(text + " ")  # a fresh string: no memoised embedding
    out["emotion_ms_per_line"] = round((time.perf_counter() - t0) * 1000 / len(singles), 2)

    shop = KnowledgeIndex(load_knowledge(ROOT / "profiles" / "knowledge" / "shop_en.toml"), embedder)
    from pipeline.brain.llama_backend import LlamaBackend, resolve_model

    model_path = str(resolve_model(args.model))
    backend = LlamaBackend(model_path, threads=args.threads)
    faq = Responder(backend, reader, EmotionPolicy(), knowledge=shop)
    t0 = time.perf_counter()
    list(faq.respond_sync(Turn("v", "bench", "do you ship overseas?", TurnKind.QUESTION)))
    out["faq_answer_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    backends: dict[str, object] = {"llama_cpp": measure_backend(backend, reader, shop, n)}
    backend.close()

    from pipeline.brain.openai_backend import OpenAIBackend

    with tempfile.TemporaryDirectory() as tmp:
        proc, base = run_server(model_path, args.threads, Path(tmp) / "server.log")
        try:
            remote = OpenAIBackend(base, "bench")
            backends["openai"] = measure_backend(remote, reader, shop, n) | {"server": "llama_cpp.server, loopback"}
            remote.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    out["backends"] = backends
    out["first_piece_target_ms"] = 400
    out["total_s"] = round(time.perf_counter() - began, 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
