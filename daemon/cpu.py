"""How the daemon shares a small machine's CPU: one BLAS thread, and background work at low priority.

OpenBLAS (numpy and scipy each load a copy) keeps a worker per core that spins on ``sched_yield``
between calls.  The Stage does small matrix maths every frame, so a spinning worker never got to
sleep and held a whole core, taking it from the brain and the voice.  Matrices this small gain
nothing from a second thread, so the daemon limits every BLAS library it has loaded to one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading


def one_blas_thread() -> int:
    """Limit every loaded BLAS library to one thread; returns how many libraries were limited."""
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    return sum(1 for lib in threadpool_info() if lib["user_api"] == "blas")


def yield_cpu(nice: int = 10) -> None:
    """Lower the calling thread's CPU priority (Linux threads each have their own nice value);
    a no-op elsewhere, where the call would apply to the whole process."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
