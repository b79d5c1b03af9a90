"""The daemon's CPU habits: one BLAS thread, low priority for background threads."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from daemon.cpu import one_blas_thread, yield_cpu


def test_every_loaded_blas_library_gets_one_thread() -> None:
    import scipy.linalg  # noqa: F401  (scipy brings its own OpenBLAS)

    with threadpool_limits(limits=2, user_api="blas"):  # as a 2-core machine starts out
        assert one_blas_thread() >= 1
        blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
        assert blas, "numpy loads a BLAS library"
        assert all(lib["num_threads"] == 1 for lib in blas), blas
        a = np.arange(64.0).reshape(8, 8)
        assert np.allclose(a @ np.eye(8), a), "BLAS still computes"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are a Linux feature")
def test_yield_cpu_lowers_only_the_calling_thread() -> None:
    seen: dict[str, int] = {}

    def worker() -> None:
        yield_cpu(7)
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, 0)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["worker"] == max(before, 7)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before, "the process kept its priority"
