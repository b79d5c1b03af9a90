"""Per-viewer token buckets, bounded so a flood of new names cannot grow memory."""

from __future__ import annotations

from collections import OrderedDict


class ViewerRateLimit:
    """Each viewer may send ``burst`` messages at once, then one every ``1/rate_per_s`` seconds.

    At most ``max_viewers`` buckets are kept (least recently seen forgotten first): a forgotten
    viewer starts again with a full bucket, which only ever errs towards letting a message in.
    """

    def __init__(self, burst: float = 3.0, rate_per_s: float = 0.25, max_viewers: int = 10_000) -> None:
        if burst < 1 or rate_per_s <= 0:
            raise ValueError("burst must be >= 1 and rate_per_s > 0")
        self.burst = burst
        self.rate = rate_per_s
        self.max_viewers = max_viewers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def allow(self, viewer: str, now: float) -> bool:
        """Take one token for ``viewer`` at time ``now``; False when the bucket is empty."""
        tokens, last = self._buckets.pop(viewer, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        ok = tokens >= 1.0
        if ok:
            tokens -= 1.0
        self._buckets[viewer] = (tokens, now)
        while len(self._buckets) > self.max_viewers:
            self._buckets.popitem(last=False)
        return ok
