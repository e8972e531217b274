"""Atomic output files: readers never see a half-written result.

Everything zhtext writes goes to a temporary file in the target's folder and is
renamed over the target only once complete (``os.replace`` is atomic on POSIX
and Windows), so a crash or Ctrl-C leaves either the old file or none.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = "\n") -> Iterator[IO]:
    """Open ``path`` for writing through a temporary sibling renamed on success.

    ``path == "-"`` writes to standard output directly (nothing to rename).
    On any exception, KeyboardInterrupt included, the temporary file is removed
    and the target is left untouched.
    """
    binary = "b" in mode
    if str(path) == "-":
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        if binary:
            handle = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_path(path: str | os.PathLike) -> contextlib.AbstractContextManager[Path]:
    """Yield a temporary path to write; it is renamed to ``path`` on success.

    For writers that insist on a file name (``numpy.savez``, torch): write to the
    yielded path, and the result appears at ``path`` only when the block ends
    without an exception.
    """

    @contextlib.contextmanager
    def manager() -> Iterator[Path]:
        target = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp",
                                   dir=target.parent if str(target.parent) else ".")
        os.close(fd)
        try:
            yield Path(tmp)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    return manager()
