r"""Exact n-gram statistics on a Dask cluster: the same result as one machine, bit for bit.

For corpora larger than one machine's memory (``NgramStats.fit(..., engine="dask")``,
``zhtext ngrams --engine dask``). Needs the optional extra ``zhtext[dask]``
(``dask``, ``distributed``, ``fsspec``); Dask does the scheduling, zhtext only
says what to compute. The algorithm, all in Numba kernels on numpy arrays:

1. **Blocks.** Each file is cut into byte ranges of about ``blocksize`` bytes
   at newlines (:func:`fsspec.utils.read_block`): every line lands in exactly
   one block, and byte 0x0A never occurs inside a UTF-8, GB18030 or Big5
   multibyte sequence, so each block decodes on its own. Compressed and
   UTF-16/32 files are one block each. Files are local paths or any fsspec
   URL (``s3://``, ``hdfs://``, ``gs://``).
2. **Vocabulary.** Each block is decoded and encoded once
   (:mod:`zhtext.encode`); its character counts are summed on the client and
   ranked as on one machine (count, then code point). The encoded blocks stay
   on the workers (Dask spills them to disk under memory pressure).
3. **Levels** ``n = 2 .. max_n (+1 for the entropies)``, apriori as in
   :mod:`zhtext.ngrams`: a map task counts, in its block, the n-grams whose
   (n-1)-prefix or suffix was kept at level n-1 (the kept set is broadcast)
   and splits them into ``buckets`` by a hash of their key; a reduce task per
   bucket merges the counts of all blocks **before** pruning by ``min_count``
   (so counts are exact: an n-gram seen once in each of ``min_count`` blocks is
   kept), adds ``⌊c log c⌉`` of every merged n-gram seen twice to the entropy
   sums of its prefix and suffix, and returns the kept n-grams. Only numpy
   arrays cross the network, one ``(keys, counts)`` pair per block and bucket.
4. **Assembly**: :meth:`zhtext.ngrams.NgramStats.from_levels`, which orders
   rows canonically; the entropy sums are fixed-point integers
   (:data:`zhtext.ngrams.SUM_SCALE`), so neither the blocks, the buckets nor
   the order of arrival change a bit of the result.

Memory per worker: its share of the encoded blocks (4 bytes a character), the
counting table of one block, and the kept set of one level; the client holds
the kept n-grams and their sums. See ``docs/scale.md``.
"""

from __future__ import annotations

import codecs
import contextlib
from concurrent.futures import CancelledError
import logging
import operator
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
from numba import njit

from .corpus import _MAGIC, Corpus, ProgressFn, _decode_error, _reject_binary, _sniff_encoding
from .encode import BreakSpec, Vocabulary, _Encoder
from .errors import ClusterError, InputError, ZhtextError
from .ngrams import (KeyLayout, Level, NgramStats, _affix_rows, _build_index, _count_level, _find,
                     _gains, _hash, _kept_rows, _pack, _power_of_two, _unigram_level, _unigram_rows,
                     _unpack_ids)

INSTALL = "pip install 'zhtext[dask]'"
DEFAULT_BLOCKSIZE = 64 << 20
"""Bytes per block (about 22 M Chinese characters in UTF-8)."""
StageFn = Callable[[str], None]


def import_distributed():
    """The ``distributed`` module, or a one-line :class:`InputError` saying how to install it."""
    try:
        import distributed
        import fsspec
    except ImportError as err:
        raise InputError(f"{err.name} is missing (engine 'dask' needs it): {INSTALL}") from None
    del fsspec   # imported by the tasks; checked here so a missing one is said at once
    return distributed


