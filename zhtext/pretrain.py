"""Pretraining a compact character-level masked language model from raw text.

No pretrained Chinese model can be downloaded everywhere zhtext runs, so
:func:`pretrain` trains one from scratch: a small BERT encoder whose
vocabulary is the most frequent characters of the corpus. By default it is a
``RoFormerForMaskedLM`` (BERT with rotary position embeddings: the attention
score of two tokens depends on their distance by construction), because a
plain ``BertForMaskedLM`` with learned absolute positions sat on the "always
predict the frequent characters" plateau for thousands of CPU steps, while the
rotary model left it within a few hundred (docs/pretrain.md);
``architecture="bert"`` builds the plain one. The result is a
plain Hugging Face directory (``config.json``, ``model.safetensors``,
``vocab.txt``, ``tokenizer_config.json``) that ``AutoTokenizer`` and
``AutoModelForMaskedLM`` load offline, plus ``training_report.json``.

Tokenization is BERT's, configured to be character-level: text is lower-cased,
every CJK character and punctuation mark is a token of its own, and inside a
run of Latin letters or digits each character after the first is a ``##``
continuation token (``iPhone`` -> ``i ##p ##h ##o ##n ##e``), so every
non-space character is one token. Whitespace is dropped. A character outside
the vocabulary is ``[UNK]``; BERT turns a whole Latin/digit word that holds one
into a single ``[UNK]``.

Training packs the lines one after the other, ``[SEP]`` after each, into rows
of ``[CLS]`` + ``seq_len - 1`` tokens, masks 15 % of the characters (80 %
``[MASK]``, 10 % a random character, 10 % unchanged) and minimizes the
cross-entropy at the masked positions with AdamW, a linear warm-up and a linear
decay to zero when the step or time budget runs out. A checkpoint
(``checkpoint.pt``: weights, optimizer, random states, step, data position) is
written every ``checkpoint_every`` steps and on Ctrl-C, so training resumes
exactly where it stopped. One row in a hundred (at most ``max_heldout``) is
held out and scored at the end: the held-out masked-character accuracy.

torch and transformers are the optional extra ``zhtext[bert]``, imported only
when a function here needs them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import shutil
import time
import unicodedata
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import __version__
from .atomic import atomic_open, atomic_path, creation_mode, discard, release, temporary_folder
from .backend import check_device, import_torch, load_pretrained, pick_device, resolve_model
from .corpus import Corpus, as_corpus, text_batches
from .errors import InputError, ModelError
from .shipped import shipped_path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD, UNK, CLS, SEP, MASK = range(len(SPECIAL_TOKENS))
DEFAULT_MODEL_NAME = "zhtext-char-bert-small"
MODEL_ENV = "ZHTEXT_MODEL"
CHECKPOINT = "checkpoint.pt"
REPORT = "training_report.json"
IGNORE = -100  # label of the positions that are not scored
# The two encoders pretrain can build: BERT itself (learned absolute positions) and
# RoFormer, BERT with rotary position embeddings (Su et al. 2021), which learns
# to attend to neighbours from the first steps (see docs/pretrain.md).
ARCHITECTURES = ("roformer", "bert")

_UNICODE = 0x110000
_BATCH_CHARS = 1 << 20
# Options that may change when a run is resumed; the others come from the checkpoint.
_RUN_OPTIONS = ("max_steps", "time_budget", "checkpoint_every", "log_every", "device", "threads")

TrainingProgressFn = Callable[..., None]
"""``progress(done, total, stage=..., **info)``: :data:`zhtext.corpus.ProgressFn` with a
stage and figures. ``stage`` is ``"count"`` and ``"encode"`` (bytes read), ``"train"``
(steps, with ``loss``, ``accuracy``, ``lr``, ``tokens_per_second``, ``elapsed``) and
``"evaluate"`` (rows scored)."""


@dataclass
class PretrainConfig:
    """Model size, vocabulary and training schedule of :func:`pretrain`.

    ``time_budget`` is in minutes of training (summed over resumed runs);
    training stops at ``max_steps`` or when the time budget is spent, whichever
    comes first, and the learning rate reaches zero there.
    """

    architecture: str = "roformer"
    layers: int = 4
    hidden: int = 256
    heads: int = 4
    intermediate: int = 1024
    seq_len: int = 128
    max_vocab: int = 8000
    min_count: int = 2
    batch_size: int = 32
    learning_rate: float = 5e-4
    warmup_steps: int = 200
    weight_decay: float = 0.01
    max_steps: int = 10_000
    time_budget: float | None = None
    mask_prob: float = 0.15
    dropout: float = 0.1
    clip_norm: float = 1.0
    heldout_fraction: float = 0.01
    max_heldout: int = 500
    checkpoint_every: int = 500
    log_every: int = 50
    seed: int = 0
    device: str = "auto"
    threads: int | None = None

    def check(self) -> None:
        """Raise :class:`InputError` for a setting that cannot work."""
        positive = ("layers", "hidden", "heads", "intermediate", "max_vocab", "min_count",
                    "batch_size", "max_steps", "checkpoint_every", "log_every", "max_heldout")
        for name in positive:
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.seq_len < 4:
            raise InputError(f"seq_len must be at least 4, not {self.seq_len}")
        if self.hidden % self.heads:
            raise InputError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")
        if not 0 < self.mask_prob < 1 or not 0 < self.heldout_fraction < 1:
            raise InputError("mask_prob and heldout_fraction must lie strictly between 0 and 1")
        if self.time_budget is not None and self.time_budget <= 0:
            raise InputError(f"time_budget must be positive, not {self.time_budget}")
        if self.architecture not in ARCHITECTURES:
            raise InputError(f"architecture must be one of {', '.join(ARCHITECTURES)}, "
                             f"not {self.architecture!r}")
        check_device(self.device)


def default_model_path() -> Path:
    """The model zhtext uses when none is named: ``$ZHTEXT_MODEL``, else the shipped one.

    The shipped model is ``zhtext-char-bert-small`` of the package data
    ``zhtext.models`` (:func:`zhtext.shipped.shipped_path`). Raises
    :class:`ModelError` when neither exists.
    """
    named = os.environ.get(MODEL_ENV)
    path = Path(named) if named else shipped_path(DEFAULT_MODEL_NAME)
    if not (path / "config.json").is_file():
        raise ModelError(f"no model at {path}: train one with 'zhtext pretrain' and pass its "
                         f"folder, or set {MODEL_ENV}")
    return path


# -- vocabulary and tokenizer -------------------------------------------------
def _joins_words(char: str) -> bool:
    """Whether BERT's basic tokenizer keeps ``char`` glued to its neighbours.

    CJK ideographs and punctuation are split off, whitespace and control
    characters separate or vanish; everything else (letters, digits, symbols)
    forms words, whose inner characters are ``##`` tokens.
    """
    code = ord(char)
    cjk = (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
           or 0x2A700 <= code <= 0x2B81F or 0x2B820 <= code <= 0x2CEAF
           or 0xF900 <= code <= 0xFAFF or 0x2F800 <= code <= 0x2FA1F)
    category = unicodedata.category(char)
    ascii_punct = 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126
    return not (cjk or ascii_punct or category[0] in "PZC" or char.isspace())


def _is_token(char: str) -> bool:
    """Whether BERT keeps ``char`` at all (it drops whitespace, controls and U+FFFD)."""
    return not (char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs")
                or char in ("\x00", "\ufffd"))


class _CharClasses:
    """``joins(codepoints)``: the :func:`_joins_words` mask, cached per code point."""

    def __init__(self):
        self._known = np.zeros(_UNICODE, bool)
        self._joins = np.zeros(_UNICODE, bool)

    def joins(self, codes: np.ndarray) -> np.ndarray:
        new = np.unique(codes[~self._known[codes]])
        for code in new.tolist():
            self._joins[code] = _joins_words(chr(code))
        self._known[new] = True
        return self._joins[codes]


def _line_batches(corpus: Corpus, progress: TrainingProgressFn | None, stage: str) -> Iterator[list[str]]:
    """The corpus's non-empty lines in lists of about a million characters."""
    report = None if progress is None else (lambda done, total: progress(done, total, stage=stage))
    return text_batches(corpus.pieces(report), _BATCH_CHARS)


