"""The embedded model's Q8_0 copy: made once, atomically, and the same model as the packaged one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pipeline.brain.gguf_q8 import q8_copy
from pipeline.brain.llama_backend import embedded_gguf

PROMPTS = (
    "<|im_start|>user\\nWhat colours does the jacket come in?<|im_end|>\\n<|im_start|>assistant\\n",
    "<|im_start|>user\\nmy order arrived broken<|im_end|>\\n<|im_start|>assistant\\n[",
    "The best thing about rainy days is",
)


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return q8_copy(embedded_gguf(), tmp_path_factory.mktemp("llm"))


def test_the_copy_is_written_once_and_whole(copy: Path) -> None:
    assert copy != embedded_gguf() and copy.name.endswith(".Q8_0.gguf")
    assert [p.name for p in copy.parent.iterdir()] == [copy.name], "no partial file is left behind"
    stamp = copy.stat().st_mtime_ns
    assert q8_copy(embedded_gguf(), copy.parent) == copy
    assert copy.stat().st_mtime_ns == stamp, "an existing copy is reused, not rewritten"


def test_a_copy_of_an_earlier_release_is_replaced(copy: Path, tmp_path: Path) -> None:
    stale = tmp_path / f"{embedded_gguf().stem}.1-2.Q8_0.gguf"
    stale.write_bytes(b"an earlier release")
    other = tmp_path / "SomeOtherModel.1-2.Q8_0.gguf"
    other.write_bytes(b"not ours")
    fresh = q8_copy(embedded_gguf(), tmp_path)
    assert fresh.name == copy.name and not stale.exists() and other.exists()


def test_an_unwritable_cache_falls_back_to_the_packaged_model(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert q8_copy(embedded_gguf(), blocker / "llm") == embedded_gguf()


def _next_token_logits(path: Path) -> list[np.ndarray]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=256, n_threads=1, verbose=False, logits_all=True)
    try:
        out = []
        for prompt in PROMPTS:
            llm.reset()
            llm.eval(llm.tokenize(prompt.encode(), add_bos=False, special=True))
            out.append(np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64))
        return out
    finally:
        llm.close()


def test_the_copy_predicts_like_the_packaged_model(copy: Path) -> None:
    packaged, q8 = _next_token_logits(embedded_gguf()), _next_token_logits(copy)
    for a, b, prompt in zip(packaged, q8, PROMPTS, strict=True):
        top_a, top_b = np.argsort(a)[-5:], np.argsort(b)[-5:]
        assert top_a[-1] == top_b[-1], prompt
        assert len(set(top_a) & set(top_b)) >= 4, prompt
        assert np.corrcoef(a, b)[0, 1] > 0.997, prompt
    assert os.path.getsize(copy) > os.path.getsize(embedded_gguf()), "eight bits per weight take more room"