@contextlib.contextmanager
def connect(scheduler: str | None = None, scheduler_file: str | os.PathLike | None = None,
            workers: int | None = None, memory_limit: str | int | None = None,
            timeout: str = "10s") -> Iterator:
    """A ``distributed.Client`` for the duration of a ``with`` block.

    ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``) or
    ``scheduler_file`` (written by ``dask scheduler --scheduler-file``, by
    dask-jobqueue on Slurm/PBS, or by a Kubernetes operator) joins a running
    cluster; with neither, a ``LocalCluster`` of ``workers`` single-threaded
    processes (default: one per core) with ``memory_limit`` each (``"4GiB"``;
    default: the machine's memory shared out) runs for the block. A scheduler
    that cannot be reached within ``timeout`` is a one-line :class:`ClusterError` naming it.
    """
    distributed = import_distributed()
    if scheduler and scheduler_file:
        raise InputError("give a scheduler address or a scheduler file, not both")
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, not {workers}")
    if isinstance(memory_limit, str):
        parse_size(memory_limit, "memory limit")
    if scheduler_file is not None and not Path(scheduler_file).is_file():
        raise InputError(f"{scheduler_file}: no such scheduler file")
    with contextlib.ExitStack() as stack:
        if scheduler or scheduler_file:
            where = scheduler or str(scheduler_file)
            try:
                client = stack.enter_context(distributed.Client(scheduler, scheduler_file=scheduler_file,
                                                                timeout=timeout))
            except (OSError, TimeoutError, ValueError) as err:
                raise ClusterError(f"cannot reach the Dask scheduler at {where}: "
                                   f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        else:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                memory_limit=memory_limit or "auto", silence_logs=logging.ERROR,
                dashboard_address=":0"))
            client = stack.enter_context(distributed.Client(cluster))
        yield client


def parse_size(text: str, what: str) -> int:
    """Bytes of a size such as ``64MiB``, ``4GB`` or ``1000000``; a one-line error otherwise."""
    from dask.utils import parse_bytes

    try:
        size = parse_bytes(text)
    except (ValueError, TypeError):
        size = 0
    if size < 1:
        raise InputError(f"{what} {text!r}: give a size such as 64MiB or 4GiB")
    return size


# ------------------------------------------------------------------------ blocks
@dataclass(frozen=True)
class Block:
    """Bytes ``offset .. offset + length`` of ``path`` widened to whole lines (``length < 0``:
    the whole file, read as a stream)."""

    path: str
    offset: int
    length: int
    encoding: str


