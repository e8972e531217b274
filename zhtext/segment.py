"""Unsupervised word segmentation learned from raw text.

Method: normalized variation of branching entropy (nVBE; Magistry & Sagot
2012, after Harris 1955 and Jin & Tanaka-Ishii 2006) as boundary evidence,
combined with a word-unigram language model re-estimated by EM ("joint",
the default), decoded by dynamic programming.

1. Pre-tokenization (:mod:`zhtext.tokens`) fixes every token that is not
   Chinese text: letter/digit runs (numbers included), URLs, punctuation,
   whitespace. Only Han runs are left to the model.
2. In the Han runs of the training corpus every n-gram ``x`` of length
   ``1..max_n`` is counted (exactly, by :func:`zhtext.ngrams.count_levels`,
   the counter behind :mod:`zhtext.ngrams`), with the entropy of the character after it,
   ``h_r(x)``, and before it, ``h_l(x)``. The start or end of a run (a
   punctuation mark, a digit or letter run, a line end) tells nothing about
   what follows, so each occurrence of one counts as a neighbour of its own.
   A word boundary is where uncertainty *rises*, so

       VBE_r(x) = h_r(x) - h_r(x[:-1])        VBE_l(x) = h_l(x) - h_l(x[1:])

   (for one character, against the entropy of the character distribution).
   Longer strings have systematically lower entropies, so each is centred on
   its length: ``nVBE(x) = VBE(x) - mean over the n-grams y with |y| = |x|``.
   The *autonomy* of ``x`` is ``a(x) = nVBE_l(x) + nVBE_r(x)``.
3. ``joint``: candidate words are the single characters and the n-grams seen
   at least ``min_count`` times with ``a(x) > 0``. Word probabilities
   ``p(w)`` are re-estimated by EM, a segmentation weighing
   ``prod_i p(w_i) exp(a(w_i) |w_i|)``, and a Han run is cut into the words
   maximising ``sum_i log p(w_i) + a(w_i) |w_i|``. ``nvbe``: the words
   maximise ``sum_i a(w_i) |w_i|`` over all counted n-grams. A character no
   candidate covers is a word of its own.
4. A number and the measure word after it are two words (三 个, 一 种,
   两 次, 五 年, 十万 元): a candidate made of a Chinese number
   (:data:`NUMERALS`) and one *measure word* is dropped before EM.
   The corpus says which characters are measure words: those that follow a
   number written in digits (``3个``, ``１９９８年``) more often than chance,
   ``p(c | after a digit) > p(c)``, at least ``min_count`` times
   (:func:`measure_words`). A word-unigram model joins such pairs because
   they are frequent; the digits show that their first part varies freely.

Every statistic and every lookup is of the script-folded text
(:func:`zhtext.script.fold_table`: each traditional character read as its
simplified form), so traditional and simplified text pool their evidence; the
output keeps the input's characters.

Defaults, fixed a priori and never chosen by looking at a gold segmentation:
``max_n = 6`` (words of 7+ characters are rare in any Chinese standard and
their statistics are sparse), ``min_count = 2`` (an n-gram seen once has no
branching information: both its entropies are 0); EM stops on the relative
log-likelihood gain (``1e-4``), a label-free rule.

The decoder is one Numba pass: characters are hashed on the fly
(a 64-bit polynomial hash of the code points) and looked up in an
open-addressing table, so no Python object is touched per character. It
releases the GIL, so :meth:`Segmenter.segment_corpus` with ``jobs=N`` runs it
in N threads sharing one model. Learning keeps per corpus position only the
encoded text and the counter's two row arrays (12 bytes a character); the
rest grows with the n-grams kept (:func:`learning_memory` projects the peak).
"""

from __future__ import annotations

import codecs
import collections
import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from numba import njit

from . import modelfile, tokens
from .corpus import ProgressFn, as_corpus, text_batches
from .encode import EncodedCorpus, encode
from .ngrams import Level, affix_rows, count_levels, level_ids
from .errors import InputError, ModelError, renamed
from .hashing import GOLDEN
from .script import fold_table
from .shipped import shipped_path

FORMAT, VERSION = "zhtext-segmenter", 2
MAX_N, MIN_COUNT = 6, 2
EM_TOLERANCE, EM_MAX_ITERATIONS = 1e-4, 20
MIN_EXPECTED = 1.0
"""A learned word the model expects fewer times than this in its own text is dropped. Many words
are expected exactly once (one occurrence with one possible reading), so the test allows for the
rounding of the sums (``1e-6``): such a word stays whatever the order of the arithmetic."""
NUMERALS = "〇零一二三四五六七八九十两几百千万亿"
"""The characters of a number written in Chinese; one starting with 〇 or 零 (零件, 零售) is
no number phrase."""
NOT_MEASURE = NUMERALS + "多余"
"""Characters that follow digits without being measure words: digits of a number written in
Chinese (5万) and the approximations 多 and 余 (10多, 20余)."""
EM_THREADS = max(1, min(8, os.cpu_count() or 1))
_SEED = np.uint64(0x51ED270B27A1F00D)
_MUL = np.uint64(0x100000001B3)
_EMPTY = np.uint64(0)
_BATCH_CHARS = 1 << 20
_CHUNK = 1 << 20
_ALONE = -1e4


# -- hashing and the lookup table ------------------------------------------
@njit(cache=True)
def _extend(h: np.uint64, point) -> np.uint64:
    """Hash of a string extended by one code point (0 is reserved for an empty slot)."""
    out = h * _MUL + np.uint64(point) + np.uint64(1)
    return out if out != _EMPTY else np.uint64(1)


@njit(cache=True)
def _slot(keys: np.ndarray, h: np.uint64) -> int:
    """The slot of ``h`` in an open-addressing table: its own, or the empty one ending its probe."""
    mask = keys.shape[0] - 1
    i = int((h * GOLDEN) >> np.uint64(64 - _log2(keys.shape[0]))) & mask
    while keys[i] != h and keys[i] != _EMPTY:
        i = (i + 1) & mask
    return i


@njit(cache=True)
def _log2(size: int) -> int:
    bits = 0
    while (1 << bits) < size:
        bits += 1
    return max(bits, 1)


# -- words as rows of code points ---------------------------------------------
def word_rows(words: Iterable[str], width: int = MAX_N) -> np.ndarray:
    """Words as the model stores them: an ``int32`` matrix of script-folded code points,
    one row per word, padded with 0 to ``width`` columns (longer words are an error)."""
    words = list(words)
    rows = np.zeros((len(words), width), dtype=np.int32)
    fold = fold_table()
    for row, word in enumerate(words):
        points = tokens.code_points(word)
        if not 1 <= len(points) <= width:
            raise InputError(f"{word!r}: a word has 1 to {width} characters")
        rows[row, : len(points)] = fold[points]
    return rows


def _row_lengths(rows: np.ndarray) -> np.ndarray:
    return np.count_nonzero(rows, axis=1).astype(np.int64)


