"""A small progress bar on stderr (no dependency), silent when stderr is not a terminal.

Library functions report progress through callbacks ``progress(done, total)``;
:class:`ProgressBar` is such a callback. It redraws at most ten times a second,
shows a rate and an estimate of the time left, and disappears on ``close``.
"""

from __future__ import annotations

import sys
import time


def _human(n: float, unit: str) -> str:
    if unit == "B":
        for prefix in ("", "k", "M", "G", "T"):
            if abs(n) < 1000 or prefix == "T":
                return f"{n:.1f} {prefix}B" if prefix else f"{int(n)} B"
            n /= 1000
    return f"{n:,.0f}{(' ' + unit) if unit else ''}"


class ProgressBar:
    """``ProgressBar(label, unit="B", enabled=None)``; call it with ``(done, total)``."""

    def __init__(self, label: str, unit: str = "B", enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label, self.unit = label, unit
        self.start = self._last = time.monotonic()
        self._drawn = False

    def __call__(self, done: float, total: float = 0) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (not total or done < total):
            return
        self._last = now
        elapsed = max(now - self.start, 1e-9)
        rate = f"{_human(done / elapsed, self.unit)}/s"
        if total:
            frac = min(done / total, 1.0)
            bar = "#" * int(frac * 24)
            left = (elapsed / frac - elapsed) if frac > 0 else 0
            text = (f"{self.label} [{bar:<24}] {frac:6.1%} {_human(done, self.unit)} "
                    f"{rate} {left:4.0f}s left")
        else:
            text = f"{self.label} {_human(done, self.unit)} {rate} {elapsed:4.0f}s"
        self._draw(text)

    def _draw(self, text: str) -> None:
        self.stream.write("\r" + text[:110].ljust(110))
        self.stream.flush()
        self._drawn = True

    def stage(self, label: str) -> "ProgressBar":
        """Start a new stage: the clock restarts and the label shows until amounts arrive."""
        self.label, self.start = label, time.monotonic()
        if self.enabled:
            self._draw(f"{label} ...")
        return self

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 110 + "\r")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