def plan_blocks(sources: Sequence[str | os.PathLike], blocksize: int, encoding: str = "utf-8") -> list[Block]:
    """Cut every file into :class:`Block` s of about ``blocksize`` bytes, checked on the client:
    a missing file, a binary file or an unknown encoding is a one-line :class:`InputError`."""
    import fsspec

    if blocksize < 1:
        raise InputError(f"blocksize must be at least 1 byte, not {blocksize}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None
    blocks = []
    for source in map(str, sources):
        fs, path = fsspec.core.url_to_fs(source)
        if not fs.isfile(path):
            raise InputError(f"{source}: {'is a directory' if fs.isdir(path) else 'no such file'}")
        size = fs.size(path)
        with fs.open(path, "rb") as handle:
            head = handle.read(1 << 16)
        resolved, text_head = _sniff_encoding(head, encoding)
        compressed = any(head.startswith(magic) for magic, _ in _MAGIC)
        if not compressed:
            _reject_binary(text_head, resolved, source)
        if compressed or codecs.lookup(resolved).name.startswith(("utf-16", "utf-32")):
            blocks.append(Block(source, 0, -1, encoding))
        else:
            blocks += [Block(source, offset, blocksize, encoding) for offset in range(0, size, blocksize)]
    return blocks


def read_block(block: Block, errors: str = "strict") -> tuple[str, int]:
    """The text of ``block`` and its count of U+FFFD replacements; an undecodable byte is a
    one-line :class:`InputError` naming the file, line and byte offset, as on one machine."""
    if block.length < 0:
        corpus = Corpus.from_files([block.path], encoding=block.encoding, errors=errors) \
            if "://" not in block.path else None
        if corpus is None:
            raise InputError(f"{block.path}: compressed or UTF-16 files must be local; decompress it")
        text = "".join(corpus.blocks())
        return text, corpus.replacements
    import fsspec
    from fsspec.utils import read_block as read_range

    fs, path = fsspec.core.url_to_fs(block.path)
    with fs.open(path, "rb") as handle:
        data = read_range(handle, block.offset, block.length, delimiter=b"\n")
        start = handle.tell() - len(data)
    encoding = block.encoding
    if start == 0:
        size = len(data)
        encoding, data = _sniff_encoding(data, encoding)
        start = size - len(data)        # a byte-order mark dropped
    try:
        text = data.decode(encoding, errors)
    except UnicodeDecodeError as err:
        raise _decode_error(err, block.path, encoding, data, start, _line_number(fs, path, start)) from None
    return text, text.count("\ufffd") if errors == "replace" else 0


def _line_number(fs, path: str, offset: int) -> int:
    """The number of the line starting at byte ``offset`` (read only on the error path)."""
    lines = 1
    with fs.open(path, "rb") as handle:
        while offset > 0:
            chunk = handle.read(min(offset, 1 << 24))
            lines, offset = lines + chunk.count(b"\n"), offset - len(chunk)
    return lines


# ----------------------------------------------------------------- worker tasks
def _encode_block(block: Block, errors: str, breaks: BreakSpec, fold) -> tuple:
    """``(codes in local ids, local characters, their counts, replacements)`` of one block."""
    text, replacements = read_block(block, errors)
    encoder = _Encoder(breaks, fold)
    encoder.add(text)
    codes, vocab = encoder.finish()
    return codes, vocab.chars, vocab.counts, replacements


def _vocabulary_part(encoded: tuple) -> tuple:
    return encoded[1], encoded[2], encoded[3]


def _to_global(encoded: tuple, chars: str) -> np.ndarray:
    """The block's codes in the global ids of ``chars`` (the merged vocabulary)."""
    index = {c: i + 1 for i, c in enumerate(chars)}
    local = np.array([0] + [index[c] for c in encoded[1]], np.int32)
    return local[encoded[0]]


def _count_block(codes: np.ndarray, below_keys: np.ndarray, n: int, layout: KeyLayout, either: bool,
                 buckets: int, vocab_size: int) -> tuple:
    """The candidate n-grams of one block (see :func:`zhtext.ngrams._count_level`) as
    ``buckets`` pairs ``(keys, counts)``, an n-gram in bucket ``hash(key) % buckets``."""
    if n == 2:
        row_at = _unigram_rows(Level(1, below_keys, np.zeros(len(below_keys), np.int64)),
                               vocab_size)[codes].astype(np.int64)
    else:
        row_at = _rows_at_positions(codes, n - 1, below_keys, _build_index(below_keys),
                                    layout.bits, layout.per_word)
    id_at = np.full(len(codes), -1, np.int64)
    capacity = _power_of_two(max(1 << 12, len(below_keys)))
    table, first = _count_level(codes, n, layout.bits, layout.per_word, layout.words, row_at, id_at,
                                either, capacity, 1, 0)
    del id_at, row_at
    keys, counts, _ = _kept_rows(table, layout.words, len(first), 1, 0)
    del table
    bucket = _buckets_of(keys, buckets)
    order = np.argsort(bucket, kind="stable")
    ends = np.cumsum(np.bincount(bucket, minlength=buckets))[:-1]
    return tuple(zip(np.split(keys[order], ends), np.split(counts[order].astype(np.uint32), ends)))


def _merge_bucket(below_keys: np.ndarray, n: int, layout: KeyLayout, min_count: int, sums: bool,
                  *parts: tuple) -> tuple:
    """Merge one bucket's counts over all blocks, then prune: ``(kept keys, kept counts,
    (right rows, right sums), (left rows, left sums))`` of the level below (sums if ``sums``)."""
    keys = np.concatenate([np.zeros((0, layout.words), np.uint64), *(p[0] for p in parts)])
    counts = np.concatenate([np.zeros(0, np.int64), *(p[1] for p in parts)]).astype(np.int64)
    keys, counts = _merge_equal(keys, counts)
    kept = counts >= min_count
    right = left = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if sums:
        twice = counts >= 2
        ids = _unpack_ids(keys[twice], np.full(int(twice.sum()), n, np.uint8), layout.bits,
                          layout.per_word, n)
        prefix, suffix = _affix_rows(ids, below_keys, _build_index(below_keys), layout.bits,
                                     layout.per_word)
        gains = _gains(counts[twice])
        right, left = _sum_by_row(prefix, gains), _sum_by_row(suffix, gains)
    return keys[kept], counts[kept], right, left


def _merge_equal(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal keys as one row, counts added; rows sorted by key."""
    if not len(counts):
        return keys, counts
    order = np.lexsort(keys.T[::-1])
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    return keys[starts], np.add.reduceat(counts, starts)


def _sum_by_row(rows: np.ndarray, gains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct rows >= 0, the sum of their gains)``: integer sums, exact in any order."""
    keep = rows >= 0
    distinct, inverse = np.unique(rows[keep], return_inverse=True)
    total = np.zeros(len(distinct), np.int64)
    np.add.at(total, inverse, gains[keep])
    return distinct, total


@njit(cache=True)
def _rows_at_positions(codes, n, keys, slots, bits, per_word):
    """Row in ``keys`` of the n-gram starting at each position (-1 if none is kept there)."""
    row_at = np.full(codes.shape[0], -1, np.int64)
    key = np.zeros(keys.shape[1], np.uint64)
    run = 0
    for end in range(codes.shape[0]):
        if codes[end] == 0:
            run = 0
            continue
        run += 1
        if run >= n:
            _pack(codes, end - n + 1, n, bits, per_word, key)
            row_at[end - n + 1] = _find(slots, keys, key)
    return row_at


@njit(cache=True)
def _buckets_of(keys, buckets):
    out = np.empty(keys.shape[0], np.int64)
    for row in range(keys.shape[0]):
        out[row] = _hash(keys[row]) % np.uint64(buckets)
    return out


# ----------------------------------------------------------------------- driver
def sources_of(corpus, options: dict) -> tuple[list[str], dict]:
    """The files of ``corpus`` (a path or URL, a list of them, or a Corpus of files) and the
    reading options for :func:`fit_ngrams` (a Corpus brings its encoding and errors)."""
    if isinstance(corpus, Corpus):
        if corpus._texts is not None or "-" in map(str, corpus.sources):
            raise InputError("engine 'dask' reads files (paths or URLs), not strings or standard input")
        return [str(s) for s in corpus.sources], {"encoding": corpus.encoding, "errors": corpus.errors,
                                                  **options}
    if isinstance(corpus, (str, os.PathLike)):
        return [str(corpus)], options
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(s, (str, os.PathLike)) for s in corpus):
        return [str(s) for s in corpus], options
    raise InputError("engine 'dask' reads files: pass a path or URL, a list of them, or Corpus.from_files(...)")


def fit_ngrams(sources: Sequence[str | os.PathLike], max_n: int = 4, min_count: int = 5,
               entropy: bool = True, *, client=None, blocksize: int = DEFAULT_BLOCKSIZE,
               buckets: int | None = None, encoding: str = "utf-8", errors: str = "strict",
               breaks: BreakSpec = None, fold: np.ndarray | None = None,
               progress: ProgressFn | None = None, on_stage: StageFn | None = None) -> NgramStats:
    """:meth:`NgramStats.fit` of the files ``sources`` on a Dask cluster (module docstring).

    ``client``: a ``distributed.Client``; ``None`` starts a ``LocalCluster`` on
    this machine for the call. ``buckets`` (default: twice the workers' threads)
    changes the work split, never the result. ``progress(done, total)`` counts
    tasks of the current stage, ``on_stage(name)`` announces each stage.
    """
    import_distributed()
    if not 1 <= max_n <= 11:
        raise InputError(f"max_n must be between 1 and 11, not {max_n}")
    if min_count < 1:
        raise InputError(f"min_count must be at least 1, not {min_count}")
    if errors not in ("strict", "replace"):
        raise InputError(f"errors must be one of strict, replace, not {errors!r}")
    blocks = plan_blocks(sources, blocksize, encoding)
    with contextlib.nullcontext(client) if client is not None else connect() as client:
        return _fit(client, blocks, max_n, min_count, entropy, buckets, errors, breaks, fold,
                    progress, on_stage)


def _fit(client, blocks, max_n, min_count, entropy, buckets, errors, breaks, fold, progress,
         on_stage) -> NgramStats:
    stage = on_stage or (lambda name: None)
    buckets = buckets or max(1, 2 * sum(client.nthreads().values()))
    stage("reading and encoding")
    encoded = [client.submit(_encode_block, b, errors, breaks, fold, retries=2) for b in blocks]
    parts = _gather(client, [client.submit(_vocabulary_part, e) for e in encoded], progress)
    vocab = _merged_vocabulary(parts)
    chars = client.scatter(vocab.chars, broadcast=True)
    codes = [client.submit(_to_global, e, chars, retries=2) for e in encoded]
    del encoded
    layout = KeyLayout.for_vocabulary(len(vocab), max_n + entropy)
    level = _unigram_level(vocab, layout, min_count)
    levels = [level]
    for n in range(2, max_n + 1 + entropy):
        stage(f"counting {n}-grams")
        level = _distributed_level(client, codes, level, n, layout, entropy, buckets, min_count,
                                   len(vocab), progress)
        if n > max_n:
            break
        levels.append(level)
        if not len(level.counts):
            break
    return NgramStats.from_levels(vocab, int(vocab.counts.sum()), levels, max_n, min_count, entropy)


def _distributed_level(client, codes, below: Level, n, layout, entropy, buckets, min_count,
                       vocab_size, progress) -> Level:
    """Count level ``n`` over all blocks (map), merge and prune each bucket (reduce); add the
    entropy sums of ``below``."""
    below_keys = client.scatter(below.keys, broadcast=True)
    mapped = [client.submit(_count_block, c, below_keys, n, layout, entropy, buckets, vocab_size,
                            retries=2) for c in codes]
    reduced = [client.submit(_merge_bucket, below_keys, n, layout, min_count, entropy,
                             *[client.submit(operator.getitem, m, b) for m in mapped], retries=2)
               for b in range(buckets)]
    results = _gather(client, reduced, progress)
    for _, _, (right_rows, right_sums), (left_rows, left_sums) in results:
        np.add.at(below.right_sum, right_rows, right_sums)
        np.add.at(below.left_sum, left_rows, left_sums)
    keys = np.concatenate([r[0] for r in results]) if results else np.zeros((0, layout.words), np.uint64)
    counts = np.concatenate([r[1] for r in results]) if results else np.zeros(0, np.int64)
    return Level(n, keys.reshape(-1, layout.words), counts)


def _merged_vocabulary(parts: list[tuple]) -> Vocabulary:
    """The blocks' character counts summed and ranked as on one machine: count, then code point."""
    totals: dict[str, int] = {}
    for chars, counts, _ in parts:
        for char, count in zip(chars, counts.tolist()):
            totals[char] = totals.get(char, 0) + count
    ranked = sorted(totals.items(), key=lambda item: (-item[1], ord(item[0])))
    return Vocabulary("".join(c for c, _ in ranked), np.array([k for _, k in ranked], np.int64))


def _gather(client, futures: list, progress: ProgressFn | None) -> list:
    """The results of ``futures`` in order, reporting ``progress(done, total)`` as they finish;
    an error raised in a task is raised here (a worker's InputError stays one line)."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    try:
        for done, _ in enumerate(as_completed(futures), 1):
            if progress is not None:
                progress(done, len(futures))
        return client.gather(futures)
    except ZhtextError:
        raise
    except (CancelledError, KilledWorker, OSError, TimeoutError) as err:
        raise ClusterError(f"the Dask cluster lost the work ({type(err).__name__}: "
                           f"{str(err).splitlines()[0] if str(err) else 'cancelled'}); run it again") from None
