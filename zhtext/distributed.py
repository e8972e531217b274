r"""Exact n-gram statistics, discovery and segmenter learning on a Dask cluster: the same
result as one machine, bit for bit.

For corpora larger than one machine's memory (``NgramStats.fit(..., engine="dask")``,
``zhtext ngrams --engine dask``; likewise ``discover`` and ``fit``). Needs the
optional extra ``zhtext[dask]`` (``dask``, ``distributed``, ``fsspec``); Dask
does the scheduling, zhtext only says what to compute. The algorithm, all in
Numba kernels on numpy arrays:

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
5. **Discovery** (:func:`discover_on_cluster`) adds three passes: each block
   marks the gaps covered by cohesive n-grams and counts its pieces; reducers
   merge the pieces by content before the back-check; a last pass counts the
   accepted pieces' neighbours (and, for keyness, the entries' occurrences).
6. **Segmenter learning** (:func:`fit_segmenter`) counts the script-folded Han
   runs with entropies, finds the candidate words on the client, and runs each
   EM step as a map task per block and a tree of sums of fixed-point expected
   counts on the workers.

Between levels a block may keep, on its worker, the candidate at each position
(4 bytes a character, :data:`STATE_SHARE`), so the next level looks up only its
distinct candidates; likewise its rough segmentation between the two discovery
passes over pieces. Shared data (the kept set of a level) is held by a task,
so a worker that dies is replaced and its part computed again; a job whose data
was lost anyway runs once more from the start.

Memory per worker: its share of the encoded blocks (2 bytes a character, 4 past 65,535
distinct characters) and of their state (4 bytes a character), the
counting table of one block, and the kept set of one level; the client holds
the kept n-grams and their sums. See ``docs/scale.md``.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import operator
import os
import warnings
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
from numba import njit

from .corpus import _MAGIC, Corpus, ProgressFn, _decode_error, _reject_binary, _sniff_encoding
from .discover import (_count_pieces, _cover, _cover_runs, _piece_hash, _same_piece, _windows_kept,
                       han_codes, neighbour_pair)
from .encode import BreakSpec, EncodedCorpus, Vocabulary, _Encoder
from .errors import ClusterError, InputError, ZhtextError
from .keyness import occurrences
from .lexicon import is_lexicon_word
from .script import fold_table
from .segment import (NO_HAN, EStep, Segmenter, _expected_counts, _vocab_points, _word_table,
                      outside_han)
from .ngrams import (KeyLayout, Level, NgramStats, _affix_rows, _build_index, _count_level, _find,
                     _gains, _hash, _kept_rows, _pack, _power_of_two, _rows_at, _same, _unigram_level,
                     _unigram_rows, _unpack_ids, check_orders, entropies)

INSTALL = "pip install 'zhtext[dask]'"
DEFAULT_BLOCKSIZE = 32 << 20
"""Bytes per block (about 11 M Chinese characters in UTF-8): a few blocks per worker on a
corpus of a few hundred MB; give larger blocks to larger corpora (docs/scale.md)."""
STATE_SHARE = 0.25
"""The share of the workers' memory the blocks' states between levels may take."""
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
                memory_limit=memory_limit or "auto", silence_logs=logging.CRITICAL,
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
    the whole local file, read as a stream)."""

    path: str
    offset: int
    length: int
    encoding: str


def plan_blocks(sources: Sequence[str | os.PathLike], blocksize: int, encoding: str = "utf-8",
                errors: str = "strict") -> list[Block]:
    """Cut every file into :class:`Block` s of about ``blocksize`` bytes, checked on the client:
    a missing file, a binary file, a remote compressed one, an unknown encoding or error mode
    is a one-line :class:`InputError`."""
    import fsspec

    if blocksize < 1:
        raise InputError(f"blocksize must be at least 1 byte, not {blocksize}")
    Corpus(encoding=encoding, errors=errors)      # the same checks of both as on one machine
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
            if "://" in source:
                raise InputError(f"{source}: a compressed or UTF-16 file is read whole, and only "
                                 "from a local path; decompress it (or re-encode as UTF-8)")
            blocks.append(Block(source, 0, -1, encoding))
        else:
            blocks += [Block(source, offset, blocksize, encoding) for offset in range(0, size, blocksize)]
    return blocks


def read_block(block: Block, errors: str = "strict") -> tuple[str, int]:
    """The text of ``block`` and its count of U+FFFD replacements; an undecodable byte is a
    one-line :class:`InputError` naming the file, line and byte offset, as on one machine."""
    if block.length < 0:
        corpus = Corpus.from_files([block.path], encoding=block.encoding, errors=errors)
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
    """``(codes in local ids, local characters, their counts, replacements, lines, their counts
    after a digit)`` of one block."""
    text, replacements = read_block(block, errors)
    encoder = _Encoder(breaks, fold)
    encoder.add(text)
    codes, vocab = encoder.finish()
    lines = encoder.lines + (bool(text) and not text.endswith("\n"))  # a last line without its end
    return codes, vocab.chars, vocab.counts, replacements, lines, vocab.after_number