def build_vocabulary(corpus, max_vocab: int = 8000, min_count: int = 2,
                     progress: TrainingProgressFn | None = None) -> list[str]:
    """The tokens of a character-level vocabulary for ``corpus``, most frequent first.

    The five special tokens come first, then the ``max_vocab`` most frequent
    tokens seen at least ``min_count`` times, counted the way the tokenizer
    will cut the lower-cased text: a character, or ``##`` + a character inside
    a Latin/digit word. Raises :class:`InputError` when the corpus has no text.
    """
    counts = np.zeros(_UNICODE, np.int64)
    inner = np.zeros(_UNICODE, np.int64)
    classes = _CharClasses()
    for lines in _line_batches(as_corpus(corpus), progress, "count"):
        codes = np.frombuffer("\n".join(lines).lower().encode("utf-32-le"), np.uint32)
        counts += np.bincount(codes, minlength=_UNICODE)
        joined = classes.joins(codes)
        inner += np.bincount(codes[1:][joined[1:] & joined[:-1]], minlength=_UNICODE)
    codes = [code for code in np.flatnonzero(counts).tolist() if _is_token(chr(code))]
    if not codes:
        raise InputError("the corpus has no text")
    ranked = [(-int(n), token) for code in codes
              for n, token in ((counts[code] - inner[code], chr(code)), (inner[code], "##" + chr(code)))
              if n >= min_count]
    if not ranked:
        raise InputError(f"no character of the corpus occurs at least {min_count} times")
    return list(SPECIAL_TOKENS) + [token for _, token in sorted(ranked)[:max_vocab]]


