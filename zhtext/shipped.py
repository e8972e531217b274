"""Where the models shipped with zhtext are.

They are the package data ``zhtext.models``: the ``models/`` folder of the
source tree, installed inside the package by a wheel (``pyproject.toml`` maps
the folder). Without an installation (the source tree on ``sys.path``), the
folder beside the package is used.
"""

from __future__ import annotations

from pathlib import Path


def shipped_path(name: str) -> Path:
    """The path of the shipped model ``name`` (a file or folder; it may be absent)."""
    try:
        from . import models
    except ImportError:
        return Path(__file__).resolve().parent.parent / "models" / name
    return Path(models.__file__).resolve().parent / name