def _vocabulary_part(encoded: tuple) -> tuple:
    """``(characters, counts, replacements, positions, lines, counts after a digit)`` of an
    encoded block."""
    return encoded[1], encoded[2], encoded[3], len(encoded[0]), encoded[4], encoded[5]


def _to_global(encoded: tuple, chars: str) -> np.ndarray:
    """The block's codes in the global ids of ``chars`` (the merged vocabulary), two bytes a
    character where the vocabulary allows."""
    index = {c: i + 1 for i, c in enumerate(chars)}
    local = np.array([0] + [index[c] for c in encoded[1]], np.uint16 if len(chars) < 1 << 16 else np.int32)
    return local[encoded[0]]


def _count_block(codes: np.ndarray, state: tuple | None, below_keys: np.ndarray, n: int,
                 layout: KeyLayout, either: bool, buckets: int, vocab_size: int) -> tuple:
    """The candidate n-grams of one block (see :func:`zhtext.ngrams._count_level`) as
    ``buckets`` pairs ``(keys, counts)``, an n-gram in bucket ``hash(key) % buckets``, and the
    block's state for level ``n + 1``: ``(candidate at each position, the candidates' keys)``.

    ``state`` is that of level ``n - 1``: only its distinct candidates are looked up in the
    kept set ``below_keys``; without one (n = 2, or states not kept) every position is.
    """
    if n == 2:
        row_at = _unigram_rows(Level(1, below_keys, np.zeros(len(below_keys), np.int64)),
                               vocab_size)[codes].astype(np.int64)
    elif state is None:
        row_at = _rows_at_positions(codes, n - 1, below_keys, _build_index(below_keys),
                                    layout.bits, layout.per_word)
    else:
        candidate_at, candidate_keys = state
        row_at = _kept_row_at(candidate_at, _find_rows(candidate_keys, below_keys,
                                                       _build_index(below_keys)))
    candidate_at = np.full(len(codes), -1, np.int64)
    capacity = _power_of_two(max(1 << 12, len(codes) // 8))     # few regrowths, bounded by the block
    table, first = _count_level(codes, n, layout.bits, layout.per_word, layout.words, row_at,
                                candidate_at, either, capacity, 1, 0)
    del row_at
    keys, counts, row_of = _kept_rows(table, layout.words, len(first), 1, 0)
    del table
    _rows_at(candidate_at, row_of)
    bucket = _buckets_of(keys, buckets)
    order = np.argsort(bucket, kind="stable")
    ends = np.cumsum(np.bincount(bucket, minlength=buckets))[:-1]
    parts = tuple(zip(np.split(keys[order], ends), np.split(counts[order].astype(np.uint32), ends)))
    return parts, (candidate_at.astype(np.int32), keys)


def _bucket(mapped: tuple, b: int) -> tuple:
    return mapped[0][b]


def _state(mapped: tuple) -> tuple:
    return mapped[1]


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
        size = len(below_keys)
        right, left = _sum_by_row(prefix, gains, size), _sum_by_row(suffix, gains, size)
    return keys[kept], counts[kept], right, left


@njit(cache=True)
def _merge_equal(keys, counts):
    """Equal keys as one row, their counts added (rows in order of first appearance)."""
    size = 1
    while size < 2 * counts.shape[0] + 2:
        size *= 2
    mask = np.uint64(size - 1)
    slots = np.full(size, -1, np.int64)
    merged_keys = np.empty_like(keys)
    merged = np.zeros(counts.shape[0], np.int64)
    used = 0
    for row in range(counts.shape[0]):
        slot = _hash(keys[row]) & mask
        while slots[slot] >= 0 and not _same(merged_keys, slots[slot], keys[row]):
            slot = (slot + np.uint64(1)) & mask
        if slots[slot] < 0:
            slots[slot] = used
            merged_keys[used] = keys[row]
            used += 1
        merged[slots[slot]] += counts[row]
    return merged_keys[:used], merged[:used]


@njit(cache=True)
def _sum_by_row(rows, gains, size):
    """``(distinct rows >= 0, the sum of their gains)``, rows below ``size``: integer sums,
    exact in any order."""
    total = np.zeros(size, np.int64)
    seen = np.zeros(size, np.bool_)
    for i in range(rows.shape[0]):
        if rows[i] >= 0:
            total[rows[i]] += gains[i]
            seen[rows[i]] = True
    distinct = np.flatnonzero(seen)
    return distinct, total[distinct]


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
def _find_rows(keys, kept_keys, slots):
    """Row in ``kept_keys`` (indexed by ``slots``) of every row of ``keys`` (-1 if not kept)."""
    rows = np.empty(keys.shape[0], np.int64)
    for row in range(keys.shape[0]):
        rows[row] = _find(slots, kept_keys, keys[row])
    return rows


@njit(cache=True)
def _kept_row_at(candidate_at, kept_row):
    """The kept row at each position: ``kept_row`` of the candidate there (-1: none)."""
    row_at = np.full(candidate_at.shape[0], -1, np.int64)
    for i in range(candidate_at.shape[0]):
        if candidate_at[i] >= 0:
            row_at[i] = kept_row[candidate_at[i]]
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
    reading options for :func:`fit_ngrams` (a Corpus brings its encoding and errors, and gets
    its ``replacements`` count as on one machine)."""
    if isinstance(corpus, Corpus):
        if corpus._texts is not None or "-" in map(str, corpus.sources):
            raise InputError("engine 'dask' reads files (paths or URLs), not strings or standard input")
        counted = {"on_replacements": lambda count: setattr(corpus, "replacements", count)}
        return [str(s) for s in corpus.sources], {"encoding": corpus.encoding, "errors": corpus.errors,
                                                  **counted, **options}
    if isinstance(corpus, (str, os.PathLike)):
        return [str(corpus)], options
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(s, (str, os.PathLike)) for s in corpus):
        return [str(s) for s in corpus], options
    raise InputError("engine 'dask' reads files: pass a path or URL, a list of them, or Corpus.from_files(...)")


def fit_ngrams(sources: Sequence[str | os.PathLike], max_n: int = 4, min_count: int = 5,
               entropy: bool = True, *, client=None, blocksize: int = DEFAULT_BLOCKSIZE,
               buckets: int | None = None, encoding: str = "utf-8", errors: str = "strict",
               breaks: BreakSpec = None, fold: np.ndarray | None = None,
               progress: ProgressFn | None = None, on_stage: StageFn | None = None,
               on_replacements: Callable[[int], None] | None = None) -> NgramStats:
    """:meth:`NgramStats.fit` of the files ``sources`` on a Dask cluster (module docstring).

    ``client``: a ``distributed.Client``; ``None`` starts a ``LocalCluster`` on
    this machine for the call. ``buckets`` (default: twice the workers' threads)
    changes the work split, never the result. ``progress(done, total)`` counts
    tasks of the current stage, ``on_stage(name)`` announces each stage.
    ``on_replacements(count)`` receives, once the blocks are read, the number of undecodable
    sequences replaced by U+FFFD (``errors="replace"``).
    """
    import_distributed()
    check_orders(max_n, min_count)
    blocks = plan_blocks(sources, blocksize, encoding, errors)
    return _on_cluster(client, blocks, buckets, progress, on_replacements,
                       lambda cluster: _fit(cluster, max_n, min_count, entropy, errors, breaks, fold,
                                            on_stage))


def _on_cluster(client, blocks: list[Block], buckets: int | None, progress: ProgressFn | None,
                on_replacements: Callable[[int], None] | None, job: Callable):
    """``job(cluster)`` over ``blocks`` (a fresh :class:`_Blocks`) on ``client``, or on a
    ``LocalCluster`` started for the call; run again from the start if the cluster lost its
    work (a worker died holding data whose lineage was released): exact either way."""
    with contextlib.nullcontext(client) if client is not None else connect() as client:
        try:
            return job(_Blocks(client, blocks, buckets, progress, on_replacements))
        except ClusterError:
            return job(_Blocks(client, blocks, buckets, progress, on_replacements))


def _fit(cluster: _Blocks, max_n, min_count, entropy, errors, breaks, fold, on_stage) -> NgramStats:
    stage = on_stage or (lambda name: None)
    stage("reading and encoding")
    vocab = cluster.encode(errors, breaks, fold)
    levels = list(cluster.count_levels(vocab, max_n, min_count, entropy, stage))
    return NgramStats.from_levels(vocab, int(vocab.counts.sum()), levels, max_n, min_count, entropy)


class _Blocks:
    """The blocks of a corpus on a cluster: encoded once, then counted level by level."""

    def __init__(self, client, blocks: list[Block], buckets: int | None, progress: ProgressFn | None,
                 on_replacements: Callable[[int], None] | None = None):
        self.client, self.blocks, self.progress = client, blocks, progress
        self.on_replacements = on_replacements
        self.buckets = buckets or max(1, 2 * sum(client.nthreads().values()))
        self.codes: list = []
        self.keep_state = False
        self.lines = 0

    def gather(self, futures: list) -> list:
        return _gather(self.client, futures, self.progress)

    def encode(self, errors: str, breaks: BreakSpec, fold) -> Vocabulary:
        """Decode and encode every block; the merged vocabulary (the codes stay on the workers).

        Whether the blocks keep a state between levels (4 bytes a character, saving a third
        of the counting) is decided here: only where it takes at most a quarter of the
        workers' memory (:data:`STATE_SHARE`); otherwise each level looks up the kept
        (n-1)-grams at every position again. The result is the same either way.
        """
        client = self.client
        fold = None if fold is None else _broadcast(client, fold)
        encoded = [client.submit(_encode_block, b, errors, breaks, fold, retries=2) for b in self.blocks]
        parts = self.gather([client.submit(_vocabulary_part, e) for e in encoded])
        vocab = _merged_vocabulary(parts)
        chars = _broadcast(client, vocab.chars)
        self.codes = [client.submit(_to_global, e, chars, retries=2) for e in encoded]
        positions, self.lines = sum(p[3] for p in parts), sum(p[4] for p in parts)
        if self.on_replacements is not None:
            self.on_replacements(sum(p[2] for p in parts))
        memory = sum(w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values())
        self.keep_state = 4 * positions <= STATE_SHARE * memory
        return vocab

    def count_levels(self, vocab: Vocabulary, max_n: int, min_count: int, entropy: bool,
                     stage: StageFn) -> Iterator[Level]:
        """Yield the kept levels ``1..max_n``, each once it is complete (its entropy sums, if
        ``entropy``, once the next level has been counted); an empty level ends them."""
        layout = KeyLayout.for_vocabulary(len(vocab), max_n + entropy)
        level = _unigram_level(vocab, layout, min_count)
        states = [None] * len(self.codes)
        for n in range(2, max_n + 1 + entropy):
            stage(f"counting {n}-grams")
            below, level = level, _distributed_level(self, states, level, n, layout, entropy, min_count,
                                                     len(vocab))
            yield below
            if n > max_n:
                return
            if not len(level.counts):
                break
        yield level


def _distributed_level(blocks: _Blocks, states, below: Level, n, layout, entropy, min_count,
                       vocab_size) -> Level:
    """Count level ``n`` over all blocks (map), merge and prune each bucket (reduce); add the
    entropy sums of ``below``. ``states`` (the blocks' futures of :func:`_count_block`) advance
    to level ``n``."""
    client = blocks.client
    below_keys = _broadcast(client, below.keys)
    mapped = [client.submit(_count_block, c, state, below_keys, n, layout, entropy, blocks.buckets,
                            vocab_size, retries=2) for c, state in zip(blocks.codes, states)]
    reduced = [client.submit(_merge_bucket, below_keys, n, layout, min_count, entropy,
                             *[client.submit(_bucket, m, b) for m in mapped], retries=2)
               for b in range(blocks.buckets)]
    if blocks.keep_state:
        states[:] = [client.submit(_state, m) for m in mapped]
    results = blocks.gather(reduced)
    for _, _, (right_rows, right_sums), (left_rows, left_sums) in results:
        np.add.at(below.right_sum, right_rows, right_sums)
        np.add.at(below.left_sum, left_rows, left_sums)
    keys = np.concatenate([r[0] for r in results]) if results else np.zeros((0, layout.words), np.uint64)
    counts = np.concatenate([r[1] for r in results]) if results else np.zeros(0, np.int64)
    return Level(n, keys.reshape(-1, layout.words), counts)


def _merged_vocabulary(parts: list[tuple]) -> Vocabulary:
    """The blocks' character counts summed and ranked as on one machine: count, then code point."""
    totals: dict[str, int] = {}
    after: dict[str, int] = {}
    for chars, counts, *_, after_number in parts:
        for char, count, behind in zip(chars, counts.tolist(), after_number.tolist()):
            totals[char] = totals.get(char, 0) + count
            after[char] = after.get(char, 0) + behind
    ranked = sorted(totals.items(), key=lambda item: (-item[1], ord(item[0])))
    return Vocabulary("".join(c for c, _ in ranked), np.array([k for _, k in ranked], np.int64),
                      np.array([after[c] for c, _ in ranked], np.int64))


def _broadcast(client, data):
    """``data`` as a future the tasks share. Held by a task, not scattered: if the worker
    holding it dies, Dask computes it again from the task (a broadcast scatter could wait
    forever on a worker killed meanwhile); workers pass it on to each other as they need it.
    The data travels in the task once, so Dask's warning about a large graph is silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        return client.submit(_held, data, pure=False)


def _held(data):
    return data


def _lost(err: Exception) -> ClusterError:
    return ClusterError(f"the Dask cluster lost the work ({type(err).__name__}: "
                        f"{str(err).splitlines()[0] if str(err) else 'cancelled'}); run it again")


def _gather(client, futures: list, progress: ProgressFn | None, result_of: list | None = None) -> list:
    """The results of ``futures`` in order (or, once they are done, of ``result_of``: futures
    that depend on them), reporting ``progress(done, total)`` as they finish; an error raised
    in a task is raised here (a worker's InputError stays one line)."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    try:
        for done, _ in enumerate(as_completed(futures), 1):
            if progress is not None:
                progress(done, len(futures))
        return client.gather(futures if result_of is None else result_of)
    except ZhtextError:
        raise
    except (CancelledError, KilledWorker, OSError, TimeoutError) as err:
        raise _lost(err) from None


# -------------------------------------------------------------------- discovery
# Pieces of the rough segmentation (zhtext.discover) cross the network as ragged arrays:
# ``(ids, starts, lengths, counts)``, piece i being ids[starts[i] : starts[i] + lengths[i]].
def discover_on_cluster(finder, sources, *, client=None, blocksize: int = DEFAULT_BLOCKSIZE,
                        buckets: int | None = None, encoding: str = "utf-8", errors: str = "strict",
                        breaks: BreakSpec = None, fold=None, progress: ProgressFn | None = None,
                        on_stage: StageFn | None = None, background=None,
                        on_replacements: Callable[[int], None] | None = None) -> None:
    """:meth:`zhtext.discover.WordDiscoverer.fit` of the files ``sources`` on a Dask cluster:
    sets ``finder.stats_``, ``min_count_``, ``thresholds_`` and ``lexicon_``, equal to one
    machine's. The n-grams are counted as by :func:`fit_ngrams` (no entropies); then a map
    task per block marks the covered gaps and counts its pieces, reducers merge each bucket of
    pieces over all blocks before the back-check, and a last pass over the blocks counts the
    accepted pieces' neighbours (and the strings' occurrences, for keyness)."""
    import_distributed()
    blocks = plan_blocks(sources, blocksize, encoding, errors)
    _on_cluster(client, blocks, buckets, progress, on_replacements,
                lambda cluster: _discover(finder, cluster, errors, breaks, fold,
                                          on_stage or (lambda name: None), background))


def _discover(finder, cluster: _Blocks, errors, breaks, fold, stage, background) -> None:
    stage("reading")
    vocab = cluster.encode(errors, breaks, fold)
    total = int(vocab.counts.sum())
    finder._fit_counts(total)
    stage("counting n-grams")
    levels = list(cluster.count_levels(vocab, finder.max_n, finder.min_count_, False, stage))
    stats = finder.stats_ = NgramStats.from_levels(vocab, total, levels, finder.max_n,
                                                   finder.min_count_, False)
    stage("segmenting and back-checking")
    passed_keys = stats.keys[finder._passes(stats.cohesions, stats.counts, stats.lengths, total)]
    han = han_codes(vocab)
    pieces, states = _accepted_pieces(cluster, passed_keys, stats.layout, finder.max_n, finder.min_count_,
                                      han)
    strings = background is not None and background.unit == "string"
    left, right, seen = _piece_neighbours(cluster, pieces, states, passed_keys, stats.layout,
                                          finder.max_n, han, vocab, finder.mixed, strings)
    ids, starts, lengths, counts = pieces
    finder.lexicon_ = finder._lexicon(ids, starts, lengths, counts, entropies(counts, left),
                                      entropies(counts, right), vocab, background, seen)


def _block_pieces(codes, passed_keys, layout: KeyLayout, max_n: int, han) -> tuple:
    """The rough segmentation of one block: ``(table, piece_at)`` of
    :func:`zhtext.discover._count_pieces` after covering the passed n-grams and letter runs."""
    covered = np.zeros(len(codes), np.uint8)
    slots, passed = _build_index(passed_keys), np.ones(len(passed_keys), np.bool_)
    for n in range(2, max_n + 1):      # keys of different lengths never collide: one index
        _cover(_rows_at_positions(codes, n, passed_keys, slots, layout.bits, layout.per_word), n,
               passed, covered)
    _cover_runs(codes, han, covered)
    piece_at = np.full(len(codes), -1, np.int32)
    return _count_pieces(codes, covered, piece_at), piece_at


def _pieces_of_block(codes, passed_keys, layout, max_n, han, buckets, keep_state: bool) -> tuple:
    """The block's distinct pieces with their counts, as ``buckets`` ragged parts by content
    hash, and (if ``keep_state``) its rough segmentation for the neighbour pass."""
    table, piece_at = _block_pieces(codes, passed_keys, layout, max_n, han)
    used = table[table[:, 2] > 0]
    ids, starts = _gather_pieces(codes, used[:, 0], used[:, 1])
    bucket = _piece_buckets(ids, starts, used[:, 1], buckets)
    parts = tuple(_ragged_take(ids, starts, used[:, 1], used[:, 2], bucket == b) for b in range(buckets))
    return parts, ((table, piece_at) if keep_state else None)


def _merge_pieces(passed_keys, layout, max_n, min_count, *parts) -> tuple:
    """One bucket of pieces over all blocks: counts merged, then the back-check of
    :func:`zhtext.discover._accept` (count >= min_count; every max_n-window passed)."""
    ids, starts, lengths, counts = _ragged_concat(parts)
    starts, lengths, counts = _merge_ragged(ids, starts, lengths, counts)
    accept = _back_checked(ids, starts, lengths, counts, min_count, max_n, passed_keys,
                           _build_index(passed_keys), layout.bits, layout.per_word)
    return _ragged_take(ids, starts, lengths, counts, accept)


def _neighbours_of_block(codes, state, pieces, passed_keys, layout, max_n, han, buckets, words) -> tuple:
    """The block's (accepted piece, neighbour) pair counts, left and right, as ``buckets`` parts
    by pair, and the block's occurrence counts of the strings ``words`` (None: not needed).
    ``state``: the block's rough segmentation kept by the pieces pass, or None to cut it again."""
    if state is None:
        table, piece_at = _block_pieces(codes, passed_keys, layout, max_n, han)
    else:
        table, piece_at = state[0], state[1].copy()     # the kept state stays as it was (retries)
    ids, starts, lengths, _ = pieces
    index = _piece_index(ids, starts, lengths)
    _accepted_at(codes, table, piece_at, ids, starts, lengths, index)
    sides = []
    for side in (0, 1):
        keys = _neighbour_pairs(codes, piece_at, lengths, side)
        keys, counts = _merge_equal(keys.reshape(-1, 1), np.ones(len(keys), np.int64))
        bucket = _buckets_of(keys, buckets)
        sides.append([(keys[bucket == b], counts[bucket == b]) for b in range(buckets)])
    return tuple(zip(*sides)), (None if words is None else _block_occurrences(codes, words))


def _merge_neighbours(size, *parts) -> tuple:
    """One bucket of neighbour pairs over all blocks: ``(rows, sums)`` of ``⌊c log c⌉`` of the
    pairs seen twice, per side."""
    out = []
    for side in (0, 1):
        keys = np.concatenate([np.zeros((0, 1), np.uint64), *(p[side][0] for p in parts)])
        counts = np.concatenate([np.zeros(0, np.int64), *(p[side][1] for p in parts)])
        keys, counts = _merge_equal(keys, counts)
        twice = counts >= 2
        rows = (keys[twice, 0] >> np.uint64(32)).astype(np.int64)
        out.append(_sum_by_row(rows, _gains(counts[twice]), size))
    return tuple(out)


def _accepted_pieces(cluster: _Blocks, passed_keys, layout, max_n, min_count, han) -> tuple:
    """The accepted pieces of the whole corpus, ragged, with their exact counts, and the futures
    of the blocks' rough segmentations (None where block states are not kept)."""
    client = cluster.client
    passed = _broadcast(client, passed_keys)
    mapped = [client.submit(_pieces_of_block, c, passed, layout, max_n, han, cluster.buckets,
                            cluster.keep_state, retries=2) for c in cluster.codes]
    reduced = [client.submit(_merge_pieces, passed, layout, max_n, min_count,
                             *[client.submit(_bucket, m, b) for m in mapped], retries=2)
               for b in range(cluster.buckets)]
    states = [client.submit(_state, m) for m in mapped]
    return _ragged_concat(cluster.gather(reduced)), states


def _piece_neighbours(cluster: _Blocks, pieces, states, passed_keys, layout, max_n, han, vocab, mixed,
                      strings: bool) -> tuple:
    """Left and right neighbour sums of every accepted piece, and a function giving the
    corpus's occurrence counts of the entries (summed over the blocks, as :func:`occurrences`;
    counted only if ``strings``). ``states``: the blocks' rough segmentations (or Nones)."""
    client = cluster.client
    ids, starts, lengths, _ = pieces
    chars = vocab.char_array()
    entries = [w for w in ("".join(chars[ids[s: s + n]]) for s, n in zip(starts.tolist(), lengths.tolist()))
               if strings and is_lexicon_word(w, mixed)]
    words = _broadcast(client, (entries, vocab.chars))
    shared = _broadcast(client, (pieces, passed_keys))
    mapped = [client.submit(_neighbours_task, c, state, shared, layout, max_n, han, cluster.buckets,
                            words, retries=2) for c, state in zip(cluster.codes, states)]
    reduced = [client.submit(_merge_neighbours, len(lengths),
                             *[client.submit(_bucket, m, b) for m in mapped], retries=2)
               for b in range(cluster.buckets)]
    occurrences = [client.submit(operator.itemgetter(1), m) for m in mapped]
    sums = [np.zeros(len(lengths), np.int64), np.zeros(len(lengths), np.int64)]
    for result in cluster.gather(reduced):
        for side, (rows, gains) in enumerate(result):
            np.add.at(sums[side], rows, gains)
    seen = np.sum([np.zeros(len(entries), np.int64), *cluster.gather(occurrences)], axis=0)
    known = dict(zip(entries, seen.tolist()))
    return sums[0], sums[1], lambda asked: np.array([known[w] for w in asked], np.int64)


def _neighbours_task(codes, state, shared, layout, max_n, han, buckets, words) -> tuple:
    (pieces, passed_keys), (entries, chars) = shared, words
    return _neighbours_of_block(codes, state, pieces, passed_keys, layout, max_n, han, buckets,
                                (entries, chars))


def _block_occurrences(codes, words) -> np.ndarray:
    """Occurrences of the strings ``words[0]`` in one block whose ids are those of the
    characters ``words[1]`` (:func:`zhtext.keyness.occurrences`)."""
    entries, chars = words
    return occurrences(EncodedCorpus(codes, Vocabulary(chars, np.ones(len(chars), np.int64)), 0), entries)


def _ragged_concat(parts) -> tuple:
    """Several ragged piece arrays as one."""
    parts = list(parts)
    ids = np.concatenate([np.zeros(0, np.int32), *(p[0].astype(np.int32) for p in parts)])
    offsets = np.cumsum([0] + [len(p[0]) for p in parts])[:-1]
    starts = np.concatenate([np.zeros(0, np.int64), *(p[1] + o for p, o in zip(parts, offsets))])
    lengths = np.concatenate([np.zeros(0, np.int64), *(p[2] for p in parts)])
    counts = np.concatenate([np.zeros(0, np.int64), *(p[3] for p in parts)])
    return ids, starts, lengths, counts


def _ragged_take(ids, starts, lengths, counts, mask) -> tuple:
    """The pieces where ``mask``, compacted."""
    kept_ids, kept_starts = _gather_pieces(ids, starts[mask], lengths[mask])
    return kept_ids, kept_starts, lengths[mask].astype(np.int64), counts[mask].astype(np.int64)


@njit(cache=True)
def _gather_pieces(codes, starts, lengths):
    """``codes[starts[i] : starts[i] + lengths[i]]`` for every i, concatenated, and their starts."""
    out = np.empty(lengths.sum(), np.int32)
    new_starts = np.empty(starts.shape[0], np.int64)
    at = 0
    for i in range(starts.shape[0]):
        new_starts[i] = at
        for j in range(lengths[i]):
            out[at + j] = codes[starts[i] + j]
        at += lengths[i]
    return out, new_starts


@njit(cache=True)
def _piece_buckets(ids, starts, lengths, buckets):
    out = np.empty(starts.shape[0], np.int64)
    for i in range(starts.shape[0]):
        out[i] = _piece_hash(ids, starts[i], lengths[i]) % np.uint64(buckets)
    return out


@njit(cache=True)
def _piece_index(ids, starts, lengths):
    """Open-addressing index over the pieces by content: slot -> piece (-1 empty)."""
    size = 1
    while size < 2 * starts.shape[0] + 2:
        size *= 2
    slots = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    for i in range(starts.shape[0]):
        slot = _piece_hash(ids, starts[i], lengths[i]) & mask
        while slots[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        slots[slot] = i
    return slots


@njit(cache=True)
def _find_piece(slots, ids, starts, lengths, codes, start, length):
    """The piece equal to ``codes[start : start + length]``, or -1."""
    mask = np.uint64(slots.shape[0] - 1)
    slot = _piece_hash(codes, start, length) & mask
    while slots[slot] >= 0:
        i = slots[slot]
        if lengths[i] == length:
            same = True
            for j in range(length):
                if ids[starts[i] + j] != codes[start + j]:
                    same = False
                    break
            if same:
                return i
        slot = (slot + np.uint64(1)) & mask
    return -1


@njit(cache=True)
def _merge_ragged(ids, starts, lengths, counts):
    """Equal pieces as one (the first's start kept), counts added."""
    size = 1
    while size < 2 * starts.shape[0] + 2:
        size *= 2
    slots = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    merged = np.zeros(starts.shape[0], np.int64)
    first = np.empty(starts.shape[0], np.int64)
    used = 0
    for i in range(starts.shape[0]):
        slot = _piece_hash(ids, starts[i], lengths[i]) & mask
        while slots[slot] >= 0:
            r = slots[slot]
            if lengths[first[r]] == lengths[i] and _same_piece(ids, starts[first[r]], starts[i], lengths[i]):
                break
            slot = (slot + np.uint64(1)) & mask
        if slots[slot] < 0:
            slots[slot] = used
            first[used] = i
            used += 1
        merged[slots[slot]] += counts[i]
    return starts[first[:used]], lengths[first[:used]], merged[:used]


@njit(cache=True)
def _back_checked(ids, starts, lengths, counts, min_count, max_n, keys, slots, bits, per_word):
    """The back-check of :func:`zhtext.discover._accept` on ragged pieces."""
    out = np.zeros(starts.shape[0], np.bool_)
    for i in range(starts.shape[0]):
        out[i] = counts[i] >= min_count and (
            lengths[i] < 3 or _windows_kept(ids, starts[i], lengths[i], max_n, keys, slots, bits, per_word))
    return out


@njit(cache=True)
def _accepted_at(codes, table, piece_at, ids, starts, lengths, index):
    """``piece_at`` (local table slots) becomes the accepted piece at each start, or -1."""
    accepted = np.full(table.shape[0], -1, np.int64)
    for slot in range(table.shape[0]):
        if table[slot, 2] > 0:
            accepted[slot] = _find_piece(index, ids, starts, lengths, codes, table[slot, 0], table[slot, 1])
    for i in range(piece_at.shape[0]):
        if piece_at[i] >= 0:
            piece_at[i] = accepted[piece_at[i]]


@njit(cache=True)
def _neighbour_pairs(codes, piece_at, lengths, side):
    """``piece << 32 | neighbour`` of every occurrence of an accepted piece with a neighbouring
    character on ``side`` (0 left, 1 right)."""
    out = np.empty(piece_at.shape[0], np.uint64)
    used = 0
    for s in range(piece_at.shape[0]):
        key = neighbour_pair(codes, piece_at, lengths, s, side)
        if key != 0:
            out[used] = key
            used += 1
    return out[:used]


# -------------------------------------------------------------------- segmenter
def fit_segmenter(sources: Sequence[str | os.PathLike], *, scorer: str, max_n: int, min_count: int,
                  base=None, client=None, blocksize: int = DEFAULT_BLOCKSIZE, buckets: int | None = None,
                  encoding: str = "utf-8", errors: str = "strict", progress: ProgressFn | None = None,
                  on_stage: StageFn | None = None, on_replacements: Callable[[int], None] | None = None):
    """:meth:`zhtext.segment.Segmenter.fit` of the files ``sources`` on a Dask cluster: the same
    model, bit for bit.

    The script-folded Han runs are counted as by :func:`fit_ngrams`, with
    entropies, and the candidate words follow on the client
    (:meth:`~zhtext.segment.Segmenter.learn`). Each E-step of the EM is a map
    task per block (forward-backward over its Han runs: a run never crosses a
    block, whose edges are line ends) and a tree of sums on the workers; the
    expected counts are fixed-point integers (:data:`zhtext.segment.EXPECTED_SCALE`),
    so the sum is the same in any order. Per step, the word weights go out and
    one array of counts comes back.
    """
    import_distributed()
    check_orders(max_n, min_count)
    blocks = plan_blocks(sources, blocksize, encoding, errors)
    options = {"scorer": scorer, "max_n": max_n, "min_count": min_count, "base": base}
    return _on_cluster(client, blocks, buckets, progress, on_replacements,
                       lambda cluster: _fit_segmenter(cluster, errors, on_stage or (lambda name: None),
                                                      options))


def _fit_segmenter(cluster: _Blocks, errors, stage, options: dict):
    stage("reading")
    vocab = cluster.encode(errors, outside_han, fold_table())
    if not vocab.counts.sum():
        raise InputError(NO_HAN)
    levels = (level for level in cluster.count_levels(vocab, options["max_n"], options["min_count"], True,
                                                      stage)
              if level.n == 1 or len(level.counts))
    return Segmenter.learn(vocab, cluster.lines, levels,
                           lambda rows: _cluster_e_step(cluster, vocab, rows, options["max_n"]),
                           on_stage=stage, **options)


def _cluster_e_step(cluster: _Blocks, vocab: Vocabulary, rows: np.ndarray, max_n: int) -> EStep:
    """The E-step of :func:`zhtext.segment.unigram_log_probs` over the blocks of ``cluster``."""
    client = cluster.client
    table = _broadcast(client, (_vocab_points(vocab), *_word_table(rows)))

    def e_step(weights: np.ndarray) -> tuple[np.ndarray, int]:
        shared = _broadcast(client, weights)
        parts = [client.submit(_block_e_step, codes, table, shared, max_n, len(rows), retries=2)
                 for codes in cluster.codes]
        total = parts
        while len(total) > 1:
            total = [client.submit(_sum_e_steps, *total[i:i + 2], retries=2) for i in range(0, len(total), 2)]
        return _gather(client, parts, cluster.progress, result_of=total)[0]
    return e_step


def _block_e_step(codes, table, weights, max_n: int, size: int) -> tuple[np.ndarray, int]:
    """``(expected counts, log-likelihood)`` of one block's Han runs, in fixed point."""
    points, keys, index = table
    counts = np.zeros(size, np.int64)
    return counts, int(_expected_counts(codes, points, keys, index, weights, max_n, counts))


def _sum_e_steps(*steps) -> tuple[np.ndarray, int]:
    return sum(s[0] for s in steps), sum(s[1] for s in steps)