def _write_tokenizer(folder: Path, vocabulary: list[str], seq_len: int) -> None:
    """``vocab.txt`` and ``tokenizer_config.json``: the character-level BertTokenizer."""
    with atomic_open(folder / "vocab.txt") as out:
        out.write("".join(token + "\n" for token in vocabulary))
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "strip_accents": False,
              "tokenize_chinese_chars": True, "model_max_length": seq_len,
              **{f"{name}_token": f"[{name.upper()}]" for name in ("pad", "unk", "cls", "sep", "mask")}}
    with atomic_open(folder / "tokenizer_config.json") as out:
        json.dump(config, out, indent=2)


def make_tokenizer(vocabulary: list[str], seq_len: int = 128):
    """A Hugging Face BertTokenizer for ``vocabulary``, exactly as saved in a model folder."""
    _, transformers = import_torch()
    folder = temporary_folder(None, prefix="zhtext-tokenizer-")
    try:
        _write_tokenizer(folder, vocabulary, seq_len)
        return transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    finally:
        discard(folder)


def encode_corpus(corpus, tokenizer, progress: TrainingProgressFn | None = None) -> np.ndarray:
    """The corpus as one array of token ids, ``[SEP]`` after every non-empty line."""
    dtype = np.uint16 if len(tokenizer) <= 1 << 16 else np.int32
    parts = []
    for lines in _line_batches(as_corpus(corpus), progress, "encode"):
        ids = tokenizer(lines, add_special_tokens=False, return_attention_mask=False,
                        return_token_type_ids=False)["input_ids"]
        parts.append(np.fromiter(itertools.chain.from_iterable(row + [SEP] for row in ids if row),
                                 dtype))
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def pack(stream: np.ndarray, seq_len: int) -> np.ndarray:
    """Rows of ``[CLS]`` + the next ``seq_len - 1`` tokens of ``stream``; the last row padded."""
    body = seq_len - 1
    rows = -(-len(stream) // body)
    padded = np.full(rows * body, PAD, stream.dtype)
    padded[: len(stream)] = stream
    return np.concatenate([np.full((rows, 1), CLS, stream.dtype), padded.reshape(rows, body)], axis=1)


def _split_heldout(rows: np.ndarray, config: PretrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(train, heldout)``: every k-th row, spread over the whole corpus, is held out."""
    if len(rows) < 2:
        raise InputError(f"the corpus is too small: it fills {len(rows)} sequence of "
                         f"{config.seq_len} tokens, at least 2 are needed")
    wanted = min(config.max_heldout, max(1, round(len(rows) * config.heldout_fraction)))
    stride = len(rows) // wanted
    held = np.zeros(len(rows), bool)
    held[np.arange(wanted) * stride + stride // 2] = True
    return rows[~held], rows[held]


# -- training -----------------------------------------------------------------
def mask_tokens(ids, generator, mask_prob: float = 0.15, vocab_size: int | None = None):
    """``(inputs, labels)`` for masked-LM training on a batch of token ids.

    ``mask_prob`` of the non-special positions are chosen; with ``vocab_size``
    a chosen token becomes ``[MASK]`` (80 %), a random character (10 %) or
    stays (10 %), without it always ``[MASK]`` (for evaluation). ``labels``
    holds the original token at chosen positions and ``IGNORE`` elsewhere.
    A batch in which chance chose nothing gets the first character of each
    row chosen, so that its loss is defined.
    """
    import torch

    real = ids >= len(SPECIAL_TOKENS)
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & real
    if not chosen.any():
        chosen = real & (real.cumsum(-1) == 1)
    labels = torch.where(chosen, ids, IGNORE)
    inputs = ids.clone()
    if vocab_size is None:
        inputs[chosen] = MASK
        return inputs, labels
    roll = torch.rand(ids.shape, generator=generator)
    randoms = torch.randint(len(SPECIAL_TOKENS), vocab_size, ids.shape, generator=generator)
    inputs[chosen & (roll < 0.8)] = MASK
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = randoms[swap]
    return inputs, labels


def _build_model(transformers, config: PretrainConfig, vocab_size: int):
    """A freshly initialised masked LM of ``config.architecture`` (RoFormer or BERT)."""
    sizes = dict(vocab_size=vocab_size, hidden_size=config.hidden, num_hidden_layers=config.layers,
                 num_attention_heads=config.heads, intermediate_size=config.intermediate,
                 max_position_embeddings=config.seq_len, pad_token_id=PAD,
                 hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=config.dropout)
    if config.architecture == "bert":
        return transformers.BertForMaskedLM(transformers.BertConfig(**sizes))
    return transformers.RoFormerForMaskedLM(
        transformers.RoFormerConfig(embedding_size=config.hidden, **sizes))


def _masked_logits(model, inputs, labels):
    """Logits and targets at the scored positions only (the output layer is the costly part)."""
    hidden = model.base_model(input_ids=inputs, attention_mask=(inputs != PAD).long()).last_hidden_state
    scored = labels != IGNORE
    return model.cls(hidden[scored]), labels[scored]


def _learning_rate(config: PretrainConfig, step: int, elapsed: float) -> float:
    """Linear warm-up, then linear decay reaching zero when the step or time budget ends.

    The warm-up takes ``warmup_steps``, but at most a tenth of ``max_steps``.
    """
    warmup = min(config.warmup_steps, config.max_steps // 10)
    warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
    done = max(0, step - warmup) / max(1, config.max_steps - warmup)
    if config.time_budget:
        done = max(done, elapsed / (config.time_budget * 60))
    return config.learning_rate * warm * max(0.0, 1.0 - done)


class _Trainer:
    """Model, optimizer, data order and random states of one training run."""

    def __init__(self, torch, transformers, config: PretrainConfig, vocab_size: int, train: np.ndarray):
        self.torch, self.config, self.train = torch, config, train
        self.device = pick_device(torch, config.device)
        torch.manual_seed(config.seed)
        self.model = _build_model(transformers, config, vocab_size).to(self.device)
        decay = [p for p in self.model.parameters() if p.ndim > 1]  # not biases, LayerNorms
        rest = [p for p in self.model.parameters() if p.ndim <= 1]
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                            {"params": rest, "weight_decay": 0.0}],
                                           lr=config.learning_rate)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.amp = _autocast_dtype(torch, self.device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp == torch.float16)
        self.step, self.epoch, self.cursor, self.elapsed = 0, 0, 0, 0.0

    def next_rows(self) -> np.ndarray:
        """The next batch of training rows in this epoch's seeded shuffle."""
        order = np.random.default_rng([self.config.seed, self.epoch]).permutation(len(self.train))
        batch = order[self.cursor: self.cursor + self.config.batch_size]
        self.cursor += self.config.batch_size
        if self.cursor >= len(self.train):
            self.epoch, self.cursor = self.epoch + 1, 0
        return self.train[np.sort(batch)]

    def train_step(self) -> tuple[float, int, int]:
        """One optimizer step: ``(loss, correct, scored)``, scoring the [MASK] positions only."""
        torch, config = self.torch, self.config
        ids = torch.from_numpy(self.next_rows().astype(np.int64))
        inputs, labels = mask_tokens(ids, self.generator, config.mask_prob,
                                     self.model.config.vocab_size)
        for group in self.optimizer.param_groups:
            group["lr"] = _learning_rate(config, self.step, self.elapsed)
        self.model.train()
        with torch.autocast(self.device.type, dtype=self.amp, enabled=self.amp is not None):
            logits, targets = _masked_logits(self.model, inputs.to(self.device), labels.to(self.device))
            loss = torch.nn.functional.cross_entropy(logits.float(), targets)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.clip_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        masked = inputs[labels != IGNORE].to(self.device) == MASK  # kept tokens are trivial to guess
        correct = int(((logits.argmax(-1) == targets) & masked).sum())
        return float(loss.detach()), correct, int(masked.sum())

    def state(self, vocabulary: list[str], fingerprint: dict) -> dict:
        """Everything :meth:`restore` needs to continue exactly from this step."""
        torch = self.torch
        return {"format": 1, "config": asdict(self.config), "vocabulary": vocabulary,
                "fingerprint": fingerprint, "step": self.step, "epoch": self.epoch,
                "cursor": self.cursor, "elapsed": self.elapsed,
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict(), "mask_rng": self.generator.get_state(),
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else []}

    def restore(self, state: dict) -> None:
        torch = self.torch
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.generator.set_state(state["mask_rng"])
        torch.set_rng_state(state["torch_rng"])
        if self.device.type == "cuda" and state["cuda_rng"]:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.step, self.epoch, self.cursor = state["step"], state["epoch"], state["cursor"]
        self.elapsed = state["elapsed"]

    def finished(self) -> bool:
        budget = self.config.time_budget
        return self.step >= self.config.max_steps or bool(budget and self.elapsed >= budget * 60)


def _autocast_dtype(torch, device):
    """bf16 on a CUDA device that has it, else fp16 on CUDA; None (fp32) on CPU."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _evaluate(torch, model, rows: np.ndarray, config: PretrainConfig, device,
              progress: TrainingProgressFn | None = None) -> dict:
    """Masked-character accuracy on ``rows``: a seeded 15 % of the characters become [MASK]."""
    generator = torch.Generator().manual_seed(config.seed + 1)
    amp = _autocast_dtype(torch, device)
    loss_sum, correct, scored, targets_seen = 0.0, 0, 0, []
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, dtype=amp, enabled=amp is not None):
        for start in range(0, len(rows), config.batch_size):
            ids = torch.from_numpy(rows[start: start + config.batch_size].astype(np.int64))
            inputs, labels = mask_tokens(ids, generator, config.mask_prob)
            logits, targets = _masked_logits(model, inputs.to(device), labels.to(device))
            loss_sum += float(torch.nn.functional.cross_entropy(logits.float(), targets, reduction="sum"))
            correct += int((logits.argmax(-1) == targets).sum())
            scored += len(targets)
            targets_seen.append(targets.cpu().numpy())
            if progress is not None:
                progress(min(start + config.batch_size, len(rows)), len(rows), stage="evaluate")
    targets = np.concatenate(targets_seen) if targets_seen else np.zeros(0, np.int64)
    return {"masked_accuracy": correct / max(1, scored), "loss": loss_sum / max(1, scored),
            "masked_characters": scored, "sequences": len(rows), "targets": targets}


def masked_accuracy(model_dir: str | os.PathLike, corpus, *, batch_size: int = 32,
                    max_sequences: int | None = None, seed: int = 0, device: str = "cpu",
                    progress: TrainingProgressFn | None = None) -> dict:
    """Masked-character accuracy of a saved model on other text, scored as in training.

    The text is packed into rows of the model's maximum length, a seeded 15 %
    of its characters become ``[MASK]``, and the model's first guess is
    compared with the original. ``max_sequences`` keeps evenly spaced rows.
    Returns ``masked_accuracy``, ``loss``, ``masked_characters`` and ``sequences``.
    """
    torch, _ = import_torch()
    tokenizer, model = load_pretrained(resolve_model(model_dir))
    if not hasattr(model, "cls"):
        raise ModelError(f"{model_dir}: not a BERT-style masked language model (no 'cls' head)")
    config = PretrainConfig(seq_len=model.config.max_position_embeddings, batch_size=batch_size,
                            seed=seed, device=device)
    rows = pack(encode_corpus(corpus, tokenizer, progress), config.seq_len)
    if max_sequences is not None and len(rows) > max_sequences:
        rows = rows[np.linspace(0, len(rows) - 1, max_sequences).astype(int)]
    device = pick_device(torch, device)
    scores = _evaluate(torch, model.to(device), rows, config, device, progress)
    del scores["targets"]
    return scores


def _unigram_accuracy(train: np.ndarray, targets: np.ndarray) -> float:
    """Accuracy of always guessing the most frequent training character: the baseline."""
    counts = np.bincount(train.ravel())
    counts[: len(SPECIAL_TOKENS)] = 0
    return float(np.mean(targets == counts.argmax())) if len(targets) else 0.0


# -- output folder ------------------------------------------------------------
def _check_output(output: Path, resume: bool, overwrite: bool) -> None:
    if not output.parent.is_dir():
        raise InputError(f"{output.parent}: no such folder for the output")
    if output.exists() and not output.is_dir():
        raise InputError(f"{output}: exists and is not a folder")
    if resume:
        if not (output / CHECKPOINT).is_file():
            raise InputError(f"{output}: no {CHECKPOINT} to resume from")
    elif output.is_dir() and any(output.iterdir()) and not overwrite:
        raise InputError(f"{output} already exists: pass --overwrite to replace it, "
                         f"or --resume to continue its training")


def _save_checkpoint(torch, output: Path, state: dict) -> None:
    output.mkdir(exist_ok=True)
    with atomic_path(output / CHECKPOINT) as path:
        torch.save(state, path)


def _load_checkpoint(torch, output: Path) -> dict:
    try:
        state = torch.load(output / CHECKPOINT, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a damaged file
        raise ModelError(f"{output / CHECKPOINT}: cannot read the checkpoint: "
                         f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    if not isinstance(state, dict) or state.get("format") != 1:
        raise ModelError(f"{output / CHECKPOINT}: not a zhtext pretrain checkpoint")
    return state


def _save_model(model, vocabulary: list[str], report: dict, output: Path) -> None:
    """Write the final model into a temporary sibling folder and swap it into place.

    The checkpoint moves along, so a finished run can be resumed with a larger budget.
    """
    temp = temporary_folder(output.parent, prefix=f".{output.name}.")
    old = None
    try:
        model.save_pretrained(temp, safe_serialization=True)
        _write_tokenizer(temp, vocabulary, model.config.max_position_embeddings)
        report = {**report, "weights_sha256": weight_digests(temp)}
        with atomic_open(temp / REPORT) as out:
            json.dump(report, out, indent=2, ensure_ascii=False)
        if (output / CHECKPOINT).exists():
            os.replace(output / CHECKPOINT, temp / CHECKPOINT)
        if output.exists():
            old = output.with_name(f".{output.name}.old-{os.getpid()}")
            os.replace(output, old)
        _make_readable(temp)
        os.replace(temp, output)
        release(temp)
    except BaseException:
        if old is not None and not output.exists():
            os.replace(old, output)   # interrupted between the two renames: put the old model back
        if (temp / CHECKPOINT).exists() and output.is_dir():
            os.replace(temp / CHECKPOINT, output / CHECKPOINT)   # keep the run resumable
        discard(temp)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def weight_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of each weight file of a model folder (safetensors has no checksum of its own)."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.glob("*.safetensors"))}


def verify_weights(folder: str | os.PathLike) -> None:
    """Raise :class:`ModelError` if a weight file differs from the digest its training report holds.

    Folders without a zhtext training report (any other Hugging Face model) are not checked.
    """
    try:
        expected = json.loads((Path(folder) / REPORT).read_text(encoding="utf-8")).get("weights_sha256")
    except (OSError, ValueError, AttributeError):
        return
    for name, digest in (expected or {}).items():
        path = Path(folder) / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise ModelError(f"{path}: damaged or replaced model weights (SHA-256 differs from "
                             f"{REPORT}); retrain or copy the model folder again")


def _make_readable(folder: Path) -> None:
    """Temporary folders are private (0700): give the model folder the umask's modes."""
    folder.chmod(creation_mode(folder=True))
    for path in folder.iterdir():
        path.chmod(creation_mode())


def _fingerprint(stream: np.ndarray) -> dict:
    return {"tokens": int(len(stream)), "crc32": zlib.crc32(stream.tobytes())}


# -- the entry point ----------------------------------------------------------
def pretrain(corpus, output: str | os.PathLike, config: PretrainConfig | None = None, *,
             resume: bool = False, overwrite: bool = False,
             progress: TrainingProgressFn | None = None,
             on_stage: Callable[[str], None] | None = None) -> dict:
    """Train a character-level masked LM on ``corpus`` and save it in folder ``output``.

    ``corpus`` is anything :func:`zhtext.corpus.as_corpus` takes; it is read
    twice (vocabulary, then encoding), so standard input must be saved to a
    file first. With ``resume`` the run continues from ``output/checkpoint.pt``:
    the model, vocabulary and data settings come from the checkpoint, the
    budget and device settings (``max_steps``, ``time_budget``, ...) from
    ``config``, and the corpus must be the same. Returns the training report
    that is also saved as ``output/training_report.json``. ``on_stage(name)``
    announces ``"train"`` (from here on, ``KeyboardInterrupt`` writes the
    checkpoint first) and ``"evaluate"``.
    """
    torch, transformers = import_torch()
    config = config or PretrainConfig()
    config.check()
    output = Path(output)
    _check_output(output, resume, overwrite)
    corpus = _rereadable(corpus)
    state = _load_checkpoint(torch, output) if resume else None
    if overwrite and not resume:
        (output / CHECKPOINT).unlink(missing_ok=True)  # never resume someone else's run later
    if state is not None:
        saved = PretrainConfig(**state["config"])
        config = replace(saved, **{name: getattr(config, name) for name in _RUN_OPTIONS})
        vocabulary = state["vocabulary"]
    else:
        vocabulary = build_vocabulary(corpus, config.max_vocab, config.min_count, progress)
    if config.threads:
        torch.set_num_threads(config.threads)
    stream = encode_corpus(corpus, make_tokenizer(vocabulary, config.seq_len), progress)
    if state is not None and state["fingerprint"] != _fingerprint(stream):
        raise InputError(f"the corpus differs from the one {output / CHECKPOINT} was trained on")
    train, heldout = _split_heldout(pack(stream, config.seq_len), config)
    trainer = _Trainer(torch, transformers, config, len(vocabulary), train)
    if state is not None:
        trainer.restore(state)
    del state
    stage = on_stage or (lambda name: None)
    stage("train")
    _train(trainer, output, vocabulary, _fingerprint(stream), progress)
    stage("evaluate")
    scores = _evaluate(torch, trainer.model, heldout, config, trainer.device, progress)
    report = _report(trainer, config, corpus, stream, vocabulary, scores,
                     _unigram_accuracy(train, scores.pop("targets")))
    _save_model(trainer.model, vocabulary, report, output)
    return report


def _rereadable(corpus) -> Corpus:
    """``corpus`` as a Corpus that can be read twice (not stdin, not a generator)."""
    if not isinstance(corpus, (str, os.PathLike, Corpus)) and iter(corpus) is corpus:
        raise InputError("pretrain reads its corpus twice: pass a list of texts, not a generator")
    corpus = as_corpus(corpus)
    if "-" in corpus.sources:
        raise InputError("pretrain reads its corpus twice: save standard input to a file first")
    return corpus


def _train(trainer: _Trainer, output: Path, vocabulary: list[str], fingerprint: dict,
           progress: TrainingProgressFn | None) -> None:
    """Step until the budget is spent; checkpoint every ``checkpoint_every`` steps and on Ctrl-C."""
    config, torch = trainer.config, trainer.torch
    window = _Window()
    mark = time.monotonic()
    try:
        while not trainer.finished():
            loss, correct, scored = trainer.train_step()
            now = time.monotonic()
            trainer.elapsed += now - mark
            window.add(loss, correct, scored, config.batch_size * config.seq_len, now - mark)
            mark = now
            if trainer.step % config.checkpoint_every == 0:
                _save_checkpoint(torch, output, trainer.state(vocabulary, fingerprint))
                mark = time.monotonic()  # writing a checkpoint is not training time
            if progress is not None and (trainer.step % config.log_every == 0 or trainer.finished()):
                progress(trainer.step, config.max_steps, stage="train", **window.averages(),
                         lr=trainer.optimizer.param_groups[0]["lr"], elapsed=trainer.elapsed)
                window = _Window()
    except KeyboardInterrupt:
        _save_checkpoint(torch, output, trainer.state(vocabulary, fingerprint))
        raise
    _save_checkpoint(torch, output, trainer.state(vocabulary, fingerprint))


class _Window:
    """Running sums of the steps since the last progress report."""

    def __init__(self):
        self.loss, self.correct, self.scored, self.steps, self.tokens, self.time = 0.0, 0, 0, 0, 0, 0.0

    def add(self, loss: float, correct: int, scored: int, tokens: int, seconds: float) -> None:
        self.loss += loss
        self.correct += correct
        self.scored += scored
        self.steps += 1
        self.tokens += tokens
        self.time += seconds

    def averages(self) -> dict:
        return {"loss": self.loss / max(1, self.steps), "accuracy": self.correct / max(1, self.scored),
                "tokens_per_second": self.tokens / max(self.time, 1e-9)}


def _report(trainer: _Trainer, config: PretrainConfig, corpus: Corpus, stream: np.ndarray,
            vocabulary: list[str], scores: dict, unigram: float) -> dict:
    import transformers

    return {
        "zhtext_version": __version__, "torch": trainer.torch.__version__,
        "transformers": transformers.__version__, "device": str(trainer.device),
        "corpus": {"files": [Path(s).name for s in corpus.sources],
                   "tokens": int(len(stream)), "vocabulary": len(vocabulary)},
        "steps": trainer.step, "epochs": round(trainer.step * config.batch_size / len(trainer.train), 3),
        "train_seconds": round(trainer.elapsed, 1),
        "tokens_per_second": round(trainer.step * config.batch_size * config.seq_len
                                   / max(trainer.elapsed, 1e-9), 1),
        "heldout": {**{k: (round(v, 4) if isinstance(v, float) else v) for k, v in scores.items()},
                    "unigram_baseline_accuracy": round(unigram, 4),
                    "perplexity": round(math.exp(min(scores["loss"], 50)), 2)},
        "config": asdict(config),
    }