@njit(cache=True)
def _word_table(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An open-addressing table of the words (rows of code points, 0-padded) and their prefixes.

    Returns ``(keys, index)``: ``index[slot]`` is the row of the word hashed
    there, or -1 for an empty slot and for a string that is only a prefix of
    words (which lets a lookup stop at the first string that is neither).
    """
    total = 0
    for r in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            total += rows[r, c] != 0
    size = 2
    while size < 2 * total:
        size *= 2
    keys = np.zeros(size, dtype=np.uint64)
    index = np.full(size, -1, dtype=np.int64)
    for r in range(rows.shape[0]):
        h, i = _SEED, -1
        for c in range(rows.shape[1]):
            if rows[r, c] == 0:
                break
            h = _extend(h, rows[r, c])
            i = _slot(keys, h)
            keys[i] = h
        if i >= 0:
            index[i] = r
    return keys, index


@njit(cache=True)
def _lookup(keys: np.ndarray, index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The row in a :func:`_word_table` of each word of ``rows`` (-1 where it is not a word there)."""
    out = np.full(rows.shape[0], -1, dtype=np.int64)
    for r in range(rows.shape[0]):
        h = _SEED
        for c in range(rows.shape[1]):
            if rows[r, c] == 0:
                break
            h = _extend(h, rows[r, c])
        slot = _slot(keys, h)
        if keys[slot] == h:
            out[r] = index[slot]
    return out


@njit(cache=True, nogil=True)
def _count_words(codes: np.ndarray, points: np.ndarray, keys: np.ndarray, index: np.ndarray,
                 width: int, counts: np.ndarray) -> None:
    """Add to ``counts[row]`` every occurrence, inside a fragment of ``codes`` (read as code
    points through ``points``; 0 ends a fragment), of each word of a :func:`_word_table` of at
    most ``width`` characters. From each start the string grows while it is a word or a prefix
    of one, so a pass costs about one lookup per character plus one per word occurrence."""
    for i in range(codes.shape[0]):
        h = _SEED
        for j in range(i, min(i + width, codes.shape[0])):
            point = points[codes[j]]
            if point == 0:
                break
            h = _extend(h, point)
            slot = _slot(keys, h)
            if keys[slot] != h:
                break
            if index[slot] >= 0:
                counts[index[slot]] += 1


# -- learning ----------------------------------------------------------------
def _vocab_points(vocab) -> np.ndarray:
    """Code point of each character id (index 0, a break, is 0): the table through which
    learning reads the ``int32`` codes, so no code-point copy of the corpus is made."""
    return np.concatenate(([0], tokens.code_points(vocab.chars))).astype(np.int32)


NO_HAN = "the corpus has no Chinese (Han) text to learn from"


def outside_han(char: str) -> bool:
    """The breaks of learning: every character that is not Han (a picklable test, for Dask)."""
    return tokens.class_table()[ord(char)] != tokens.HAN


def measure_words(vocab, min_count: int = MIN_COUNT) -> str:
    """The characters of ``vocab`` that numbers announce: seen after a digit at least
    ``min_count`` times and more often than chance, ``a(c) / A > n(c) / T`` (``a(c)``: times
    after a digit, of ``A``; ``n(c)``: times in all, of ``T``; Han characters only). 个, 年, 元, 名, 次 …:
    measure words and units. Sorted; empty when the text has no number in digits.

    >>> from zhtext.encode import encode
    >>> from zhtext.segment import outside_han
    >>> measure_words(encode(["他买了3个苹果和2个梨，一共5元。"] * 2, breaks=outside_han).vocab)
    '个元'
    """
    han = np.array([tokens.is_han(c) for c in vocab.chars], bool)   # digits follow digits too
    after = np.where(han, vocab.after_number, 0).astype(np.float64)
    chance = vocab.counts * (after.sum() / max(1, int(vocab.counts[han].sum())))
    keep = han & (after >= min_count) & (after > chance)
    return "".join(sorted(c for c, k in zip(vocab.chars, keep.tolist()) if k and c not in NOT_MEASURE))


def _measure_vote(lists: list[str]) -> str:
    """The characters in more than half of the non-empty ``lists`` of measure words."""
    voters = [set(chars) for chars in lists if chars]
    votes = collections.Counter(c for chars in voters for c in chars)
    return "".join(sorted(c for c, n in votes.items() if 2 * n > len(voters)))


def number_phrases(rows: np.ndarray, measure: str) -> np.ndarray:
    """Which ``rows`` (:func:`word_rows`) are a Chinese number (:data:`NUMERALS`, not starting
    with 〇 or 零) followed by one of the ``measure`` words: 三个, 两次, 十万元 (compared
    through script-folded forms, as the rows are)."""
    lengths = _row_lengths(rows)
    last = rows[np.arange(len(rows)), np.maximum(lengths - 1, 0)]
    numeral = np.isin(rows, [ord(c) for c in NUMERALS])
    before_last = np.arange(rows.shape[1]) < (lengths - 1)[:, None]
    return ((lengths >= 2) & np.all(numeral | ~before_last, axis=1)
            & ~np.isin(rows[:, 0], [ord("〇"), ord("零")]) & np.isin(last, word_rows(measure, 1)))


def is_number_phrase(words: list[str], measure: str) -> np.ndarray:
    """:func:`number_phrases` of strings: which ``words`` are a number and a measure word."""
    if not words:
        return np.zeros(0, dtype=bool)
    return number_phrases(word_rows(words, max(map(len, words))), measure)


def _pad(points: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((points.shape[0], width), dtype=np.int32)
    out[:, : points.shape[1]] = points
    return out


def autonomy_table(encoded: EncodedCorpus, max_n: int = MAX_N, min_count: int = MIN_COUNT,
                   keep_all: bool = False, known: Segmenter | None = None):
    """``(rows, autonomies, counts)`` of the candidate words of an encoded corpus.

    ``encoded`` holds the Han runs of the corpus (every other character is a
    break). Counts and branching entropies are those of :func:`zhtext.ngrams.count_levels`
    (exact; a run edge is a distinct neighbour each time); see the module
    docstring for the formula and :func:`candidate_words` for what is kept.
    Memory beyond the counting grows with the n-grams kept, not the corpus.
    """
    return candidate_words(encoded.vocab, complete_levels(encoded, max_n, min_count), max_n,
                           min_count, keep_all, known)


def candidate_words(vocab, levels: Iterable[Level], max_n: int = MAX_N, min_count: int = MIN_COUNT,
                    keep_all: bool = False, known: Segmenter | None = None):
    """``(rows, autonomies, counts)`` from the levels ``1, 2, ...`` of a corpus's n-grams, each
    with complete entropy sums (:func:`complete_levels`, or a Dask cluster's), their rows in any
    order: the means are summed in fixed point (:func:`_order_free_mean`) and each length's
    words are sorted by their code points, so the result does not depend on where or in what
    order the n-grams were counted.

    Every single character is kept (one seen fewer than ``min_count`` times has
    no branching statistics, so both its entropies count as 0: exact for the
    default ``min_count`` of 2, where such a character is seen once), and every
    n-gram seen ``min_count`` times whose autonomy is positive; with
    ``keep_all`` every n-gram seen ``min_count`` times, and with ``known`` also
    the words of that model. ``rows`` are the words as :func:`word_rows` gives them.
    """
    points = _vocab_points(vocab)
    rare = np.flatnonzero(vocab.counts < min_count) + 1
    out_rows, out_scores, out_counts = [], [], []
    below = parent_l = parent_r = None   # the keys of the level below, and its entropies
    for level in levels:
        h_l, h_r = level.entropy(level.left_sum), level.entropy(level.right_sum)
        counts = level.counts.astype(np.int64)
        ids = level_ids(level, len(vocab))
        if below is None:   # single characters, against the entropy of the character distribution
            h0 = _entropy(vocab.counts)
            vbe_l = np.concatenate([h_l, np.zeros(len(rare))]) - h0
            vbe_r = np.concatenate([h_r, np.zeros(len(rare))]) - h0
            ids = np.concatenate([ids, rare.reshape(-1, 1).astype(ids.dtype)])
            counts = np.concatenate([counts, vocab.counts[rare - 1]])
        else:
            prefix, suffix = affix_rows(level, below, len(vocab))
            vbe_l, vbe_r = h_l - parent_l[suffix], h_r - parent_r[prefix]
        autonomy = vbe_l - _order_free_mean(vbe_l) + vbe_r - _order_free_mean(vbe_r)
        rows = _pad(points[ids], max_n)
        keep = np.ones(len(rows), dtype=bool) if keep_all or below is None else autonomy > 0
        if known is not None and below is not None:
            keep |= _lookup(known._keys, known._index, rows) >= 0
        keep = np.flatnonzero(keep)
        keep = keep[np.lexsort(rows[keep].T[::-1])]     # by code points: the canonical order
        out_rows.append(rows[keep])
        out_scores.append(autonomy[keep])
        out_counts.append(counts[keep])
        below, parent_l, parent_r = level.keys, h_l, h_r     # the rest of the level is freed
        del level, ids, rows, counts, vbe_l, vbe_r  # free before the next level is counted
    return np.concatenate(out_rows), np.concatenate(out_scores), np.concatenate(out_counts)


MEAN_SCALE = 1 << 24
"""Means of autonomy are summed in units of 2^-24 nats (:func:`_order_free_mean`)."""


def _order_free_mean(values: np.ndarray) -> float:
    """The mean of ``values``, summed as integers of ``1 / MEAN_SCALE``: the same in any order
    (a float sum is not), so one machine and a cluster give the same bits."""
    if not len(values):
        return 0.0
    total = sum(int(np.rint(values[i:i + _CHUNK] * MEAN_SCALE).astype(np.int64).sum())
                for i in range(0, len(values), _CHUNK))     # in chunks: small temporaries
    return total / MEAN_SCALE / len(values)


def _fixed_to_float(fixed: np.ndarray, scale: int) -> np.ndarray:
    """``fixed / scale`` (``fixed``: ``int64``) as ``float64`` in the memory of ``fixed``, a chunk
    at a time (each chunk is read before it is overwritten)."""
    out = fixed.view(np.float64)
    for i in range(0, len(fixed), _CHUNK):
        out[i:i + _CHUNK] = fixed[i:i + _CHUNK] / scale
    return out


def complete_levels(encoded: EncodedCorpus, max_n: int, min_count: int) -> Iterator[Level]:
    """The non-empty levels of :func:`count_levels`, each yielded once its entropy sums are
    complete (when the next level has been counted)."""
    pending = None
    for level, _ in count_levels(encoded, max_n, min_count, low_memory=True):
        if not len(level.counts) and level.n > 1:
            break
        if pending is not None:
            yield pending
        pending = level
    if pending is not None:
        yield pending


def _entropy(counts: np.ndarray) -> float:
    """Entropy (nats) of the distribution with these counts: log N - sum c log c / N."""
    counts = counts[counts > 0].astype(np.float64)
    total = counts.sum()
    return math.log(total) - float((counts * np.log(counts)).sum()) / total if total else 0.0


@njit(cache=True)
def _lattice(codes: np.ndarray, points: np.ndarray, lo: int, m: int, keys: np.ndarray,
             index: np.ndarray, weights: np.ndarray, max_n: int, edges: np.ndarray) -> None:
    """``edges[s, l-1]``: the candidate row of the word ``codes[lo+s : lo+s+l]``, or -1."""
    edges[:m] = -1
    for start in range(m):
        h = _SEED
        for length in range(1, min(max_n, m - start) + 1):
            h = _extend(h, points[codes[lo + start + length - 1]])
            slot = _slot(keys, h)
            if keys[slot] == _EMPTY:
                break
            if index[slot] >= 0 and weights[index[slot]] > -np.inf:
                edges[start, length - 1] = index[slot]


@njit(cache=True)
def _logaddexp(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


EXPECTED_SCALE = 1 << 28
"""Expected counts are summed in fixed point, in units of 2^-28 of a word (:func:`_expected_counts`):
integer sums are the same in any order, so the E-step gives the same bits whether the corpus is
one array, split between threads or between the blocks of a Dask cluster."""
LOGLIK_SCALE = 1 << 20
"""The log-likelihood of each Han run is summed in units of 2^-20 nats, for the same reason."""


@njit(cache=True, nogil=True)
def _expected_counts(codes: np.ndarray, points: np.ndarray, keys: np.ndarray, index: np.ndarray,
                     weights: np.ndarray, max_n: int, counts: np.ndarray) -> int:
    """E-step of EM over every Han run of ``codes`` (``points``: id -> code point); returns
    the total log-likelihood, in units of ``1 / LOGLIK_SCALE`` nats.

    A segmentation ``w_1..w_k`` of a run has weight ``prod_i exp(weights[w_i])``;
    forward-backward adds to ``counts[w]`` the expected number of times ``w``
    is a word, ``sum over edges of exp(alpha[s] + weights[w] + beta[s+|w|] - log Z)``,
    each term rounded to a multiple of ``1 / EXPECTED_SCALE`` (``counts`` is ``int64``).
    The lattice and the forward/backward arrays are sized by the longest run so far
    and reused (``int32`` edges: ``4 * max_n`` bytes per character of that run).
    """
    total = 0
    n, i = codes.shape[0], 0
    edges = np.empty((0, max_n), dtype=np.int32)
    alpha = np.empty(1)
    beta = np.empty(1)
    while i < n:
        if codes[i] == 0:
            i += 1
            continue
        j = i
        while j < n and codes[j] != 0:
            j += 1
        m = j - i
        if m > edges.shape[0]:
            edges = np.empty((m, max_n), dtype=np.int32)
            alpha, beta = np.empty(m + 1), np.empty(m + 1)
        _lattice(codes, points, i, m, keys, index, weights, max_n, edges)
        alpha[: m + 1] = -np.inf
        beta[: m + 1] = -np.inf
        alpha[0], beta[m] = 0.0, 0.0
        for s in range(m):
            for length in range(1, min(max_n, m - s) + 1):
                k = edges[s, length - 1]
                if k >= 0:
                    alpha[s + length] = _logaddexp(alpha[s + length], alpha[s] + weights[k])
        for s in range(m - 1, -1, -1):
            for length in range(1, min(max_n, m - s) + 1):
                k = edges[s, length - 1]
                if k >= 0:
                    beta[s] = _logaddexp(beta[s], weights[k] + beta[s + length])
        log_z = alpha[m]
        for s in range(m):
            for length in range(1, min(max_n, m - s) + 1):
                k = edges[s, length - 1]
                if k >= 0:
                    share = math.exp(alpha[s] + weights[k] + beta[s + length] - log_z)
                    counts[k] += np.int64(math.floor(share * EXPECTED_SCALE + 0.5))
        total += np.int64(math.floor(log_z * LOGLIK_SCALE + 0.5))
        i = j
    return total


EStep = Callable[[np.ndarray], tuple[np.ndarray, int]]
"""``e_step(weights) -> (expected counts, log-likelihood)``, both fixed point
(:data:`EXPECTED_SCALE`, :data:`LOGLIK_SCALE`): one E-step over a whole corpus."""


def corpus_e_step(encoded: EncodedCorpus, rows: np.ndarray, max_n: int = MAX_N,
                  threads: int = EM_THREADS) -> EStep:
    """The E-step of :func:`unigram_log_probs` over an encoded corpus held in this process, in
    ``threads`` threads, each over a slice of the corpus cut at a break (the kernel releases
    the GIL; the fixed-point sums make the result the same for any number of threads)."""
    points = _vocab_points(encoded.vocab)
    keys, index = _word_table(rows)
    codes = encoded.codes
    cuts = [0] + [_break_at_or_after(codes, len(codes) * k // threads) for k in range(1, threads)]
    slices = [codes[a:b] for a, b in zip(cuts, cuts[1:] + [len(codes)]) if b > a]

    def part(weights: np.ndarray, piece: np.ndarray) -> tuple[np.ndarray, int]:
        counts = np.zeros(len(rows), np.int64)
        return counts, _expected_counts(piece, points, keys, index, weights, max_n, counts)

    def e_step(weights: np.ndarray) -> tuple[np.ndarray, int]:
        if len(slices) <= 1:
            return part(weights, codes)
        with ThreadPoolExecutor(len(slices)) as pool:
            parts = list(pool.map(lambda piece: part(weights, piece), slices))
        counts = parts[0][0]
        for other, _ in parts[1:]:
            counts += other
        return counts, sum(p[1] for p in parts)
    return e_step


@njit(cache=True)
def _break_at_or_after(codes: np.ndarray, i: int) -> int:
    """The first position ``>= i`` that holds a break (0), or the end."""
    while i < codes.shape[0] and codes[i] != 0:
        i += 1
    return i


def unigram_log_probs(e_step: EStep, rows: np.ndarray, autonomy: np.ndarray, counts: np.ndarray,
                      prior: np.ndarray | None = None, tolerance: float = EM_TOLERANCE,
                      progress: ProgressFn | None = None) -> tuple[np.ndarray, float]:
    """``(log p(w), tokens)`` of the joint model's word-unigram language model, by EM.

    ``rows``, ``autonomy`` and ``counts`` describe the candidate words (as
    :func:`autonomy_table` gives them); ``e_step`` runs one E-step over the
    corpus (:func:`corpus_e_step`, or a Dask cluster's). The probabilities start
    proportional to ``counts`` and are re-estimated by EM, each E-step weighting
    a segmentation of a Han run by ``prod p(w) exp(a(w) |w|)`` (the language
    model and the boundary evidence together); the M-step is

        p(w) = (E[n(w)] + prior(w)) / sum_v (E[n(v)] + prior(v))

    with ``E[n(w)]`` the expected number of times ``w`` is a word and ``prior``
    pseudo-counts (a Dirichlet prior: the base model's, or none). EM stops when
    the log-likelihood improves by less than ``tolerance`` (relative): a
    label-free rule. ``log p`` is ``-inf`` for a word pruned (expected count 0);
    ``tokens`` is the normaliser, the expected number of word tokens.
    """
    bonus = autonomy * _row_lengths(rows)
    prior = np.zeros(len(rows)) if prior is None else prior
    with np.errstate(divide="ignore"):
        logp = np.log(counts) - np.log(counts.sum())
    prior_total = float(prior.sum())
    last, total = -np.inf, 0.0
    for step in range(EM_MAX_ITERATIONS):     # in place: the arrays are one per candidate word
        logp += bonus                             # the weights of the E-step
        fixed, loglik = e_step(logp)
        # the normaliser from the integers: a float sum can depend on how the array lies in memory
        total = sum(int(fixed[i:i + _CHUNK].sum()) for i in range(0, len(fixed), _CHUNK)) / EXPECTED_SCALE
        total += prior_total
        expected = _fixed_to_float(fixed, EXPECTED_SCALE)
        expected += prior
        with np.errstate(divide="ignore"):
            logp = np.log(expected, out=expected)
        logp -= math.log(total)
        if progress is not None:
            progress(step + 1, EM_MAX_ITERATIONS)
        loglik /= LOGLIK_SCALE
        if abs(loglik - last) <= tolerance * abs(loglik):
            break
        last = loglik
    return logp, total


BASE_WEIGHT = 1_000_000
"""The size of text that is enough on its own (fixed a priori): a corpus of at least twice
that many Han characters counts the base as that many characters of its own text (a prior
it outweighs); a corpus of at most that many leans on the base's whole text (:func:`base_weight`)."""


def base_weight(chars: float, base_chars: float) -> float:
    """How many characters of the user's text a base model counts as, for a corpus of
    ``chars`` Han characters and a base learned from ``base_chars``:

        W = base_chars                                        if chars <= B
        W = base_chars · (B / base_chars) ** log2(chars / B)  if B < chars < 2B
        W = B                                                 if chars >= 2B

    with ``B = BASE_WEIGHT``: the base's whole text while the corpus is too small to
    stand alone, as much text as enough while it is large, and geometrically between
    (no jump). Chosen by a label-free criterion, the held-out likelihood of the
    user's text (docs/segmentation.md): on slices of People's Daily against a base
    without it, the base's whole text predicted the other half of a corpus best
    from 50 k to 1 M characters, and ``B`` did at 1.8 M.
    """
    if chars <= BASE_WEIGHT:
        return float(base_chars)
    if chars >= 2 * BASE_WEIGHT:
        return float(BASE_WEIGHT)
    return float(base_chars) * (BASE_WEIGHT / base_chars) ** math.log2(chars / BASE_WEIGHT)


def pool_with_base(rows: np.ndarray, autonomy: np.ndarray, counts: np.ndarray, base: Segmenter,
                   weight: float, max_n: int = MAX_N) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The words of a corpus (:func:`autonomy_table`) pooled with a base model's:
    ``(rows, autonomy, counts, prior)`` over the union of both vocabularies.

    The base stands for ``weight`` characters of text (:func:`base_weight`): its
    counts are scaled by ``s = weight / chars_base``. A word's autonomy is the mean
    of the two estimates weighted by the occurrences behind each,

        a(w) = (c(w) a(w) + s c_B(w) a_B(w)) / (c(w) + s c_B(w)),

    so the user's text decides where it has the evidence, and the base where it
    has none; ``counts`` become ``c + s c_B``. ``prior`` is the base's expected
    word count, scaled, ``s tokens_B p_B(w)``: the Dirichlet pseudo-counts of
    the EM (:func:`unigram_log_probs`).
    """
    if base.info.get("scorer") != "joint" or not base.info.get("tokens") or not base.info.get("chars"):
        raise InputError(f"{base.info.get('name', 'the base')}: only a model learned with the joint "
                         "scorer can be a base")
    scale = weight / base.info["chars"]
    width = max(max_n, base.max_n)
    rows, base_rows = _pad(rows, width), _pad(base.rows, width)
    at = _lookup(base._keys, base._index, rows)          # each corpus word's row in the base
    found = at >= 0
    base_counts = np.zeros(len(rows))
    base_counts[found] = scale * base.counts[at[found]]
    base_autonomy = np.zeros(len(rows))
    base_autonomy[found] = base.autonomy[at[found]]
    pooled = (counts * autonomy + base_counts * base_autonomy) / (counts + base_counts)
    base_prior = scale * base.info["tokens"] * np.exp(base.log_probs.astype(np.float64))
    prior = np.zeros(len(rows))
    prior[found] = base_prior[at[found]]
    rest = np.ones(len(base_rows), dtype=bool)
    rest[at[found]] = False
    rest &= _row_lengths(base_rows) <= max_n
    return (np.concatenate([rows, base_rows[rest]])[:, :max_n],
            np.concatenate([pooled, base.autonomy[rest]]),
            np.concatenate([counts + base_counts, scale * base.counts[rest]]),
            np.concatenate([prior, base_prior[rest]]))


# -- decoding ----------------------------------------------------------------
@njit(cache=True)
def _best_cuts(points: np.ndarray, classes: np.ndarray, lo: int, hi: int, keys: np.ndarray,
               vals: np.ndarray, max_n: int, out: np.ndarray, count: int) -> int:
    """Append to ``out`` the word starts of the best segmentation of ``points[lo:hi]``.

    Forward dynamic programming: ``best[j]`` is the highest total score of a
    segmentation of the first ``j`` characters; a candidate word's score is
    read from the table (``NaN`` marks a string that is only a prefix of
    candidates). A character that no candidate covers is a word of its own,
    at the score ``_ALONE`` (a penalty, so that any segmentation covering it
    by candidates wins). No word starts at a combining mark or joiner, nor
    right after a joiner.
    """
    m = hi - lo
    best = np.full(m + 1, -np.inf)
    back = np.ones(m + 1, dtype=np.int32)
    best[0] = 0.0
    for i in range(m):
        if best[i] + _ALONE > best[i + 1]:
            best[i + 1] = best[i] + _ALONE
        h = _SEED
        for length in range(1, min(max_n, m - i) + 1):
            h = _extend(h, points[lo + i + length - 1])
            slot = _slot(keys, h)
            if keys[slot] == _EMPTY:
                break
            value = vals[slot]
            if value == value and best[i] + value > best[i + length]:
                best[i + length], back[i + length] = best[i] + value, length
    j, first = m, count
    while j > 0:
        j -= back[j]
        at = lo + j
        if j == 0 or not (classes[at] == tokens.MARK or classes[at] == tokens.JOINER
                          or classes[at - 1] == tokens.JOINER):
            out[count] = at
            count += 1
    out[first:count] = out[first:count][::-1].copy()
    return count


@njit(cache=True, nogil=True)
def _segment(points: np.ndarray, classes: np.ndarray, spans: np.ndarray, keys: np.ndarray,
             vals: np.ndarray, max_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Word starts (plus the end) and a whitespace flag per token of one text.

    ``points`` are the script-folded code points (words are looked up by them),
    ``classes`` the character classes of the text as written."""
    starts, kinds = tokens.token_starts(points, classes, spans)
    out = np.empty(points.shape[0] + 1, dtype=np.int64)
    space = np.zeros(points.shape[0], dtype=np.bool_)
    count = 0
    for k in range(kinds.shape[0]):
        if kinds[k] == tokens.MODEL:
            count = _best_cuts(points, classes, starts[k], starts[k + 1], keys, vals, max_n, out, count)
        else:
            space[count] = kinds[k] == tokens.WHITESPACE
            out[count] = starts[k]
            count += 1
    out[count] = points.shape[0]
    return out[: count + 1], space[:count]


@njit(cache=True, nogil=True)
def _render(points: np.ndarray, starts: np.ndarray, space: np.ndarray, sep: np.ndarray) -> np.ndarray:
    """The words joined by ``sep``, whitespace dropped except line feeds (one per input line feed)."""
    out = np.empty(points.shape[0] * (1 + sep.shape[0]) + 1, dtype=np.uint32)
    size, open_line = 0, False
    for k in range(space.shape[0]):
        a, b = starts[k], starts[k + 1]
        if space[k]:
            for i in range(a, b):
                if points[i] == 10:
                    out[size] = 10
                    size += 1
                    open_line = False
            continue
        if open_line:
            out[size: size + sep.shape[0]] = sep
            size += sep.shape[0]
        out[size: size + b - a] = points[a:b]
        size += b - a
        open_line = True
    return out[:size]


@njit(cache=True, nogil=True)
def _segment_render(points: np.ndarray, table: np.ndarray, fold: np.ndarray, spans: np.ndarray,
                    keys: np.ndarray, vals: np.ndarray, max_n: int, sep: np.ndarray) -> np.ndarray:
    """:func:`_render` of the segmentation of one text: the whole decoder in one call that
    releases the GIL, so threads segment batches in parallel (``table``: the class table;
    words are looked up by their ``fold``-ed code points, the output keeps ``points``)."""
    starts, space = _segment(fold[points], table[points], spans, keys, vals, max_n)
    return _render(points, starts, space, sep)


# -- the model ------------------------------------------------------------------
class Segmenter(tokens.WordCutter):
    """A fitted segmenter: candidate words with their statistics.

    Build one with :meth:`fit` (from raw text) or :meth:`load`; then
    :meth:`cut` a string, :meth:`tokenize` it (words with offsets),
    :meth:`cut_lines` an iterable of lines, or :meth:`segment_corpus` whole
    files. Per word (script-folded, as rows of
    code points, :func:`word_rows`): ``log_probs`` (the language model; 0 for
    ``nvbe``), ``autonomy`` a(w) and ``counts`` (occurrences of the string in
    the training text). A word's score is ``log p(w) + a(w) |w|``.

    A fitted model is read-only: threads may share it, and it pickles as its
    arrays (for multiprocessing, joblib, Dask).

    Attributes
    ----------
    rows : numpy.ndarray
        ``int32 (words, max_n)``: each candidate word's script-folded code
        points, padded with 0.
    log_probs, autonomy, counts, scores : numpy.ndarray
        ``float32``, one per word: ``log p(w)``, ``a(w)``, the count of the
        string in the training text, and ``log p(w) + a(w) |w|``.
    max_n : int
        The longest word.
    info : dict
        How the model was learned (scorer, min_count, characters, lines, base, ...).

    Examples
    --------
    >>> from pathlib import Path
    >>> from zhtext import Segmenter
    >>> seg = Segmenter.fit(Path("corpora/hongloumeng.txt"))
    >>> seg.cut("宝玉笑道：“你们在这里做什么？”")
    ['宝玉', '笑道', '：', '“', '你们', '在这里', '做', '什么', '？', '”']
    >>> len(seg), seg.info["words"]          # candidates, and those of 2+ characters
    (15057, 10647)
    """

    def __init__(self, rows: np.ndarray, log_probs: np.ndarray, autonomy: np.ndarray,
                 counts: np.ndarray, max_n: int = MAX_N, info: dict | None = None):
        self.rows = np.ascontiguousarray(rows, dtype=np.int32)
        self.log_probs = np.ascontiguousarray(log_probs, dtype=np.float32)
        self.autonomy = np.ascontiguousarray(autonomy, dtype=np.float32)
        self.counts = np.ascontiguousarray(counts, dtype=np.float32)
        self.max_n = int(max_n)
        self.info = dict(info or {})
        self.scores = self.log_probs + self.autonomy * _row_lengths(self.rows).astype(np.float32)
        self._keys, self._index = _word_table(self.rows)
        self._vals = np.where(self._index >= 0, self.scores[self._index], np.float32(np.nan)).astype(np.float32)

    def __len__(self) -> int:
        """Number of candidate words (single characters included)."""
        return len(self.rows)

    def __getstate__(self) -> dict:
        """Pickled as its arrays and info (for multiprocessing, joblib, Dask); the lookup
        table is rebuilt when unpickled. A fitted model is read-only: threads may share it."""
        return {name: getattr(self, name) for name in (*_ARRAYS, "max_n", "info")}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def words(self) -> list[str]:
        """The candidate words, script-folded, in the model's order (by length, then code points).

        Returns
        -------
        list of str
            Single characters included.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> words = seg.words()
        >>> "宝玉" in words, len(words) == len(seg), words[-1]
        (True, True, '肺经气分太虚')
        """
        return [tokens.from_code_points(row[row > 0].astype(np.uint32)) for row in self.rows]

    def score(self, word: str) -> float:
        """The score ``log p(w) + a(w) |w|`` of ``word`` (its script-folded form); NaN if no candidate.

        The decoder picks the segmentation of a Han run with the highest sum of
        scores, so a higher score means a string more likely kept whole.

        Parameters
        ----------
        word : str

        Returns
        -------
        float

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> round(seg.score("宝玉"), 3), round(seg.score("寶玉"), 3)    # traditional script folds
        (24.421, 24.421)
        >>> seg.score("宝玉笑")
        nan
        """
        if not 1 <= len(word) <= self.max_n:
            return math.nan
        row = int(_lookup(self._keys, self._index, word_rows([word], self.max_n))[0])
        return float(self.scores[row]) if row >= 0 else math.nan

    # -- learning
    @classmethod
    def fit(cls, corpus, *, scorer: str = "joint", max_n: int = MAX_N, min_count: int = MIN_COUNT,
            base: Segmenter | str | os.PathLike | None = None, progress: ProgressFn | None = None,
            engine: str = "local", client=None, blocksize: int | None = None,
            slice_chars: int | None = None, on_stage: Callable[[str], None] | None = None,
            **corpus_options) -> Segmenter:
        """Learn from raw text: anything :func:`zhtext.corpus.as_corpus` accepts.

        ``base``: a model (or its file, or ``"default"``: :func:`load_base`) learned from other text, pooled with
        this corpus's statistics, counting as its whole text for a corpus of
        at most ``BASE_WEIGHT`` Han characters and as ``BASE_WEIGHT`` characters
        from twice that (:func:`base_weight`, :func:`pool_with_base`): it
        carries a small corpus and fades before a large one.
        ``progress(done, total)`` follows the reading (bytes of the files;
        tasks on a cluster) and ``on_stage(name)`` announces each later stage.
        :func:`learning_memory` projects the peak memory.

        ``slice_chars`` learns from slices of the text and averages the
        models (:meth:`average`).

        ``engine="dask"`` learns on a Dask cluster (``client``, or a
        ``LocalCluster`` for the call) in blocks of ``blocksize`` bytes,
        ``corpus`` being files: the same model, bit for bit
        (:func:`zhtext.distributed.fit_segmenter`).

        Parameters
        ----------
        corpus : str, path-like, Corpus or iterable of str
            A ``str`` or path is a file; a list of ``pathlib.Path`` several
            files; any other iterable of ``str`` the text itself.
        scorer : {"joint", "nvbe"}, default "joint"
            ``joint``: a word-unigram model re-estimated by EM with the
            boundary evidence (module docstring); ``nvbe``: the boundary
            evidence alone.
        max_n : int, default 6
            The longest word: 7+ characters are rare in any Chinese standard
            and their statistics are sparse.
        min_count : int, default 2
            The least count of a candidate word: an n-gram seen once has no
            branching information.
        base : Segmenter, str, path-like or None, default None
            The base model, as above (``"none"``: none).
        progress, on_stage : callable, optional
            As above.
        engine : {"local", "dask"}, default "local"
        client : distributed.Client, optional
            The cluster for ``engine="dask"``.
        blocksize : int, optional
            Bytes per task for ``engine="dask"``.
        slice_chars : int, optional
            Learn one model from each consecutive slice of about this many
            characters and return their :meth:`average`: a model of the
            granularity of a text that size, with the vocabulary of all of it
            (how the shipped base model is learned, ``BASE_WEIGHT`` characters
            a slice). The joint scorer, the local engine and no base only.
        **corpus_options
            Options of :class:`~zhtext.corpus.Corpus` (``encoding``, ``errors``, ...).

        Returns
        -------
        Segmenter

        Raises
        ------
        InputError
            ``max_n`` or ``min_count`` below 1, an unknown scorer or engine, a
            base not learned with the joint scorer, an unreadable corpus, or a
            corpus without Han text.
        ModelError
            A base model file that is missing or corrupt.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> seg = Segmenter.fit(Path("corpora/hongloumeng.txt"))
        >>> seg.cut("宝玉笑道：“你们在这里做什么？”")
        ['宝玉', '笑道', '：', '“', '你们', '在这里', '做', '什么', '？', '”']

        A small corpus leans on the shipped base model:

        >>> small = Segmenter.fit(Path("corpora/gsdsimp_dev_sample.txt"), base="default")
        >>> small.cut("我们提出了新的目标。")
        ['我们', '提出', '了', '新', '的', '目标', '。']
        >>> Segmenter.fit(["no Chinese here"])
        Traceback (most recent call last):
        ...
        zhtext.errors.InputError: the corpus has no Chinese (Han) text to learn from
        """
        scorer = renamed(corpus_options, "method", "scorer", scorer)
        max_n = renamed(corpus_options, "max_len", "max_n", max_n)
        if max_n < 1 or min_count < 1:
            raise InputError("max_n and min_count must be at least 1")
        if scorer not in ("joint", "nvbe"):
            raise InputError(f"unknown scorer {scorer!r} (choose joint or nvbe)")
        base = load_base(base)
        stage = on_stage or (lambda name: None)
        options = {"scorer": scorer, "max_n": max_n, "min_count": min_count, "base": base}
        if slice_chars is not None:
            return cls._fit_slices(corpus, slice_chars, engine, progress, stage, options, corpus_options)
        if engine == "dask":
            from .distributed import DEFAULT_BLOCKSIZE, fit_segmenter, sources_of

            sources, reading = sources_of(corpus, corpus_options)
            return fit_segmenter(sources, client=client, blocksize=blocksize or DEFAULT_BLOCKSIZE,
                                 progress=progress, on_stage=stage, **options, **reading)
        if engine != "local":
            raise InputError(f"engine must be 'local' or 'dask', not {engine!r}")
        stage("reading")
        encoded = encode(corpus, breaks=outside_han, progress=progress, fold=fold_table(),
                         **corpus_options)
        if not encoded.total:
            raise InputError(NO_HAN)
        stage("counting n-grams")

        def e_step_for(rows: np.ndarray) -> EStep:
            if len(encoded.vocab) < 1 << 16:        # the counting is done: 2 bytes a character
                encoded.codes = encoded.codes.astype(np.uint16)
            return corpus_e_step(encoded, rows, max_n)
        return cls.learn(encoded.vocab, encoded.lines, complete_levels(encoded, max_n, min_count),
                         e_step_for, on_stage=stage, **options)

    @classmethod
    def _fit_slices(cls, corpus, slice_chars: int, engine: str, progress: ProgressFn | None,
                    stage: Callable[[str], None], options: dict, corpus_options: dict) -> Segmenter:
        """:meth:`fit` with ``slice_chars``: a model per slice of the text, then their average."""
        if options["scorer"] != "joint" or options["base"] is not None or engine != "local":
            raise InputError("slice_chars (--slice-chars) learns with the joint scorer, the local engine and "
                             "no base (--base none)")
        if slice_chars < 1:
            raise InputError("slice_chars (--slice-chars) must be at least 1")
        slice_options = {k: options[k] for k in ("scorer", "max_n", "min_count")}
        stage("learning a model per slice")
        corpus = as_corpus(corpus, **corpus_options)
        slices = text_batches(corpus.pieces(progress), slice_chars)
        models = (cls.fit(lines, **slice_options) for lines in slices
                  if any(map(tokens.is_han, itertools.chain.from_iterable(lines))))
        model = cls.average(models)
        model.info["slice_chars"] = slice_chars
        return model

    @classmethod
    def average(cls, models: Iterable[Segmenter]) -> Segmenter:
        """The mixture of joint models, each learned from its own text: one model of the union.

        Model ``k`` learned from ``N_k`` characters; each word of any of them gets

            p(w) = Σ_k N_k p_k(w) / Σ_k N_k          a(w) = Σ_k c_k(w) a_k(w) / Σ_k c_k(w)

        (``p_k(w) = 0`` and ``c_k(w) = 0`` where model ``k`` lacks the word), its
        counts summed. Why: a word-unigram model's words grow longer with its
        text, as more phrases become frequent enough to pass for words (the
        benchmarks: the 45 M characters of the shared corpora in one model
        under-segment), so models of equal slices of a large text, averaged,
        keep the granularity of one slice and the vocabulary of the whole. A
        multi-character word expected fewer than ``MIN_EXPECTED`` times in all
        the text (``p(w) Σ_k tokens_k``) is dropped, as is a number and a measure word
        (:func:`number_phrases`; the measure words of more than half the models that
        saw numbers in digits: one slice's chance coincidences do not count), and ``p``
        renormalised.

        Parameters
        ----------
        models : iterable of Segmenter
            Joint models with the same ``max_n`` (:meth:`fit` learns them).

        Returns
        -------
        Segmenter

        Raises
        ------
        InputError
            No model, a model of another scorer, or models of different ``max_n``.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> halves = [Segmenter.fit(lines[:1500]), Segmenter.fit(lines[1500:3000])]
        >>> both = Segmenter.average(halves)
        >>> both.info["slices"], len(both) >= max(map(len, halves))
        (2, True)
        >>> both.cut("宝玉笑道")
        ['宝玉', '笑道']
        """
        parts = [(m.rows, np.exp(m.log_probs.astype(np.float64)), m.autonomy.astype(np.float64),
                  m.counts.astype(np.float64), m.info) for m in models]
        if not parts:
            raise InputError("average: no model (is there Han text to learn from?)")
        if any(info.get("scorer") != "joint" for *_, info in parts):
            raise InputError("average: only models learned with the joint scorer can be averaged")
        if len({rows.shape[1] for rows, *_ in parts}) > 1:
            raise InputError("average: the models have different max_n")
        rows, slot = np.unique(np.concatenate([p[0] for p in parts]), axis=0, return_inverse=True)
        slot = slot.ravel()
        chars = np.concatenate([np.full(len(p[0]), float(p[4]["chars"])) for p in parts])
        probs, autonomy, counts = (np.concatenate([p[i] for p in parts]) for i in (1, 2, 3))
        total_chars = float(sum(p[4]["chars"] for p in parts))
        tokens = float(sum(p[4]["tokens"] for p in parts))
        mixed = np.bincount(slot, chars * probs, len(rows)) / total_chars
        summed = np.bincount(slot, counts, len(rows))
        autonomy = np.bincount(slot, counts * autonomy, len(rows)) / np.maximum(summed, 1e-300)
        lengths = _row_lengths(rows)
        measure = _measure_vote([p[4].get("measure_words", "") for p in parts])
        keep = ((lengths == 1) | (mixed * tokens >= MIN_EXPECTED - 1e-6)) & ~number_phrases(rows, measure)
        rows, mixed, autonomy, summed = rows[keep], mixed[keep], autonomy[keep], summed[keep]
        lengths = lengths[keep]
        with np.errstate(divide="ignore"):
            log_probs = np.log(mixed / mixed.sum())
        max_n = rows.shape[1]
        info = {"scorer": "joint", "min_count": parts[0][4].get("min_count"), "chars": int(total_chars),
                "tokens": tokens, "lines": sum(p[4].get("lines", 0) for p in parts),
                "words": int(np.count_nonzero(lengths > 1)), "slices": len(parts), "measure_words": measure}
        model = cls(rows, log_probs, autonomy, summed, max_n, info)
        model.info["prior_scores"] = _prior_scores(model.scores, lengths, max_n)
        return model

    @classmethod
    def learn(cls, vocab, lines: int, levels: Iterable[Level], e_step_for: Callable[[np.ndarray], EStep],
              *, scorer: str, max_n: int, min_count: int, base: Segmenter | None,
              on_stage: Callable[[str], None] | None = None) -> Segmenter:
        """The model of a corpus from its statistics, wherever they were computed: its character
        ``vocab`` (folded, Han only), its number of ``lines``, its n-gram ``levels`` (as
        :func:`candidate_words` takes them) and ``e_step_for(rows)``, the E-step over the
        corpus for the candidate words ``rows`` (:func:`corpus_e_step`, or a cluster's)."""
        stage = on_stage or (lambda name: None)
        rows, autonomy, counts = candidate_words(vocab, levels, max_n, min_count,
                                                 keep_all=scorer == "nvbe", known=base)
        prior, chars = None, int(vocab.counts.sum())
        measure = measure_words(vocab, min_count)
        if base is not None:
            weight = round(base_weight(chars, base.info["chars"]))
            rows, autonomy, counts, prior = pool_with_base(rows, autonomy, counts, base, weight, max_n)
            chars += weight
            measure = "".join(sorted(set(measure + base.info.get("measure_words", ""))))
        keep = ~number_phrases(rows, measure)
        rows, autonomy, counts = rows[keep], autonomy[keep], counts[keep]
        prior = None if prior is None else prior[keep]
        log_probs, tokens_seen = np.zeros(len(rows)), 0.0
        if scorer == "joint":
            stage("re-estimating the word model (EM)")
            keep = (_row_lengths(rows) == 1) | (autonomy > 0)
            rows, autonomy, counts = rows[keep], autonomy[keep], counts[keep]
            prior = None if prior is None else prior[keep]
            log_probs, tokens_seen = unigram_log_probs(e_step_for(rows), rows, autonomy, counts, prior)
            keep = (_row_lengths(rows) == 1) | (np.exp(log_probs) * tokens_seen >= MIN_EXPECTED - 1e-6)
            rows, autonomy, counts, log_probs = rows[keep], autonomy[keep], counts[keep], log_probs[keep]
        lengths = _row_lengths(rows)
        info = {"scorer": scorer, "min_count": min_count, "chars": chars, "tokens": tokens_seen,
                "lines": lines, "words": int(np.count_nonzero(lengths > 1)), "measure_words": measure}
        if base is not None:
            info["base"] = {"chars": base.info.get("chars"), "weight": weight,
                            "name": base.info.get("name")}
        model = cls(rows, log_probs, autonomy, counts, max_n, info)
        model.info["prior_scores"] = _prior_scores(model.scores, lengths, max_n)
        return model

    def add_words(self, words) -> int:
        """Use a lexicon as a prior: each of its words becomes a candidate.

        ``words``: a :class:`zhtext.lexicon.Lexicon`, a path to a zhtext TSV
        lexicon or a jieba user dictionary, or an iterable of words. A word's
        score becomes at least that of a clearly good learned word of its
        length (the 90th percentile, :func:`_prior_scores`), by raising its
        ``log p``. Words longer than ``max_n`` and words with non-Han
        characters are skipped. Returns the number of words taken.

        The model changes in place. A word of the lexicon can still lose to a
        segmentation the corpus supports more strongly.

        Parameters
        ----------
        words : Lexicon, str, path-like or iterable of str

        Returns
        -------
        int
            The number of distinct words taken.

        Raises
        ------
        InputError
            A lexicon file that is missing or malformed.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> seg.cut("他们在北京大学读书。")                  # the novel has no 北京 nor 大学
        ['他们', '在', '北', '京', '大', '学', '读书', '。']
        >>> seg.add_words(["北京", "大学", "DDR3", "一二三四五六七"])   # the last two are skipped
        2
        >>> seg.cut("他们在北京大学读书。")
        ['他们', '在', '北京', '大学', '读书', '。']
        """
        floors = self.info.get("prior_scores") or {}
        chosen = list(dict.fromkeys(word for word in _lexicon_words(words)
                                    if 1 <= len(word) <= self.max_n and all(map(tokens.is_han, word))))
        if not chosen:
            return 0
        rows = word_rows(chosen, self.max_n)
        floor = np.array([floors.get(str(len(word)), 0.0) for word in chosen])
        found = _lookup(self._keys, self._index, rows)
        log_probs, autonomy = self.log_probs.astype(np.float64), self.autonomy
        old = found[found >= 0]
        length = _row_lengths(self.rows[old])
        log_probs[old] = np.maximum(log_probs[old], floor[found >= 0] - autonomy[old] * length)
        new = found < 0
        self.__init__(np.concatenate([self.rows, rows[new]]), np.concatenate([log_probs, floor[new]]),
                      np.concatenate([autonomy, np.zeros(new.sum())]),
                      np.concatenate([self.counts, np.zeros(new.sum())]), self.max_n,
                      {**self.info, "prior_words": self.info.get("prior_words", 0) + len(chosen)})
        return len(chosen)

    # -- segmenting
    def spans(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``(starts, whitespace)``: token offsets (plus ``len(text)``) and which are whitespace.

        What :meth:`cut` is made of, without building the strings.

        Parameters
        ----------
        text : str

        Returns
        -------
        tuple of numpy.ndarray
            ``int64`` start offsets, one per token plus the end; ``bool`` per token.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> seg.spans("宝玉 笑道")
        (array([0, 2, 3, 5]), array([False,  True, False]))
        """
        points = tokens.code_points(text)
        return _segment(fold_table()[points], tokens.class_table()[points],
                        tokens.protected_spans(text, points), self._keys, self._vals, self.max_n)

    def cut(self, text: str, keep_whitespace: bool = False) -> list[str]:
        """The words of ``text``, by the highest-scoring segmentation of each Han run.

        Whitespace separates words and is dropped, unless ``keep_whitespace``:
        then whitespace runs are tokens too and ``"".join(cut(text, True)) ==
        text`` always.

        Only Han runs are cut by the model; numbers, Latin words, URLs and
        punctuation are tokens fixed by the rules of :mod:`zhtext.tokens`.
        Words are looked up through their simplified form, so traditional text
        is cut like simplified text; the output keeps the input's characters.

        Parameters
        ----------
        text : str
        keep_whitespace : bool, default False

        Returns
        -------
        list of str

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> seg.cut("宝玉笑道：“你们在这里做什么？”")
        ['宝玉', '笑道', '：', '“', '你们', '在这里', '做', '什么', '？', '”']
        >>> seg.cut("我在2001年去了https://example.com 看iPhone15。")
        ['我', '在', '2001', '年', '去', '了', 'https://example.com', '看', 'iPhone15', '。']
        >>> seg.cut("寶玉 笑道", keep_whitespace=True)
        ['寶玉', ' ', '笑道']
        """
        starts, space = self.spans(text)
        bounds = starts.tolist()
        if keep_whitespace:
            return [text[a:b] for a, b in zip(bounds, bounds[1:])]
        return [text[a:b] for a, b, s in zip(bounds, bounds[1:], space.tolist()) if not s]

    def cut_lines(self, lines: Iterable[str], keep_whitespace: bool = False) -> Iterator[list[str]]:
        """:meth:`cut` each line (a generator).

        Parameters
        ----------
        lines : iterable of str
            A list, an open file, a :class:`~zhtext.corpus.Corpus`. A trailing
            newline is whitespace, dropped unless ``keep_whitespace``.
        keep_whitespace : bool, default False
            As in :meth:`cut`.

        Yields
        ------
        list of str
            The words of each line, an empty list for an empty line.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> list(seg.cut_lines(["宝玉笑道", "", "黛玉听了"]))
        [['宝玉', '笑道'], [], ['黛玉', '听了']]
        """
        for line in lines:
            yield self.cut(line, keep_whitespace)

    def render(self, text: str, sep: str = " ") -> str:
        r"""``text`` segmented as text: words joined by ``sep``, one output line per line.

        The whole decoder in one call that releases the GIL, the fast path of
        :meth:`segment_corpus`. Whitespace is dropped except line feeds.

        Parameters
        ----------
        text : str
        sep : str, default " "

        Returns
        -------
        str

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> seg.render("宝玉笑道：你们\n黛玉听了", sep="/")
        '宝玉/笑道/：/你们\n黛玉/听了'
        """
        points = tokens.code_points(text)
        return tokens.from_code_points(_segment_render(
            points, tokens.class_table(), fold_table(), tokens.protected_spans(text, points), self._keys,
            self._vals, self.max_n, tokens.code_points(sep)))

    def segment_corpus(self, corpus, sep: str = " ", jobs: int = 1,
                       progress: ProgressFn | None = None, **corpus_options) -> Iterator[str]:
        r"""Segment a corpus of any size; yields output text in input order.

        The lines of the output are the input's lines (empty ones included),
        each with its words joined by ``sep``. Memory is bounded: text is read
        in batches of about a million characters. ``jobs > 1`` segments the
        batches in that many threads sharing the model (at most two batches
        per thread in flight), while this thread reads and the caller writes;
        the output is the same. More jobs than CPU cores do not help.

        Parameters
        ----------
        corpus : str, path-like, Corpus or iterable of str
            Anything :func:`zhtext.corpus.as_corpus` accepts.
        sep : str, default " "
        jobs : int, default 1
        progress : callable, optional
            ``progress(done, total)``: bytes read, of the files' size.
        **corpus_options
            Options of :class:`~zhtext.corpus.Corpus`.

        Yields
        ------
        str
            Pieces of the output; joined, one line per input line, each ending
            with a newline.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> "".join(seg.segment_corpus(["宝玉笑道：你们", "", "黛玉听了"]))
        '宝玉 笑道 ： 你们\n\n黛玉 听了\n'
        >>> text = "".join(seg.segment_corpus(Path("corpora/hongloumeng.txt"), jobs=2))
        >>> text.count("\n"), text.splitlines()[0]
        (2654, '《 红楼梦 》 曹雪芹')
        """
        batches = _batches(as_corpus(corpus, **corpus_options), progress)
        if jobs <= 1:
            chunks = (self.render(batch, sep) for batch in batches)
        else:
            chunks = _parallel(self, batches, sep, jobs)
        return _stitch(chunks, sep)

    # -- files
    def save(self, path: str | os.PathLike) -> None:
        """Write the model as ``.npz`` (arrays and a JSON header; no pickle), atomically.

        Parameters
        ----------
        path : str or path-like

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     seg.save(Path(folder) / "novel.npz")
        ...     again = Segmenter.load(Path(folder) / "novel.npz")
        >>> again.info["name"], len(again) == len(seg)
        ('novel.npz', True)
        """
        modelfile.write(path, FORMAT, VERSION, {"max_n": self.max_n, "info": self.info},
                        {name: getattr(self, name) for name in _ARRAYS})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Segmenter:
        """Read a model written by :meth:`save`, checking its format and arrays.

        :class:`ModelError` if missing, corrupt or of another version (the
        message names the file).

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        Segmenter
            ``info["name"]`` is the file's name.

        Raises
        ------
        ModelError
            A missing, corrupt or incompatible file.

        Examples
        --------
        >>> from zhtext import Segmenter, default_base_path
        >>> base = Segmenter.load(default_base_path())        # the shipped base model
        >>> base.cut("我们提出了新的目标。")
        ['我们', '提出', '了', '新', '的', '目标', '。']
        >>> Segmenter.load("corpora/hongloumeng.txt")
        Traceback (most recent call last):
        ...
        zhtext.errors.ModelError: corpora/hongloumeng.txt: not a readable zhtext segmenter model file (ValueError)
        """
        header, arrays = modelfile.read(path, FORMAT, VERSION, _ARRAYS, "segmenter model")
        max_n, rows = header.get("max_n", MAX_N), arrays["rows"]
        if (not isinstance(max_n, int) or rows.dtype != np.int32 or rows.ndim != 2
                or rows.shape[1] != max_n or rows.min(initial=0) < 0
                or any(arrays[name].dtype != np.float32 or arrays[name].shape != (len(rows),)
                       for name in _ARRAYS[1:])):
            raise ModelError(f"{path}: corrupt segmenter model (bad arrays)")
        return cls(**arrays, max_n=max_n, info={"name": os.path.basename(path), **header.get("info", {})})


_ARRAYS = ("rows", "log_probs", "autonomy", "counts")


def _prior_scores(scores: np.ndarray, lengths: np.ndarray, max_n: int) -> dict[str, float]:
    """Per word length, the 90th percentile of the learned scores: the score given to prior words."""
    out = {}
    for n in range(1, max_n + 1):
        chosen = scores[(lengths == n) & np.isfinite(scores)]
        if chosen.size:
            out[str(n)] = float(np.percentile(chosen, 90))
    return out


def _lexicon_words(words) -> Iterator[str]:
    """Words of a Lexicon, a lexicon file (zhtext TSV or jieba dictionary) or an iterable."""
    if isinstance(words, (str, os.PathLike)):
        from .lexicon import Lexicon
        words = Lexicon.load(words)
    for word in getattr(words, "words", words):
        yield word.strip()


def _batches(corpus, progress: ProgressFn | None) -> Iterator[str]:
    """Lines joined into texts of about ``_BATCH_CHARS`` characters, each line ending in ``\\n``.

    A long line comes as several pieces; a batch may end inside one.
    """
    batch, size = [], 0
    for piece in corpus.pieces(progress):
        batch.append(piece.text + "\n" if piece.ends_line else piece.text)
        size += len(piece.text)
        if size >= _BATCH_CHARS:
            yield "".join(batch)
            batch, size = [], 0
    if batch:
        yield "".join(batch)


def _stitch(chunks: Iterable[str], sep: str) -> Iterator[str]:
    """Join rendered batches: ``sep`` between a batch ending mid-line and one continuing it."""
    open_line = False
    for chunk in chunks:
        if not chunk:
            continue
        if open_line and chunk[0] != "\n":
            yield sep
        yield chunk
        open_line = chunk[-1] != "\n"


def _parallel(model: Segmenter, batches: Iterator[str], sep: str, jobs: int) -> Iterator[str]:
    """:meth:`Segmenter.render` the batches in ``jobs`` threads, in order, at most ``2 * jobs`` in flight.

    Threads share the model (nothing is copied or pickled); the decoder
    (:func:`_segment_render`) releases the GIL, so they run in parallel while
    this thread reads the next batches and the caller writes the output.
    """
    with ThreadPoolExecutor(jobs) as pool:
        pending: collections.deque = collections.deque()
        for batch in batches:
            pending.append(pool.submit(model.render, batch, sep))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# -- memory ------------------------------------------------------------------
LEARNING_BASE_BYTES = 300_000_000
"""Memory of learning before any text (interpreter, NumPy, Numba, class table), rounded up."""
LEARNING_BYTES_PER_BYTE = 12
"""Peak memory of learning per byte of UTF-8 input, measured on news text (default options)."""
COMPRESSION_RATIO = 4
"""Assumed uncompressed / compressed size where a file does not record it (.bz2, .xz)."""


def learning_memory(corpus, **corpus_options) -> int:
    """Projected peak memory of :meth:`Segmenter.fit` on ``corpus``, in bytes, without reading it.

    An estimate, linear in the size of the text, from peak RSS measured on
    this code with the default options (see ``docs/segmentation.md``)::

        memory = LEARNING_BASE_BYTES + LEARNING_BYTES_PER_BYTE * size

    ``size`` is the text in bytes, uncompressed, as UTF-8: a plain file's size;
    a gzip file's uncompressed size from its trailer; ``COMPRESSION_RATIO``
    times the size of a bzip2 or xz file (their size is not recorded cheaply);
    1.5 times the size for an encoding other than UTF-8 (two bytes per Chinese
    character instead of three). Standard input, and strings that are not a
    list or tuple, count as 0 bytes (their size is unknown before reading).
    Most of the memory is per character (the encoded text and the counter's
    per-position rows, 12 bytes); the rest grows with the distinct n-grams.

    Parameters
    ----------
    corpus : int or corpus
        The size of UTF-8 text in bytes, or anything :func:`zhtext.corpus.as_corpus` accepts.

    Returns
    -------
    int
        Projected peak resident memory in bytes.
    """
    if isinstance(corpus, (int, np.integer)):
        size = int(corpus)
    elif isinstance(corpus, (list, tuple)) and all(isinstance(text, str) for text in corpus):
        size = sum(len(text.encode("utf-8", "surrogatepass")) for text in corpus)
    else:
        corpus = as_corpus(corpus, **corpus_options)
        wide = not codecs.lookup(corpus.encoding).name.startswith("utf-8")
        size = sum(_text_bytes(source) for source in corpus.sources if source != "-") * (1.5 if wide else 1)
    return int(LEARNING_BASE_BYTES + LEARNING_BYTES_PER_BYTE * size)


def _text_bytes(path: str | os.PathLike) -> int:
    """Uncompressed size of a file: gzip records it (modulo 4 GiB) in its last four bytes;
    bzip2 and xz are taken at ``COMPRESSION_RATIO`` times their size."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        magic = handle.read(6)
        if magic.startswith(b"\x1f\x8b") and size >= 18:
            handle.seek(-4, os.SEEK_END)
            recorded = int.from_bytes(handle.read(4), "little")
            return recorded if recorded >= size else size * COMPRESSION_RATIO  # wrapped past 4 GiB
    return size * COMPRESSION_RATIO if magic.startswith((b"BZh", b"\xfd7zXZ\x00")) else size


def available_memory() -> int | None:
    """Memory a new process can use now, in bytes: ``MemAvailable`` of ``/proc/meminfo``
    (Linux), else the free physical pages from ``os.sysconf``; None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


BASE_ENV = "ZHTEXT_BASE"
BASE_NAME = "zhtext-segmenter-base.npz"


def default_base_path() -> Path:
    """The path of the base model the CLI pools with what it learns.

    ``$ZHTEXT_BASE``, else the one shipped with zhtext (package data
    ``zhtext.models``, :func:`zhtext.shipped.shipped_path`).

    ``Segmenter.fit(corpus, base="default")`` uses it. The file may be absent
    (an installation without the models: ``base="default"`` then learns without
    a base); nothing is read here.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from zhtext import Segmenter, default_base_path
    >>> path = default_base_path()                # $ZHTEXT_BASE is not set here
    >>> path.name
    'zhtext-segmenter-base.npz'
    >>> Segmenter.load(path).info["lines"]          # learned from 574,133 non-empty lines of other text
    574133
    """
    named = os.environ.get(BASE_ENV)
    return Path(named) if named else shipped_path(BASE_NAME)


def load_base(base: Segmenter | str | os.PathLike | None) -> Segmenter | None:
    """The base model ``base`` names: a :class:`Segmenter` as it is, a model file loaded, ``None``
    or ``"none"`` for no base, ``"default"`` for :func:`default_base_path` (``None`` where this
    installation has no such file)."""
    if base is None or isinstance(base, Segmenter):
        return base
    if base == "none":
        return None
    if base == "default":
        base = default_base_path()
        if not base.is_file():
            return None
    return Segmenter.load(base)


def fit(corpus, **options) -> Segmenter:
    """Learn a :class:`Segmenter` from raw text (see :meth:`Segmenter.fit`)."""
    return Segmenter.fit(corpus, **options)


def load(path: str | os.PathLike) -> Segmenter:
    """Read a saved :class:`Segmenter`."""
    return Segmenter.load(path)


def segment(corpus, model: Segmenter | str | os.PathLike | None = None, **fit_options) -> Iterator[list[str]]:
    """One-liner: the words of every line of ``corpus``, learning from it first if no ``model``.

    ``for words in segment("novel.txt"): ...``. The corpus is read twice when
    learning, so it must be files or a list, not a generator or stdin.
    """
    if model is None:
        model = Segmenter.fit(corpus, **fit_options)
    elif not isinstance(model, Segmenter):
        model = Segmenter.load(model)
    return model.cut_lines(as_corpus(corpus))
