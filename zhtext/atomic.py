"""Output files: checked before the work, written atomically, no debris left.

The rules, in one place for all of zhtext:

* ``"-"`` is standard output, written directly.
* A target that exists and is not a regular file (a device such as
  ``/dev/null``, a FIFO, ``/dev/stdout``) is written directly: renaming a file
  over it would replace the device by a file.
* Any other target (symbolic links followed) is written to a temporary sibling
  ``.NAME.XXXXXXXX.tmp`` and renamed over it once complete (``os.replace`` is
  atomic on POSIX and Windows), so a reader sees the old file or the whole new
  one, never half of it. The file gets the mode of any file the user creates,
  ``0o666 & ~umask``.
* Every temporary file or folder is registered until it is renamed or removed;
  :func:`remove_temporaries` deletes those left, so a signal handler that ends
  the process at once (``zhtext_cli.main``) leaves nothing behind.
* :func:`check_output` refuses, before any work, a target whose folder is
  missing or read-only, a folder, or a target that is one of the inputs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator

from .errors import InputError

_temporaries: set[str] = set()


def creation_mode(folder: bool = False) -> int:
    """The mode a new file (``0o666``) or folder (``0o777``) gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def is_special(path: str | os.PathLike) -> bool:
    """``path`` is standard output or an existing non-regular file (device, FIFO): written in place."""
    if str(path) == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def check_output(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
                 folder: bool = False) -> None:
    """Raise :class:`InputError` unless ``path`` can be written without harm.

    The target's folder must exist and be writable, the target must not be a
    folder (unless ``folder``: then it is one, to be created or reused), and it
    must not be one of ``inputs`` (same resolved path or same file on disk).
    Standard output and devices are always fine.
    """
    name = str(path)
    if is_special(path):
        if name != "-" and not os.access(path, os.W_OK):
            raise InputError(f"{name}: not writable")
        return
    target = Path(os.path.realpath(path))
    if target.is_dir() and not folder:
        raise InputError(f"{name}: is a folder; name an output file")
    if not target.parent.is_dir():
        raise InputError(f"{name}: no such folder {target.parent}; create it first")
    if not os.access(target.parent, os.W_OK):
        raise InputError(f"{name}: the folder {target.parent} is not writable")
    for source in inputs:
        if source is None or str(source) == "-":
            continue
        if os.path.realpath(source) == str(target) or _same_file(source, target):
            raise InputError(f"{name}: is also an input; write the output to another file")


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def temporary_file(folder: str | os.PathLike | None, prefix: str, suffix: str = ".tmp") -> tuple[int, str]:
    """``(fd, path)`` of a new registered temporary file in ``folder`` (the system's if None)."""
    return _create(folder, prefix, suffix,
                   lambda name: os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


def temporary_folder(folder: str | os.PathLike | None, prefix: str) -> Path:
    """A new registered temporary folder in ``folder`` (the system's if None); :func:`release`
    it once renamed, or :func:`discard` it."""
    _, name = _create(folder, prefix, "", lambda name: os.mkdir(name, 0o700))
    return Path(name)


def _create(folder, prefix: str, suffix: str, make):
    """Register a fresh name, then create it: a signal at any moment finds it registered.

    (Registering after creating would leave a window, since a signal that
    another thread receives is handled in the main thread between any two
    bytecodes.)
    """
    folder = tempfile.gettempdir() if folder is None else os.fspath(folder)
    while True:
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{suffix}")
        _temporaries.add(name)
        try:
            made = make(name)
        except FileExistsError:
            _temporaries.discard(name)
            continue
        except BaseException:
            _temporaries.discard(name)
            raise
        return made, name


def release(path: str | os.PathLike) -> None:
    """Forget a temporary that was renamed into place (or removed)."""
    _temporaries.discard(str(path))


def discard(path: str | os.PathLike) -> None:
    """Remove a temporary file or folder and forget it."""
    name = str(path)
    if os.path.isdir(name) and not os.path.islink(name):
        shutil.rmtree(name, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    _temporaries.discard(name)


def remove_temporaries() -> None:
    """Remove every temporary still registered (for exit paths that skip ``finally`` blocks)."""
    for name in list(_temporaries):
        discard(name)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = "\n") -> Iterator[IO]:
    """Open ``path`` for writing by the rules of this module; the file appears when the block ends.

    On any exception, KeyboardInterrupt included, the temporary file is removed
    and the target is left untouched.
    """
    binary = "b" in mode
    text_options = {} if binary else {"encoding": encoding, "newline": newline}
    if str(path) == "-":
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    if is_special(path):
        with open(path, mode, **text_options) as handle:
            yield handle
        return
    with atomic_path(path) as tmp, open(tmp, mode, **text_options) as handle:
        yield handle


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; its content reaches ``path`` when the block ends.

    For writers that insist on a file name (``numpy.savez``, torch, matplotlib).
    A regular target is replaced by a rename; a device or FIFO gets the bytes
    copied into it; ``"-"`` sends them to standard output.
    """
    special = is_special(path)
    target = Path(os.path.realpath(path)) if not special else None
    folder = target.parent if target is not None else None
    name = target.name if target is not None else "zhtext-output"
    fd, tmp = temporary_file(folder, prefix=f".{name}.", suffix=".tmp")
    try:
        os.fchmod(fd, creation_mode())
        os.close(fd)
        yield Path(tmp)
        if target is not None:
            os.replace(tmp, target)
            release(tmp)
        else:
            _copy_into(tmp, path)
    finally:
        if tmp in _temporaries:
            discard(tmp)


def _copy_into(source: str, path: str | os.PathLike) -> None:
    """Copy a finished temporary file into standard output or a device."""
    with open(source, "rb") as data:
        if str(path) == "-":
            sys.stdout.flush()
            shutil.copyfileobj(data, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with open(path, "wb") as out:
                shutil.copyfileobj(data, out)
