"""torch and transformers, imported on demand, and the device they run on.

The masked-LM parts of zhtext (:mod:`zhtext.probe`, :mod:`zhtext.pretrain`)
need the optional extra ``zhtext[bert]``; everything else never imports it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import InputError, ModelError

INSTALL = "pip install 'zhtext[bert]'"
ALLOW_DOWNLOAD = "ZHTEXT_ALLOW_DOWNLOAD"
DEVICES = re.compile(r"auto|cpu|cuda(:\d+)?")
"""The device names accepted: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda``, ``cuda:N``."""


def import_torch():
    """``(torch, transformers)`` with transformers' own logging and progress bars silenced (the
    library never prints), or a one-line :class:`ModelError` saying how to install them."""
    try:
        import torch
        import transformers
    except ImportError as err:
        raise ModelError(f"{err.name} is missing (the masked-LM features need torch and "
                         f"transformers): {INSTALL}") from None
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return torch, transformers


def check_device(device: str) -> str:
    """``device`` if it is one of :data:`DEVICES`, else a one-line :class:`InputError`."""
    if not isinstance(device, str) or not DEVICES.fullmatch(device):
        raise InputError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N")
    return device


def pick_device(torch, device: str):
    """The ``torch.device`` for a name of :data:`DEVICES`; asking for CUDA where torch sees
    none is a one-line :class:`InputError`."""
    check_device(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {device!r} asked for, but torch sees no CUDA device; use --device cpu")
    return torch.device(device)


def resolve_model(model: str | os.PathLike | None) -> str:
    """A local model folder: ``None`` is the default model (``$ZHTEXT_MODEL`` or the shipped one).

    A name that is no folder (a Hugging Face hub name) is refused at once,
    without touching the network, unless ``$ZHTEXT_ALLOW_DOWNLOAD=1``.
    """
    if model is None:
        from .pretrain import default_model_path
        return str(default_model_path())
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path)
    looks_like_path = path.exists() or os.sep in str(model) or str(model).startswith(".")
    if not looks_like_path and downloads_allowed():
        return str(model)
    raise ModelError(f"{model}: no such model folder; pass a local Hugging Face masked-LM folder, "
                     f"train one with 'zhtext pretrain CORPUS -o DIR'"
                     + ("" if looks_like_path else f", or set {ALLOW_DOWNLOAD}=1 to fetch a hub model"))


def downloads_allowed() -> bool:
    """Whether the user allowed fetching hub models (``$ZHTEXT_ALLOW_DOWNLOAD=1``)."""
    return os.environ.get(ALLOW_DOWNLOAD, "") == "1"



def load_pretrained(name: str | os.PathLike):
    """``(tokenizer, masked LM)`` of a Hugging Face folder (or, with ``$ZHTEXT_ALLOW_DOWNLOAD=1``,
    a hub name: :func:`resolve_model` decides), or a one-line :class:`ModelError`.

    A folder written by ``zhtext pretrain`` has its weights checked against the
    SHA-256 digests of its ``training_report.json`` first
    (:func:`zhtext.pretrain.verify_weights`).
    """
    _, transformers = import_torch()
    if Path(name).is_dir():
        from .pretrain import verify_weights
        verify_weights(name)
    try:
        offline = not downloads_allowed()
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, local_files_only=offline)
        lm = transformers.AutoModelForMaskedLM.from_pretrained(name, local_files_only=offline)
    except Exception as err:  # hub, network, config and weight errors alike
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"cannot load a masked language model from {str(name)!r} ({reason[:160]}); "
                         f"pass a local model folder (--model DIR) or train one with "
                         f"'zhtext pretrain'") from None
    return tokenizer, lm
