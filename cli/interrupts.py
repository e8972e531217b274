"""Interrupts: Ctrl-C, ``kill`` and a closed terminal end a command cleanly, wherever it is.

A signal can arrive while Numba code runs, and an exception raised there
surfaces as a ``SystemError`` traceback; so by default a signal is handled
at once: every temporary file zhtext registered (:mod:`zhtext.atomic`) is
removed, ``zhtext COMMAND: interrupted`` is printed, and the process exits
with ``128 + signal`` (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
Outputs only ever appear by an atomic rename, so the target is either absent
(or the old file) or complete.

A command with work to save first (``pretrain`` writes its checkpoint) runs
that part inside :func:`graceful`: there the signal raises
``KeyboardInterrupt`` instead, and :func:`stopped_by` tells the exit status.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Iterator

from zhtext.atomic import remove_temporaries

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_received: list[int] = []


def message(command: str | None) -> str:
    return f"zhtext{' ' + command if command else ''}: interrupted"


def _announce(command: str | None) -> None:
    prefix = "\r\x1b[K" if sys.stderr.isatty() else ""   # over a progress bar, if one is drawn
    with contextlib.suppress(OSError):
        os.write(2, f"{prefix}{message(command)}\n".encode())


def install(command: str | None) -> None:
    """Handle SIGINT, SIGTERM and SIGHUP by exiting at once, leaving no temporary file.

    A signal the caller ignores (a background job's SIGINT, ``nohup``'s SIGHUP)
    stays ignored.
    """
    def stop(signum, frame):
        remove_temporaries()
        _announce(command)
        os._exit(128 + signum)

    for number in SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, stop)


@contextlib.contextmanager
def graceful() -> Iterator[None]:
    """Inside the block, a signal raises ``KeyboardInterrupt`` so that ``except`` and ``finally`` run."""
    def interrupt(signum, frame):
        _received.append(signum)
        raise KeyboardInterrupt

    previous = {n: signal.getsignal(n) for n in SIGNALS}
    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def stopped_by() -> int:
    """The signal behind the last ``KeyboardInterrupt`` (SIGINT when it came from Ctrl-C itself)."""
    return _received[-1] if _received else signal.SIGINT


def exit_status() -> int:
    """``128 + signal`` of the interrupt, after removing the temporaries left."""
    remove_temporaries()
    return 128 + stopped_by()
