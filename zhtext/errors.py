"""Exceptions zhtext raises for bad input.

Every error a user can cause (a missing file, undecodable bytes, a corrupt
model) is a :class:`ZhtextError` whose message is one complete line, so the
command-line layer can print it as is, without a traceback.
"""


class ZhtextError(Exception):
    """Base class: a user-facing error with a one-line message."""


class InputError(ZhtextError, ValueError):
    """An input file is missing, unreadable, binary or wrongly encoded."""


class ModelError(ZhtextError):
    """A saved model or statistics file is missing, corrupt or incompatible."""


class ClusterError(ZhtextError):
    """A Dask scheduler cannot be reached, or the cluster lost the work (:mod:`zhtext.distributed`)."""


def renamed(options: dict, old: str, new: str, value):
    """``value``, or the value of a deprecated keyword ``old`` popped from ``options``
    (with a :class:`FutureWarning` naming ``new``); any other keyword left is an error."""
    if old in options:
        import warnings

        warnings.warn(f"{old}= is deprecated, use {new}=", FutureWarning, stacklevel=3)
        value = options.pop(old)
    return value
