"""Interrupts: Ctrl-C, ``kill`` and a closed terminal end a command cleanly, wherever it is.

A signal can arrive while Numba code runs, and an exception raised there
surfaces as a ``SystemError`` traceback; so by default a signal is handled
at once: every temporary file zhtext registered (:mod:`zhtext.atomic`) is
removed, ``zhtext COMMAND: interrupted`` is printed, and the process exits
with ``128 + signal`` (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
Outputs only ever appear by an atomic rename, so the target is either absent
(or the old file) or complete.

A command with work to save first (``pretrain`` writes its checkpoint) turns
on :func:`set_graceful` for that part: there the signal raises
``KeyboardInterrupt`` instead, and :func:`stopped_by` tells the exit status.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from zhtext.atomic import remove_temporaries

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_received: list[int] = []
_graceful = False


def message(command: str | None) -> str:
    return f"zhtext{' ' + command if command else ''}: interrupted"


def _announce(command: str | None) -> None:
    prefix = "\r\x1b[K" if sys.stderr.isatty() else ""   # over a progress bar, if one is drawn
    with contextlib.suppress(OSError):
        os.write(2, f"{prefix}{message(command)}\n".encode())


def install(command: str | None) -> None:
    """Handle SIGINT, SIGTERM and SIGHUP: exit at once leaving no temporary file, or, while
    :func:`set_graceful` is on, raise ``KeyboardInterrupt``.

    A signal the caller ignores (a background job's SIGINT, ``nohup``'s SIGHUP)
    stays ignored.
    """
    def stop(signum, frame):
        _received.append(signum)
        if _graceful:
            raise KeyboardInterrupt
        remove_temporaries()
        _announce(command)
        os._exit(128 + signum)

    set_graceful(False)
    for number in SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, stop)


def set_graceful(on: bool) -> None:
    """Turn graceful mode on (a signal raises ``KeyboardInterrupt``, so ``except`` and
    ``finally`` blocks run) or off (the default: exit at once)."""
    global _graceful
    _graceful = on


def stopped_by() -> int:
    """The signal behind the last ``KeyboardInterrupt`` (SIGINT when it came from Ctrl-C itself)."""
    return _received[-1] if _received else signal.SIGINT


def exit_status() -> int:
    """``128 + signal`` of the interrupt, after removing the temporaries left."""
    remove_temporaries()
    return 128 + stopped_by()
