r"""Exact character n-gram statistics: counts, cohesion and branching entropy (Numba).

What is computed, for every n-gram ``w`` of length ``1..max_n`` inside a fragment
(see :mod:`zhtext.encode`) with ``c(w) >= min_count``:

* **count** ``c(w)`` — exact: every occurrence inside a fragment, none across a
  boundary, none lost at a fragment start or end;
* **probability** ``P(w) = c(w) / T`` with ``T`` the number of word characters;
* **cohesion** (n >= 2), the weakest binary split's pointwise mutual information

  .. math:: \mathrm{coh}(w) = \min_{k=1}^{n-1} \log\frac{P(w)}{P(w_{1..k})\,P(w_{k+1..n})}

* **left / right branching entropy** of the neighbouring characters, in nats

  .. math:: H_R(w) = -\sum_x \frac{c(wx)}{c(w)} \log\frac{c(wx)}{c(w)}
            = \log c(w) - \frac{1}{c(w)}\sum_{x} c(wx)\log c(wx)

  where a fragment edge counts as a new, distinct neighbour each time it occurs
  (an edge contributes ``c log c = 0`` to the sum). So only neighbours seen at
  least twice matter, and the sum is exact once every ``(n+1)``-gram with a
  count of 2 or more is known.
* **score** ``coh(w) + min(H_L(w), H_R(w))`` (``min(H_L, H_R)`` for n = 1): high
  when the characters stick together *and* the whole combines freely with its
  context on both sides.

How (level by level, apriori): level 1 is a ``bincount``. Level ``n`` counts an
n-gram only where its ``(n-1)``-prefix or ``(n-1)``-suffix was kept at level
``n-1``; a frequent n-gram has both a frequent prefix and suffix, so nothing
with ``c >= min_count`` is missed and counts stay exact, while the hash table
holds only candidates next to frequent n-grams — memory grows with what is
kept, not with corpus size. Level ``max_n + 1`` is counted only to finish the
entropy sums of level ``max_n`` and then dropped.

Keys: an n-gram's ids are packed into ``words`` unsigned 64-bit integers,
``bits = bit_length(V)`` bits per character (ids are non-zero, so n-grams of
different lengths never share a key).

Canonical results: the statistics depend on the text only, never on how it
was counted (threads, hash-table sizes, or the partitions of a cluster,
:mod:`zhtext.distributed`). Rows are ordered by length, then by key; the
entropy sums ``Σ c log c`` are accumulated in fixed point (integers of
``2**-20`` nats, :data:`SUM_SCALE`), so their order of arrival cannot change
a bit.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
from numba import njit

from . import modelfile
from .atomic import atomic_open
from .corpus import ProgressFn
from .encode import EncodedCorpus, Vocabulary, encode
from .errors import InputError, ModelError
from .hashing import GOLDEN, splitmix64

FORMAT = "zhtext-ngrams"
FORMAT_VERSION = 2   # 2: the header as UTF-8 bytes (zhtext.modelfile)
MAX_ORDER = 12
THREADS = max(1, min(2, os.cpu_count() or 1))
"""Counting threads: each level is split into this many hash partitions."""
DENSE_PAIRS = 1 << 25
"""Bigrams are counted in a dense matrix when (V+1)^2 cells fit in this many (128 MB)."""
SUM_SCALE = float(1 << 20)
"""Fixed point of the entropy sums: ``c log c`` is added as ``round(c log c * SUM_SCALE)``."""
COLUMNS = ("ngram", "length", "count", "probability", "cohesion", "left_entropy",
           "right_entropy", "score")


# --------------------------------------------------------------------------- keys
@dataclass(frozen=True)
class KeyLayout:
    """How n-grams of at most ``max_len`` characters from ``V`` ids pack into uint64 words."""

    bits: int
    per_word: int
    words: int

    @classmethod
    def for_vocabulary(cls, size: int, max_len: int) -> KeyLayout:
        bits = max(1, int(size).bit_length())
        per_word = 64 // bits
        return cls(bits, per_word, -(-max_len // per_word))

    def _replace_words(self, words: int) -> KeyLayout:
        """The same packing with ``words`` words per key (as stored keys were made)."""
        return KeyLayout(self.bits, self.per_word, words)


@njit(cache=True, inline="always")
def _hash(key):
    h = splitmix64(key[0] + GOLDEN)
    for w in range(1, key.shape[0]):
        h = splitmix64(h ^ key[w])
    return h


@njit(cache=True, inline="always")
def _pack(codes, start, length, bits, per_word, key):
    """Write the ids ``codes[start:start+length]`` into ``key`` (cleared first)."""
    key[:] = 0
    for j in range(length):
        key[j // per_word] |= np.uint64(codes[start + j]) << np.uint64((j % per_word) * bits)


@njit(cache=True, inline="always")
def _gain(c):
    """``c log c`` in fixed point (see :data:`SUM_SCALE`): integer sums are exact in any order."""
    return np.int64(c * math.log(c) * SUM_SCALE + 0.5)


@njit(cache=True)
def _gains(counts):
    """:func:`_gain` of every count."""
    out = np.empty(counts.shape[0], np.int64)
    for i in range(counts.shape[0]):
        out[i] = _gain(counts[i]) if counts[i] > 0 else 0
    return out


@njit(cache=True, inline="always")
def _same(keys, row, key):
    for w in range(key.shape[0]):
        if keys[row, w] != key[w]:
            return False
    return True


@njit(cache=True)
def _build_index(keys):
    """Open-addressing index over the rows of ``keys``: slot -> row (-1 empty), load <= 1/2."""
    size = 1
    while size < 2 * keys.shape[0] + 2:
        size *= 2
    slots = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    for row in range(keys.shape[0]):
        slot = _hash(keys[row]) & mask
        while slots[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        slots[slot] = row
    return slots


@njit(cache=True, inline="always")
def _find(slots, keys, key):
    """Row of ``key`` in an index built by :func:`_build_index`, or -1."""
    mask = np.uint64(slots.shape[0] - 1)
    slot = _hash(key) & mask
    while True:
        row = slots[slot]
        if row < 0 or _same(keys, row, key):
            return row
        slot = (slot + np.uint64(1)) & mask


# --------------------------------------------------------------------- counting
# A counting table has one row per slot: the key words, then one word holding the
# count (low 32 bits; 0: an empty slot) and the n-gram's id (high 32 bits: its
# insertion order, stable when the table grows); ``first[id]`` is the start of its
# first occurrence.
_COUNT_MASK = np.uint64(0xFFFFFFFF)
_ID_SHIFT = np.uint64(32)
MAX_CHARACTERS = (1 << 32) - 1
"""Longest encoded corpus the counter takes: counts and ids are held in 32 bits."""


@njit(cache=True, nogil=True)
def _count_level(codes, n, bits, per_word, words, prev_row_at, id_at, either, capacity,
                 parts, part):
    """Count the n-grams whose (n-1)-prefix or (n-1)-suffix was kept at level n-1.

    ``prev_row_at[i]`` is the kept row of the (n-1)-gram starting at ``i`` (-1 if
    none). With ``either`` one kept side suffices (needed to finish the
    entropies of level n-1); otherwise both must be kept (all a count >= min_count
    needs). Writes ``id_at[i] = id * parts + part`` for the n-gram starting at
    ``i`` and returns ``(table, first)`` (see above); ``capacity`` is the
    starting size, a power of two.

    Threads count disjoint partitions into their own tables: an n-gram belongs
    to partition ``(first id + last id) % parts``, decided before any hashing.
    """
    cell = words  # the count and id word
    table = np.zeros((capacity, words + 1), np.uint64)
    first = np.zeros(1 << 16, np.int64)
    used = 0
    key = np.zeros(words, np.uint64)
    run = 0
    for end in range(codes.shape[0]):
        if codes[end] == 0:
            run = 0
            continue
        run += 1
        if run < n:
            continue
        start = end - n + 1
        if parts > 1 and (codes[start] + codes[end]) % parts != part:
            continue
        has_prefix = prev_row_at[start] >= 0
        has_suffix = prev_row_at[start + 1] >= 0
        if not (has_prefix or has_suffix) or not (either or (has_prefix and has_suffix)):
            continue
        _pack(codes, start, n, bits, per_word, key)
        mask = np.uint64(capacity - 1)
        slot = _hash(key) & mask
        while table[slot, cell] != 0 and not _same(table, slot, key):
            slot = (slot + np.uint64(1)) & mask
        if table[slot, cell] != 0:
            table[slot, cell] += np.uint64(1)
            id_at[start] = np.int64(table[slot, cell] >> _ID_SHIFT) * parts + part
            continue
        table[slot, :words] = key
        table[slot, cell] = (np.uint64(used) << _ID_SHIFT) | np.uint64(1)
        id_at[start] = used * parts + part
        if used == first.shape[0]:
            first = np.concatenate((first, np.zeros(used, np.int64)))
        first[used] = start
        used += 1
        if 2 * used > capacity:
            table, capacity = _grow(table, words)
    return table, first[:used]


@njit(cache=True, nogil=True)
def _grow(table, words):
    """Double the table and rehash (ids, and so ``id_at``, are unaffected)."""
    capacity = 2 * table.shape[0]
    grown = np.zeros((capacity, table.shape[1]), np.uint64)
    mask = np.uint64(capacity - 1)
    for row in range(table.shape[0]):
        if table[row, words] != 0:
            slot = _hash(table[row, :words]) & mask
            while grown[slot, words] != 0:
                slot = (slot + np.uint64(1)) & mask
            grown[slot] = table[row]
    return grown, capacity


@njit(cache=True, nogil=True)
def _neighbour_sums(table, words, first, prev_row_at, prev_left, prev_right):
    """Each counted n-gram with ``c >= 2`` adds ``c log c`` to the right sum of its
    prefix and to the left sum of its suffix (rows of the level below)."""
    for slot in range(table.shape[0]):
        c = table[slot, words] & _COUNT_MASK
        if c >= 2:
            start = first[table[slot, words] >> _ID_SHIFT]
            gain = _gain(c)
            if prev_row_at[start] >= 0:
                prev_right[prev_row_at[start]] += gain
            if prev_row_at[start + 1] >= 0:
                prev_left[prev_row_at[start + 1]] += gain


@njit(cache=True, nogil=True)
def _kept_rows(table, words, used, min_count, first_row):
    """``(keys, counts, row_of)`` of the n-grams with ``c >= min_count``, in slot order;
    ``row_of``: id -> kept row, numbered from ``first_row`` (-1 if pruned)."""
    kept = 0
    for slot in range(table.shape[0]):
        if (table[slot, words] & _COUNT_MASK) >= min_count:
            kept += 1
    keys = np.zeros((kept, words), np.uint64)
    counts = np.zeros(kept, np.int64)
    row_of = np.full(used, -1, np.int64)
    row = 0
    for slot in range(table.shape[0]):
        c = table[slot, words] & _COUNT_MASK
        if c >= min_count:
            keys[row] = table[slot, :words]
            counts[row] = c
            row_of[table[slot, words] >> _ID_SHIFT] = first_row + row
            row += 1
    return keys, counts, row_of


@njit(cache=True, nogil=True)
def _rows_at(slot_at, row_of):
    """Turn ``slot_at`` (``id * parts + part``) into kept rows (-1 where pruned)."""
    for i in range(slot_at.shape[0]):
        if slot_at[i] >= 0:
            slot_at[i] = row_of[slot_at[i]]


@njit(cache=True)
def _cohesion(keys, lengths, counts, table_keys, table_counts, slots, total, bits, per_word):
    """min over splits of log(c(w) T / (c(a) c(b))) for each row; NaN for single characters.

    The parts ``a``, ``b`` are looked up in ``table_keys`` (indexed by ``slots``),
    which must hold every shorter kept n-gram.
    """
    out = np.full(counts.shape[0], np.nan)
    mask_len = np.uint64((1 << bits) - 1)
    ids = np.zeros(MAX_ORDER + 1, np.int32)
    side = np.zeros(keys.shape[1], np.uint64)
    log_total = math.log(total)
    for row in range(counts.shape[0]):
        n = lengths[row]
        if n < 2:
            continue
        for j in range(n):
            ids[j] = (keys[row, j // per_word] >> np.uint64((j % per_word) * bits)) & mask_len
        best = np.inf
        for k in range(1, n):
            _pack(ids, 0, k, bits, per_word, side)
            left = table_counts[_find(slots, table_keys, side)]
            _pack(ids, k, n - k, bits, per_word, side)
            right = table_counts[_find(slots, table_keys, side)]
            best = min(best, math.log(counts[row]) + log_total - math.log(left) - math.log(right))
        out[row] = best
    return out


@njit(cache=True)
def _unpack_ids(keys, lengths, bits, per_word, width):
    """The ids of every row as a ``(rows, width)`` matrix, 0-padded."""
    out = np.zeros((keys.shape[0], width), np.int32)
    mask_len = np.uint64((1 << bits) - 1)
    for row in range(keys.shape[0]):
        for j in range(lengths[row]):
            out[row, j] = (keys[row, j // per_word] >> np.uint64((j % per_word) * bits)) & mask_len
    return out


@njit(cache=True)
def _affix_rows(ids, keys, slots, bits, per_word):
    """Rows in ``keys`` (indexed by ``slots``) of ``ids[r, :-1]`` and ``ids[r, 1:]`` for every row ``r``."""
    prefix = np.empty(ids.shape[0], np.int64)
    suffix = np.empty(ids.shape[0], np.int64)
    key = np.zeros(keys.shape[1], np.uint64)
    n = ids.shape[1]
    for row in range(ids.shape[0]):
        _pack(ids[row], 0, n - 1, bits, per_word, key)
        prefix[row] = _find(slots, keys, key)
        _pack(ids[row], 1, n - 1, bits, per_word, key)
        suffix[row] = _find(slots, keys, key)
    return prefix, suffix


# ------------------------------------------------------------------ the object
class NgramStats:
    """Exact n-gram statistics of a corpus; build with :meth:`fit`, query by string.

    One row per n-gram of length ``1..max_n`` seen at least ``min_count``
    times inside a fragment (the formulas are in the module docstring). Rows
    are in the canonical order (by length, then by key), so the table depends
    on the text only, never on how it was counted. Query one n-gram by string
    (:meth:`count`, :meth:`cohesion`, ...), or read the columns below, which
    are aligned with :meth:`strings`.

    Attributes
    ----------
    vocab : zhtext.encode.Vocabulary
        The word characters and their counts.
    total : int
        ``T``, the number of word characters: the denominator of ``P(w)``.
    max_n, min_count : int
        What was counted: lengths ``1..max_n``, counts ``>= min_count``.
    lengths, counts : numpy.ndarray
        Length and exact count of each row.
    cohesions, left_entropies, right_entropies : numpy.ndarray
        ``coh(w)`` (NaN for one character), ``H_L(w)`` and ``H_R(w)`` in nats
        (NaN when fitted with ``entropy=False``).
    keys : numpy.ndarray
        The packed character ids of each row (``uint64``).

    Examples
    --------
    >>> from zhtext import NgramStats
    >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
    >>> stats.count("银行")
    3
    >>> len(stats), stats.total
    (24, 15)
    >>> "中国人民" in stats                       # longer than max_n: not counted
    False
    """

    def __init__(self, vocab: Vocabulary, total: int, max_n: int, min_count: int,
                 keys: np.ndarray, lengths: np.ndarray, counts: np.ndarray,
                 left_entropies: np.ndarray, right_entropies: np.ndarray,
                 cohesions: np.ndarray | None = None):
        self.vocab, self.total, self.max_n, self.min_count = vocab, int(total), max_n, min_count
        self.layout = KeyLayout.for_vocabulary(len(vocab), 1)._replace_words(keys.shape[1])
        self.keys, self.lengths, self.counts = keys, lengths, counts
        self.left_entropies, self.right_entropies = left_entropies, right_entropies
        self._slots = _build_index(keys)
        if cohesions is None:
            cohesions = _cohesion(keys, lengths, counts, keys, counts, self._slots,
                                  max(self.total, 1), self.layout.bits, self.layout.per_word)
        self.cohesions = cohesions

    # -- building ------------------------------------------------------------
    @classmethod
    def fit(cls, corpus, max_n: int = 4, min_count: int = 5, entropy: bool = True,
            progress: ProgressFn | None = None, *, engine: str = "local", client=None,
            blocksize: int | None = None, on_stage: Callable[[str], None] | None = None,
            **encode_options) -> NgramStats:
        """Count the n-grams of ``corpus`` exactly, with their cohesion and branching entropies.

        ``entropy=False`` skips the extra ``max_n + 1`` level and the candidates
        needed only for branching entropies (about twice as fast); the entropy
        columns are then NaN.

        ``engine="dask"`` counts on a Dask cluster (``client``, or a
        ``LocalCluster`` started for the call) in blocks of ``blocksize`` bytes;
        ``corpus`` is then files: a path or URL, a list of them, or a
        :class:`~zhtext.corpus.Corpus` of files. The result is the same, bit for
        bit (:mod:`zhtext.distributed`). ``on_stage(name)`` announces each stage;
        ``progress(done, total)`` counts bytes read (local) or tasks done (dask).

        Parameters
        ----------
        corpus : str, path-like, Corpus, iterable of str or EncodedCorpus
            Anything :func:`zhtext.encode.encode` reads (a ``str`` is a file
            name; a list of ``str`` is the text itself), or an
            :class:`~zhtext.encode.EncodedCorpus`.
        max_n : int, default 4
            The longest n-gram counted, ``1 <= max_n <= 11``.
        min_count : int, default 5
            The least count an n-gram needs to be kept.
        entropy : bool, default True
            Compute the branching entropies.
        progress : callable, optional
            ``progress(done, total)``, as above.
        engine : {"local", "dask"}, default "local"
            Where to count.
        client : distributed.Client, optional
            The cluster for ``engine="dask"``.
        blocksize : int, optional
            Bytes per task for ``engine="dask"``.
        on_stage : callable, optional
            ``on_stage(name)`` at the start of each stage.
        **encode_options
            Options of :func:`zhtext.encode.encode` and :class:`~zhtext.corpus.Corpus`
            (``breaks``, ``encoding``, ``errors``, ...).

        Returns
        -------
        NgramStats

        Raises
        ------
        InputError
            ``max_n`` or ``min_count`` out of range, an unknown ``engine``, an
            unreadable corpus, or one of more than ``2**32 - 1`` characters.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> len(stats), stats.total
        (33047, 710034)
        >>> stats.count("宝玉"), round(stats.cohesion("宝玉"), 3)
        (3861, 4.422)
        >>> fast = NgramStats.fit("corpora/hongloumeng.txt", max_n=3, entropy=False)
        >>> fast.count("宝玉"), fast.left_entropy("宝玉")
        (3861, nan)
        """
        stage = on_stage or (lambda name: None)
        if engine == "dask":
            from .distributed import DEFAULT_BLOCKSIZE, fit_ngrams, sources_of

            sources, options = sources_of(corpus, encode_options)
            return fit_ngrams(sources, max_n, min_count, entropy, client=client,
                              blocksize=blocksize or DEFAULT_BLOCKSIZE, progress=progress,
                              on_stage=stage, **options)
        if engine != "local":
            raise InputError(f"engine must be 'local' or 'dask', not {engine!r}")
        stage("reading")
        encoded = corpus if isinstance(corpus, EncodedCorpus) else encode(corpus, progress=progress,
                                                                          **encode_options)
        stage("counting n-grams")
        levels = [level for level, _ in count_levels(encoded, max_n, min_count, entropy)]
        return cls.from_levels(encoded.vocab, encoded.total, levels, max_n, min_count, entropy)

    @classmethod
    def from_levels(cls, vocab: Vocabulary, total: int, levels: list[Level], max_n: int,
                    min_count: int, entropy: bool, cohesions: np.ndarray | None = None) -> NgramStats:
        """Assemble the statistics from the levels :func:`count_levels` produced, rows in the
        canonical order (``cohesions``: already computed, in the levels' row order)."""
        levels, orders = zip(*(lv.in_key_order() for lv in levels))
        if cohesions is not None:
            ends = np.cumsum([len(order) for order in orders])[:-1]
            cohesions = np.concatenate([part[order] for part, order in
                                        zip(np.split(cohesions, ends), orders)])
        keys = np.concatenate([lv.keys for lv in levels])
        lengths = np.concatenate([np.full(len(lv.counts), lv.n, np.uint8) for lv in levels])
        counts = np.concatenate([lv.counts for lv in levels])
        left = np.concatenate([lv.entropy(lv.left_sum, entropy) for lv in levels])
        right = np.concatenate([lv.entropy(lv.right_sum, entropy) for lv in levels])
        return cls(vocab, total, max_n, min_count, keys, lengths, counts, left, right, cohesions)

    # -- queries ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.counts)

    def __contains__(self, ngram: str) -> bool:
        return self._row(ngram) >= 0

    def _key(self, ngram: str) -> np.ndarray | None:
        ids = self.vocab.encode(ngram)
        if not 1 <= len(ids) <= self.max_n or (ids <= 0).any():
            return None
        key = np.zeros(self.layout.words, np.uint64)
        _pack(ids, 0, len(ids), self.layout.bits, self.layout.per_word, key)
        return key

    def _row(self, ngram: str) -> int:
        key = self._key(ngram)
        return -1 if key is None else int(_find(self._slots, self.keys, key))

    def rows(self, ngrams: list[str]) -> np.ndarray:
        """Row index of each n-gram (-1 where absent or pruned): where to read the columns.

        Parameters
        ----------
        ngrams : list of str

        Returns
        -------
        numpy.ndarray
            ``int64``, one row index per n-gram.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
        >>> rows = stats.rows(["银行", "中国人民"])
        >>> rows
        array([ 7, -1])
        >>> int(stats.counts[rows[0]])
        3
        """
        return np.array([self._row(g) for g in ngrams], dtype=np.int64)

    def count(self, ngram: str) -> int:
        """The exact count ``c(w)`` of an n-gram: every occurrence inside a fragment.

        Parameters
        ----------
        ngram : str

        Returns
        -------
        int
            The count; 0 if the n-gram is absent, longer than ``max_n``, holds a
            break character or was seen fewer than ``min_count`` times.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
        >>> stats.count("银行"), stats.count("中国人"), stats.count("中国人民")
        (3, 1, 0)
        """
        row = self._row(ngram)
        return int(self.counts[row]) if row >= 0 else 0

    def probability(self, ngram: str) -> float:
        """``P(w) = c(w) / T``, with ``T`` the number of word characters (0 for an empty corpus).

        Parameters
        ----------
        ngram : str

        Returns
        -------
        float

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
        >>> stats.probability("银行")                # 3 of 15 characters
        0.2
        """
        return self.count(ngram) / self.total if self.total else 0.0

    def _value(self, column: np.ndarray, ngram: str) -> float:
        row = self._row(ngram)
        return float(column[row]) if row >= 0 else math.nan

    def cohesion(self, ngram: str) -> float:
        """Minimum PMI over binary splits (nats): how much the weakest split beats chance.

        ``coh(w) = min_k log(P(w) / (P(w[:k]) P(w[k:])))``; high when the parts
        occur together more often than apart.

        Parameters
        ----------
        ngram : str

        Returns
        -------
        float
            NaN for one character or an unknown n-gram.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> round(stats.cohesion("宝玉"), 3), round(stats.cohesion("宝玉笑"), 3)
        (4.422, 2.539)
        >>> stats.cohesion("玉")
        nan
        """
        return self._value(self.cohesions, ngram)

    def left_entropy(self, ngram: str) -> float:
        """``H_L(w)``, the entropy (nats) of the character before the n-gram.

        A fragment edge counts as a new, distinct neighbour each time. High when
        the n-gram follows many different characters: it starts a unit.

        Parameters
        ----------
        ngram : str

        Returns
        -------
        float
            NaN for an unknown n-gram, and for all when fitted with ``entropy=False``.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> round(stats.left_entropy("宝玉"), 3), round(stats.left_entropy("玉"), 3)
        (7.059, 1.295)

        玉 mostly follows 宝 or 黛: a poor start of a word.
        """
        return self._value(self.left_entropies, ngram)

    def right_entropy(self, ngram: str) -> float:
        """``H_R(w)``, the entropy (nats) of the character after the n-gram.

        A fragment edge counts as a new, distinct neighbour each time. High when
        the n-gram precedes many different characters: it ends a unit.

        Parameters
        ----------
        ngram : str

        Returns
        -------
        float
            NaN for an unknown n-gram, and for all when fitted with ``entropy=False``.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> round(stats.right_entropy("宝玉"), 3), round(stats.right_entropy("宝玉笑"), 3)
        (4.986, 0.604)

        宝玉笑 goes on with 道 almost every time: a poor end of a word.
        """
        return self._value(self.right_entropies, ngram)

    @property
    def scores(self) -> np.ndarray:
        """``coh + min(H_L, H_R)`` per row (``min(H_L, H_R)`` for one character).

        Returns
        -------
        numpy.ndarray
            One score per row, aligned with :meth:`strings`.

        Examples
        --------
        >>> import numpy as np
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> best = np.argmax(np.where(stats.lengths == 2, stats.scores, -np.inf))
        >>> stats.strings()[best]                  # the best-scoring pair of characters
        '琵琶'
        """
        freedom = np.minimum(self.left_entropies, self.right_entropies)
        return np.where(self.lengths > 1, self.cohesions + freedom, freedom)

    def score(self, ngram: str) -> float:
        """``coh(w) + min(H_L(w), H_R(w))`` (``min(H_L, H_R)`` for one character).

        High when the characters stick together *and* the whole combines
        freely with its context on both sides: a word.

        Parameters
        ----------
        ngram : str

        Returns
        -------
        float
            NaN for an unknown n-gram.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> round(stats.score("宝玉"), 3), round(stats.score("宝玉笑"), 3)
        (9.408, 3.144)
        """
        return self._value(self.scores, ngram)

    def strings(self) -> list[str]:
        """The n-gram of every row, as strings, in row order.

        Returns
        -------
        list of str

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
        >>> stats.strings()[:8]                     # by length, then by key
        ['行', '银', '中', '人', '国', '民', '和', '银行']
        """
        ids = _unpack_ids(self.keys, self.lengths, self.layout.bits, self.layout.per_word,
                          self.max_n)
        chars = self.vocab.char_array()[ids]
        return ["".join(row[:n]) for row, n in zip(chars.tolist(), self.lengths.tolist())]

    def records(self, n: int | None = None) -> Iterator[tuple]:
        """Rows as tuples in :data:`COLUMNS` order, most frequent first (only length ``n`` if given).

        Equal counts keep the shorter n-gram first, then the row order.

        Parameters
        ----------
        n : int, optional
            Only the n-grams of this length.

        Yields
        ------
        tuple
            ``(ngram, length, count, probability, cohesion, left_entropy,
            right_entropy, score)``.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit("corpora/hongloumeng.txt", max_n=3)
        >>> for record in list(stats.records(2))[:3]:
        ...     print(record[:3], [round(value, 3) for value in record[3:]])
        ('宝玉', 2, 3861) [0.005, 4.422, 7.059, 4.986, 9.408]
        ('笑道', 2, 2355) [0.003, 3.715, 4.216, 7.764, 7.931]
        ('太太', 2, 1873) [0.003, 4.318, 3.141, 5.166, 7.459]
        """
        order = np.lexsort((self.lengths, -self.counts))
        if n is not None:
            order = order[self.lengths[order] == n]
        strings = self.strings()
        scores = self.scores
        for row in order.tolist():
            c = int(self.counts[row])
            yield (strings[row], int(self.lengths[row]), c, c / self.total,
                   float(self.cohesions[row]), float(self.left_entropies[row]),
                   float(self.right_entropies[row]), float(scores[row]))

    # -- persistence -----------------------------------------------------------
    def to_tsv(self, path, n: int | None = None) -> None:
        """Write a header and one row per n-gram (:data:`COLUMNS`), most frequent first.

        The file is written atomically: it appears whole or not at all.

        Parameters
        ----------
        path : str or path-like
            The file; ``"-"`` is standard output.
        n : int, optional
            Only the n-grams of this length.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
        >>> stats.to_tsv("-", n=3)                   # tab separated
        ngram   length  count   probability  cohesion  left_entropy  right_entropy  score
        民银行  3       2       0.133333     1.6094    0.0000        0.6931         1.6094
        人民银  3       2       0.133333     1.6094    0.6931        0.0000         1.6094
        国银行  3       1       0.0666667    0.9163    0.0000        0.0000         0.9163
        ...
        """
        with atomic_open(path) as out:
            out.write("\t".join(COLUMNS) + "\n")
            for rec in self.records(n):
                out.write(f"{rec[0]}\t{rec[1]}\t{rec[2]}\t{rec[3]:.6g}\t{rec[4]:.4f}\t"
                          f"{rec[5]:.4f}\t{rec[6]:.4f}\t{rec[7]:.4f}\n")

    def save(self, path) -> None:
        """Save as an uncompressed ``.npz`` (arrays plus a JSON header; :mod:`zhtext.modelfile`).

        No pickle: the file can be read without running code from it.

        Parameters
        ----------
        path : str or path-like

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from zhtext import NgramStats
        >>> stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     stats.save(Path(folder) / "ngrams.npz")
        ...     again = NgramStats.load(Path(folder) / "ngrams.npz")
        >>> again.count("银行"), again.strings() == stats.strings()
        (3, True)
        """
        modelfile.write(path, FORMAT, FORMAT_VERSION,
                        {"total": self.total, "max_n": self.max_n, "min_count": self.min_count},
                        {"chars": np.array(self.vocab.chars), "char_counts": self.vocab.counts,
                         **{name: getattr(self, name) for name in _ARRAYS}}, compress=False)

    @classmethod
    def load(cls, path) -> NgramStats:
        """Load a file written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        NgramStats

        Raises
        ------
        ModelError
            The file is missing, corrupt, or not n-gram statistics of this version.

        Examples
        --------
        >>> from zhtext import NgramStats
        >>> NgramStats.load("corpora/hongloumeng.txt")
        Traceback (most recent call last):
        ...
        zhtext.errors.ModelError: corpora/hongloumeng.txt: ...
        """
        header, data = modelfile.read(path, FORMAT, FORMAT_VERSION, ("chars", "char_counts", *_ARRAYS),
                                      "n-gram statistics")
        try:
            vocab = Vocabulary(str(data["chars"]), data["char_counts"])
            return cls(vocab, header["total"], header["max_n"], header["min_count"],
                       **{name: data[name] for name in _ARRAYS})
        except (KeyError, TypeError, ValueError) as err:
            raise ModelError(f"{path}: not a readable zhtext n-gram statistics file ({type(err).__name__})") from None


_ARRAYS = ("keys", "lengths", "counts", "left_entropies", "right_entropies")


def entropies(counts: np.ndarray, neighbour_sums: np.ndarray) -> np.ndarray:
    """Branching entropies ``log c - (1/c) Σ c' log c'`` from the fixed-point sums of
    :func:`_gain`, as ``(⌊c log c⌉ - Σ⌊c' log c'⌉) / c``: a single neighbour gives exactly 0,
    and nothing is below 0."""
    spread = _gains(counts) - neighbour_sums
    return np.maximum(spread, 0) / (SUM_SCALE * np.asarray(counts, np.float64))


@dataclass
class Level:
    """The kept n-grams of one length, and the neighbour sums of their entropies."""

    n: int
    keys: np.ndarray
    counts: np.ndarray

    def __post_init__(self):
        self.left_sum = np.zeros(len(self.counts), np.int64)    # fixed point, SUM_SCALE
        self.right_sum = np.zeros(len(self.counts), np.int64)

    def entropy(self, neighbour_sum: np.ndarray, known: bool = True) -> np.ndarray:
        """H = log c - (1/c) sum c' log c' (see the module docstring); NaN if not ``known``.

        Computed as ``(⌊c log c⌉ - Σ⌊c' log c'⌉) / c`` in the fixed point of the sums, so
        a single neighbour gives exactly 0; never below 0.
        """
        if not known:
            return np.full(len(self.counts), np.nan)
        return entropies(self.counts, neighbour_sum)

    def in_key_order(self) -> tuple[Level, np.ndarray]:
        """The same level with its rows sorted by key (the canonical order), and the order."""
        order = np.lexsort(self.keys.T[::-1]) if len(self.counts) else np.arange(0)
        level = Level(self.n, self.keys[order], self.counts[order])
        level.left_sum, level.right_sum = self.left_sum[order], self.right_sum[order]
        return level, order


def check_orders(max_n: int, min_count: int) -> None:
    """A one-line :class:`InputError` unless ``1 <= max_n < MAX_ORDER`` and ``min_count >= 1``."""
    if not 1 <= max_n <= MAX_ORDER - 1:
        raise InputError(f"max_n must be between 1 and {MAX_ORDER - 1}, not {max_n}")
    if min_count < 1:
        raise InputError(f"min_count must be at least 1, not {min_count}")


def count_levels(encoded: EncodedCorpus, max_n: int, min_count: int, entropy: bool = True,
                 low_memory: bool = False) -> Iterator[tuple[Level, np.ndarray]]:
    """Yield each level ``n = 1..max_n`` with its kept-row-per-position array.

    ``row_at[i]`` is the row in ``level`` of the n-gram starting at position ``i``
    of ``encoded.codes`` (-1 if none is kept there); it is valid only until the
    next level is requested. A level's entropy sums are complete once the next
    level has been counted (for ``max_n``: after the generator ends).
    ``low_memory`` counts the hash partitions one after the other, each pruned
    before the next is counted, instead of in parallel threads: about half
    the peak memory of the counting tables, the same result, slower.
    """
    check_orders(max_n, min_count)
    vocab, codes = encoded.vocab, encoded.codes
    if len(codes) > MAX_CHARACTERS:
        raise InputError(f"the corpus has {len(codes):,} characters; the n-gram counter takes at "
                         f"most {MAX_CHARACTERS:,}: split it")
    layout = KeyLayout.for_vocabulary(len(vocab), max_n + entropy)
    level = _unigram_level(vocab, layout, min_count)
    row_at = _unigram_rows(level, len(vocab))[codes]
    slot_at = np.empty_like(row_at)
    capacity = 1 << 16
    for n in range(2, max_n + 1 + entropy):
        yield level, row_at
        side = (len(vocab) if entropy else len(level.counts)) + 1  # ids that can take part
        if n == 2 and side ** 2 <= DENSE_PAIRS:
            level = _pair_level(codes, side, row_at, slot_at, entropy, min_count, layout, level)
        else:
            capacity = max(capacity, _power_of_two(4 * len(level.counts) // THREADS))
            tables = _count_partitions(codes, n, layout, row_at, slot_at, entropy, capacity,
                                       low_memory)
            level, capacity = _prune(tables, layout.words, min_count, row_at, slot_at, n,
                                     level if entropy else None)
        row_at, slot_at = slot_at, row_at
        if n > max_n:
            return
        if not len(level.counts):
            break
    yield level, row_at


def level_ids(level: Level, vocab_size: int) -> np.ndarray:
    """The character ids of every n-gram of ``level`` (one of :func:`count_levels` over a
    vocabulary of ``vocab_size``): an ``int32`` matrix, one row per n-gram, ``level.n`` columns."""
    layout = KeyLayout.for_vocabulary(vocab_size, 1)._replace_words(level.keys.shape[1])
    return _unpack_ids(level.keys, np.full(len(level.counts), level.n, np.uint8), layout.bits,
                       layout.per_word, level.n)


def affix_rows(level: Level, below_keys: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows in ``below_keys`` (the keys of the level ``n - 1``) of the prefix ``x[:-1]`` and the
    suffix ``x[1:]`` of every n-gram ``x`` of ``level`` (-1 where one is not kept; never for a
    kept ``x``, whose prefix and suffix are at least as frequent). Looked up by key: no
    per-position array, and of the level below only its keys."""
    layout = KeyLayout.for_vocabulary(vocab_size, 1)._replace_words(level.keys.shape[1])
    return _affix_rows(level_ids(level, vocab_size), below_keys, _build_index(below_keys),
                       layout.bits, layout.per_word)


def _pair_level(codes, size, unigram_row_at, row_at, either, min_count, layout, unigrams) -> Level:
    """Level 2 in a dense ``size x size`` matrix: with ids ranked by frequency, the frequent
    pairs share a small corner of it, so counting is cache friendly and needs no hashing.

    Fills ``row_at`` with the kept bigram rows and finishes the unigrams' entropy sums.
    """
    matrix = _count_pairs(codes, size, unigram_row_at, either)
    unigram_row = np.full(size, -1, np.int64)
    unigram_row[unigrams.keys[:, 0].astype(np.int64)] = np.arange(len(unigrams.counts))
    if either:
        _pair_sums(matrix, size, unigram_row, unigrams.left_sum, unigrams.right_sum)
    keys, counts = _pair_rows(matrix, size, min_count, layout.bits, layout.words)
    _pair_rows_at(codes, size, matrix, row_at)
    return Level(2, keys, counts)


@njit(cache=True, nogil=True)
def _count_pairs(codes, size, unigram_row_at, either):
    """Counts of the candidate bigrams (see :func:`_count_level`), indexed ``a * size + b``.

    Every id of a candidate is below ``size``: all ids with ``either``, else only
    kept characters take part, and those are the ids ``1..K`` (ranked by count).
    """
    matrix = np.zeros(size * size, np.uint32)
    for i in range(codes.shape[0] - 1):
        a, b = codes[i], codes[i + 1]
        if a == 0 or b == 0:
            continue
        has_prefix, has_suffix = unigram_row_at[i] >= 0, unigram_row_at[i + 1] >= 0
        if (has_prefix or has_suffix) and (either or (has_prefix and has_suffix)):
            matrix[a * size + b] += 1
    return matrix


@njit(cache=True, nogil=True)
def _pair_sums(matrix, size, unigram_row, left_sum, right_sum):
    """c log c of every bigram seen twice, into the sums of its two characters."""
    for cell in range(matrix.shape[0]):
        c = matrix[cell]
        if c >= 2:
            gain = _gain(c)
            a, b = cell // size, cell % size
            if unigram_row[a] >= 0:
                right_sum[unigram_row[a]] += gain
            if unigram_row[b] >= 0:
                left_sum[unigram_row[b]] += gain


@njit(cache=True, nogil=True)
def _pair_rows(matrix, size, min_count, bits, words):
    """Keys and counts of the kept bigrams; each matrix cell becomes its row + 1 (0: none)."""
    kept = 0
    for cell in range(matrix.shape[0]):
        if matrix[cell] >= min_count:
            kept += 1
    keys = np.zeros((kept, words), np.uint64)
    counts = np.zeros(kept, np.int64)
    row = 0
    for cell in range(matrix.shape[0]):
        c = matrix[cell]
        matrix[cell] = 0
        if c >= min_count:
            keys[row, 0] = np.uint64(cell // size) | (np.uint64(cell % size) << np.uint64(bits))
            counts[row] = c
            row += 1
            matrix[cell] = row
    return keys, counts


@njit(cache=True, nogil=True)
def _pair_rows_at(codes, size, matrix, row_at):
    for i in range(codes.shape[0] - 1):
        a, b = codes[i], codes[i + 1]
        inside = 0 < a < size and 0 < b < size
        row_at[i] = np.int64(matrix[a * size + b]) - 1 if inside else -1
    row_at[codes.shape[0] - 1] = -1


def _count_partitions(codes, n, layout, row_at, slot_at, either, capacity,
                      low_memory) -> Iterator[tuple]:
    """Count level ``n`` in :data:`THREADS` hash partitions, one thread each (Numba releases the
    GIL), or one after the other if ``low_memory``; yields their tables in partition order."""
    slot_at[:] = -1
    args = (codes, n, layout.bits, layout.per_word, layout.words, row_at, slot_at, either, capacity,
            THREADS)
    if THREADS == 1 or low_memory:
        for part in range(THREADS):
            yield _count_level(*args, part)
        return
    with ThreadPoolExecutor(THREADS) as pool:
        tables = list(pool.map(lambda part: _count_level(*args, part), range(THREADS)))
    while tables:
        yield tables.pop(0)


def _prune(tables: Iterator[tuple], words: int, min_count: int, row_at: np.ndarray,
           id_at: np.ndarray, n: int, below: Level | None) -> tuple[Level, int]:
    """Keep the n-grams with ``c >= min_count`` of each partition, freeing its table before the
    next is taken; ``id_at`` becomes ``row_at`` of the new level. With ``below``, first add the
    neighbour sums of its entropies (:func:`_neighbour_sums`). Returns the level and the largest
    table size."""
    keys, counts, rows_of, largest, done = [], [], [], 0, 0
    for table, first in tables:
        if below is not None:
            _neighbour_sums(table, words, first, row_at, below.left_sum, below.right_sum)
        kept_keys, kept_counts, rows = _kept_rows(table, words, len(first), min_count, done)
        keys.append(kept_keys)
        counts.append(kept_counts)
        rows_of.append(rows)
        largest, done = max(largest, table.shape[0]), done + len(kept_counts)
        del table, first  # before the next partition is counted (low_memory)
    parts = len(rows_of)
    row_of = np.full(parts * max(len(rows) for rows in rows_of), -1, np.int64)
    for part, rows in enumerate(rows_of):
        row_of[part: parts * len(rows): parts] = rows  # index id * parts + part
    _rows_at(id_at, row_of)
    return Level(n, np.concatenate(keys), np.concatenate(counts)), largest


def _power_of_two(n: int) -> int:
    return 1 << max(int(n) - 1, 1).bit_length()


def _unigram_level(vocab: Vocabulary, layout: KeyLayout, min_count: int) -> Level:
    ids = np.flatnonzero(vocab.counts >= min_count) + 1
    keys = np.zeros((len(ids), layout.words), np.uint64)
    keys[:, 0] = ids
    return Level(1, keys, vocab.counts[ids - 1])


def _unigram_rows(level: Level, vocab_size: int) -> np.ndarray:
    """id -> kept row of that single character (-1 for boundaries and rare characters)."""
    rows = np.full(vocab_size + 1, -1, np.int32)
    rows[level.keys[:, 0].astype(np.int64)] = np.arange(len(level.counts), dtype=np.int32)
    return rows
