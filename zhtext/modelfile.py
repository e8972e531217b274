"""Model files: named NumPy arrays and a JSON header in one ``.npz``, never a pickle.

Every saved object of zhtext that is not a Hugging Face folder (segmenter
models, n-gram statistics) is written and read here, so all of them share one
layout and one set of checks:

* ``header``: UTF-8 JSON bytes (``uint8``), at least ``{"format": ..., "version": ...}``;
* one array per name, read with ``allow_pickle=False``.

The file is written atomically (:func:`zhtext.atomic.atomic_open`); reading a
missing, damaged, foreign or other-version file raises a one-line
:class:`~zhtext.errors.ModelError` that names the file.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from typing import Sequence

import numpy as np

from .atomic import atomic_open
from .errors import ModelError

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def write(path: str | os.PathLike, format: str, version: int, header: dict, arrays: dict[str, np.ndarray],
          compress: bool = True) -> None:
    """Write ``arrays`` and ``{"format": format, "version": version, **header}`` to ``path``.

    The same content always gives the same bytes (the zip entries carry a fixed
    date, not the time of writing), so a model's SHA-256 identifies what it holds.
    """
    data = json.dumps({"format": format, "version": version, **header}).encode("utf-8")
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_open(path, "wb", encoding=None, newline=None) as handle, \
            zipfile.ZipFile(handle, "w", compression=method) as archive:
        for name, array in {"header": np.frombuffer(data, np.uint8), **arrays}.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_DATE)
            entry.compress_type = method
            with archive.open(entry, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(array), allow_pickle=False)


def read(path: str | os.PathLike, format: str, version: int, names: Sequence[str],
         what: str) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` of a file written by :func:`write` with this ``format`` and ``version``.

    ``what`` names the kind of file in the messages ("segmenter model", "n-gram statistics").
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != format:
                raise ModelError(f"{path}: not a zhtext {what} file")
            if header.get("version") != version:
                raise ModelError(f"{path}: {what} version {header.get('version')} is not supported "
                                 f"(this zhtext reads version {version}; make it again with this zhtext)")
            arrays = {name: data[name] for name in names}
    except FileNotFoundError:
        raise ModelError(f"{path}: no such {what} file") from None
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile,
            zlib.error) as err:
        raise ModelError(f"{path}: not a readable zhtext {what} file ({type(err).__name__})") from None
    return header, arrays
