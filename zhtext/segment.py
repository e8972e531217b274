"""Unsupervised word segmentation learned from raw text.

Method: normalized variation of branching entropy (nVBE; Magistry & Sagot
2012, after Harris 1955 and Jin & Tanaka-Ishii 2006) as boundary evidence,
combined with a word-unigram language model re-estimated by EM ("joint",
the default), decoded by dynamic programming.

1. Pre-tokenization (:mod:`zhtext.tokens`) fixes every token that is not
   Chinese text: letter/digit runs (numbers included), URLs, punctuation,
   whitespace. Only Han runs are left to the model.
2. In the Han runs of the training corpus every n-gram ``x`` of length
   ``1..max_len`` is counted (exactly, by :func:`zhtext.ngrams.count_levels`,
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

Defaults, fixed a priori and never chosen by looking at a gold segmentation:
``max_len = 6`` (words of 7+ characters are rare in any Chinese standard and
their statistics are sparse), ``min_count = 2`` (an n-gram seen once has no
branching information: both its entropies are 0); EM stops on the relative
log-likelihood gain (``1e-4``), a label-free rule.

The decoder is one Numba pass: characters are hashed on the fly
(a 64-bit polynomial hash of the code points) and looked up in an
open-addressing table, so no Python object is touched per character.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from typing import Iterable, Iterator

import numpy as np
from numba import njit

from . import tokens
from .atomic import atomic_open
from .corpus import ProgressFn, as_corpus
from .encode import EncodedCorpus, encode
from .ngrams import count_levels
from .errors import InputError, ModelError

FORMAT, VERSION = "zhtext-segmenter", 1
MAX_LEN, MIN_COUNT = 6, 2
EM_TOLERANCE, EM_MAX_ITERATIONS = 1e-4, 20
_SEED = np.uint64(0x51ED270B27A1F00D)
_MUL = np.uint64(0x100000001B3)
_FIB = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0)
_BATCH_CHARS = 1 << 20
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
    i = int((h * _FIB) >> np.uint64(64 - _log2(keys.shape[0]))) & mask
    while keys[i] != h and keys[i] != _EMPTY:
        i = (i + 1) & mask
    return i


@njit(cache=True)
def _log2(size: int) -> int:
    bits = 0
    while (1 << bits) < size:
        bits += 1
    return max(bits, 1)


@njit(cache=True)
def _build_index(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An open-addressing table of ``hashes``: ``(keys, index)``, ``index[slot]`` = row in ``hashes``."""
    size = 2
    while size < 2 * hashes.shape[0]:
        size *= 2
    keys = np.zeros(size, dtype=np.uint64)
    index = np.full(size, -1, dtype=np.int64)
    for k in range(hashes.shape[0]):
        i = _slot(keys, hashes[k])
        keys[i] = hashes[k]
        index[i] = k
    return keys, index


@njit(cache=True)
def _hash_points(points: np.ndarray) -> np.uint64:
    h = _SEED
    for point in points:
        h = _extend(h, point)
    return h


def string_hash(word: str) -> int:
    """The table key of ``word`` (the hash the decoder computes)."""
    return int(_hash_points(tokens.code_points(word)))


# -- learning ----------------------------------------------------------------
@njit(cache=True)
def _window_hashes(seq: np.ndarray, previous: np.ndarray, n: int) -> np.ndarray:
    """Hashes of the n-grams starting at each position (0 where one would cross a boundary)."""
    out = np.zeros(seq.shape[0], dtype=np.uint64)
    for i in range(seq.shape[0] - n + 1):
        if previous[i] != _EMPTY and seq[i + n - 1] != 0:
            out[i] = _extend(previous[i], seq[i + n - 1])
    return out


def _first_positions(row_at: np.ndarray, rows: int) -> np.ndarray:
    """A position where each kept n-gram occurs (``row_at``: its row at each position, -1: none)."""
    where = np.flatnonzero(row_at >= 0)
    first = np.empty(rows, dtype=np.int64)
    first[row_at[where]] = where
    return first


def autonomy_table(encoded: EncodedCorpus, seq: np.ndarray, max_len: int = MAX_LEN,
                   min_count: int = MIN_COUNT):
    """``(hashes, autonomies, lengths, counts)`` of the candidate words of an encoded corpus.

    ``encoded`` holds the Han runs of the corpus (every other character is a
    break), ``seq`` the same as code points (0 between runs), for the hashes.
    Counts and branching entropies are those of :func:`zhtext.ngrams.count_levels`
    (exact; a run edge is a distinct neighbour each time); see the module
    docstring for the formula. The n-grams seen ``min_count`` times are
    candidates, and so is every single character: one seen fewer times has no
    branching statistics, so both its entropies count as 0 (exact for the
    default ``min_count`` of 2, where such a character is seen once).
    """
    vocab = encoded.vocab
    rare = vocab.counts < min_count
    levels, single_hashes = _linked_levels(encoded, seq, max_len, min_count)
    rare_hashes = single_hashes[_first_positions(encoded.codes - 1, len(vocab))[rare]]
    out_hashes, out_scores, out_lengths, out_counts = [], [], [], []
    parent_l = parent_r = None   # entropies of the level below
    for level, hashes, links in levels:
        h_l, h_r = level.entropy(level.left_sum), level.entropy(level.right_sum)
        counts = level.counts
        if links is None:   # single characters, against the entropy of the character distribution
            h0 = _entropy(vocab.counts)
            vbe_l = np.concatenate([h_l, np.zeros(rare.sum())]) - h0
            vbe_r = np.concatenate([h_r, np.zeros(rare.sum())]) - h0
            hashes, counts = np.concatenate([hashes, rare_hashes]), np.concatenate([counts, vocab.counts[rare]])
        else:
            vbe_l, vbe_r = h_l - parent_l[links[1]], h_r - parent_r[links[0]]
        parent_l, parent_r = h_l, h_r
        out_hashes.append(hashes)
        out_scores.append(vbe_l - vbe_l.mean() + vbe_r - vbe_r.mean())
        out_lengths.append(np.full(len(hashes), level.n, dtype=np.int8))
        out_counts.append(counts.astype(np.int64))
    return (np.concatenate(out_hashes), np.concatenate(out_scores),
            np.concatenate(out_lengths), np.concatenate(out_counts))


def _linked_levels(encoded: EncodedCorpus, seq: np.ndarray, max_len: int, min_count: int):
    """The non-empty levels of :func:`count_levels` as ``(level, hashes, links)``, and the
    single-character hash at every position.

    ``hashes`` are the decoder's keys of the level's n-grams; ``links`` the rows
    of each n-gram's prefix ``x[:-1]`` and suffix ``x[1:]`` in the level below
    (``None`` for single characters).
    """
    previous = np.where(seq != 0, _SEED, _EMPTY).astype(np.uint64)
    levels, parent_at, single_hashes = [], None, None
    for level, row_at in count_levels(encoded, max_len, min_count):
        if not len(level.counts) and level.n > 1:
            break
        hashes = _window_hashes(seq, previous, level.n)
        first = _first_positions(row_at, len(level.counts))
        links = None if parent_at is None else (parent_at[first], parent_at[first + 1])
        levels.append((level, hashes[first], links))
        single_hashes = hashes if single_hashes is None else single_hashes
        parent_at, previous = row_at.copy(), hashes
    return levels, single_hashes


def _entropy(counts: np.ndarray) -> float:
    """Entropy (nats) of the distribution with these counts: log N - sum c log c / N."""
    counts = counts[counts > 0].astype(np.float64)
    total = counts.sum()
    return math.log(total) - float((counts * np.log(counts)).sum()) / total if total else 0.0


@njit(cache=True)
def _lattice(seq: np.ndarray, lo: int, m: int, keys: np.ndarray, index: np.ndarray,
             weights: np.ndarray, max_len: int) -> np.ndarray:
    """``edges[s, l-1]``: the candidate row of the word ``seq[lo+s : lo+s+l]``, or -1."""
    edges = np.full((m, max_len), -1, dtype=np.int64)
    for start in range(m):
        h = _SEED
        for length in range(1, min(max_len, m - start) + 1):
            h = _extend(h, seq[lo + start + length - 1])
            slot = _slot(keys, h)
            if keys[slot] == _EMPTY:
                break
            if weights[index[slot]] > -np.inf:
                edges[start, length - 1] = index[slot]
    return edges


@njit(cache=True)
def _logaddexp(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


@njit(cache=True)
def _expected_counts(seq: np.ndarray, keys: np.ndarray, index: np.ndarray, weights: np.ndarray,
                     max_len: int, counts: np.ndarray) -> float:
    """E-step of EM over every Han run of ``seq``; returns the total log-likelihood.

    A segmentation ``w_1..w_k`` of a run has weight ``prod_i exp(weights[w_i])``;
    forward-backward adds to ``counts[w]`` the expected number of times ``w``
    is a word, ``sum over edges of exp(alpha[s] + weights[w] + beta[s+|w|] - log Z)``.
    """
    total = 0.0
    n, i = seq.shape[0], 0
    while i < n:
        if seq[i] == 0:
            i += 1
            continue
        j = i
        while j < n and seq[j] != 0:
            j += 1
        m = j - i
        edges = _lattice(seq, i, m, keys, index, weights, max_len)
        alpha = np.full(m + 1, -np.inf)
        beta = np.full(m + 1, -np.inf)
        alpha[0], beta[m] = 0.0, 0.0
        for s in range(m):
            for length in range(1, min(max_len, m - s) + 1):
                k = edges[s, length - 1]
                if k >= 0:
                    alpha[s + length] = _logaddexp(alpha[s + length], alpha[s] + weights[k])
        for s in range(m - 1, -1, -1):
            for length in range(1, min(max_len, m - s) + 1):
                k = edges[s, length - 1]
                if k >= 0:
                    beta[s] = _logaddexp(beta[s], weights[k] + beta[s + length])
        log_z = alpha[m]
        for s in range(m):
            for length in range(1, min(max_len, m - s) + 1):
                k = edges[s, length - 1]
                if k >= 0:
                    counts[k] += math.exp(alpha[s] + weights[k] + beta[s + length] - log_z)
        total += log_z
        i = j
    return total


def unigram_scores(seq: np.ndarray, hashes: np.ndarray, autonomy: np.ndarray, lengths: np.ndarray,
                   counts: np.ndarray, max_len: int = MAX_LEN, tolerance: float = EM_TOLERANCE,
                   progress: ProgressFn | None = None) -> np.ndarray:
    """Word scores ``log p(w) + a(w) |w|`` of the joint model (NaN: not a word).

    Candidates are the single characters and the n-grams of positive
    autonomy. The unigram probabilities ``p`` start proportional to the n-gram
    counts and are re-estimated by EM, each E-step weighting a segmentation by
    ``prod p(w) exp(a(w) |w|)`` (the language model and the boundary evidence
    together), until the log-likelihood improves by less than ``tolerance``
    (relative): a label-free stopping rule.
    """
    keep = (lengths == 1) | (autonomy > 0)
    bonus = autonomy * lengths
    logp = np.where(keep, np.log(np.maximum(counts, 1)), -np.inf)
    logp -= np.log(counts[keep].sum())
    keys, index = _build_index(hashes)
    last = -np.inf
    for step in range(EM_MAX_ITERATIONS):
        expected = np.zeros(hashes.shape[0])
        loglik = _expected_counts(seq, keys, index, logp + bonus, max_len, expected)
        with np.errstate(divide="ignore"):
            logp = np.where(expected > 0, np.log(expected), -np.inf) - np.log(expected.sum())
        if progress is not None:
            progress(step + 1, EM_MAX_ITERATIONS)
        if abs(loglik - last) <= tolerance * abs(loglik):
            break
        last = loglik
    return np.where(np.isfinite(logp), logp + bonus, np.nan)


# -- decoding ----------------------------------------------------------------
@njit(cache=True)
def _best_cuts(points: np.ndarray, classes: np.ndarray, lo: int, hi: int, keys: np.ndarray,
               vals: np.ndarray, max_len: int, out: np.ndarray, count: int) -> int:
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
        for length in range(1, min(max_len, m - i) + 1):
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


@njit(cache=True)
def _segment(points: np.ndarray, classes: np.ndarray, spans: np.ndarray, keys: np.ndarray,
             vals: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Word starts (plus the end) and a whitespace flag per token of one text."""
    starts, kinds = tokens.token_starts(classes, spans)
    out = np.empty(points.shape[0] + 1, dtype=np.int64)
    space = np.zeros(points.shape[0], dtype=np.bool_)
    count = 0
    for k in range(kinds.shape[0]):
        if kinds[k] == tokens.MODEL:
            count = _best_cuts(points, classes, starts[k], starts[k + 1], keys, vals, max_len, out, count)
        else:
            space[count] = kinds[k] == tokens.WHITESPACE
            out[count] = starts[k]
            count += 1
    out[count] = points.shape[0]
    return out[: count + 1], space[:count]


@njit(cache=True)
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


# -- the model ------------------------------------------------------------------
class Segmenter:
    """A fitted segmenter: candidate words with their scores ``a(w) * |w|``.

    Build one with :meth:`fit` (from raw text) or :meth:`load`; then
    :meth:`cut` a string, :meth:`cut_lines` an iterable of lines, or
    :meth:`segment_corpus` whole files.
    """

    def __init__(self, hashes: np.ndarray, scores: np.ndarray, max_len: int = MAX_LEN,
                 info: dict | None = None):
        self.hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
        self.scores = np.ascontiguousarray(scores, dtype=np.float32)
        self.max_len = int(max_len)
        self.info = dict(info or {})
        self._keys, index = _build_index(self.hashes)
        self._vals = np.where(index >= 0, self.scores[index], np.float32(0)).astype(np.float32)

    def __len__(self) -> int:
        """Number of candidate words (single characters included)."""
        return int(np.count_nonzero(~np.isnan(self.scores)))

    # -- learning
    @classmethod
    def fit(cls, corpus, *, method: str = "joint", max_len: int = MAX_LEN, min_count: int = MIN_COUNT,
            progress: ProgressFn | None = None, **corpus_options) -> Segmenter:
        """Learn from raw text: anything :func:`zhtext.corpus.as_corpus` accepts.

        ``progress(done, total)`` follows the reading (bytes of the files).
        """
        if max_len < 1 or min_count < 1:
            raise InputError("max_len and min_count must be at least 1")
        table = tokens.class_table()
        encoded = encode(corpus, breaks=lambda char: table[ord(char)] != tokens.HAN,
                         progress=progress, **corpus_options)
        if not encoded.total:
            raise InputError("the corpus has no Chinese (Han) text to learn from")
        seq = np.array([0] + [ord(c) for c in encoded.vocab.chars], dtype=np.int64)[encoded.codes]
        hashes, autonomy, lengths, counts = autonomy_table(encoded, seq, max_len, min_count)
        if method == "nvbe":
            scores = autonomy * lengths
        elif method == "joint":
            scores = unigram_scores(seq, hashes, autonomy, lengths, counts, max_len)
        else:
            raise InputError(f"unknown method {method!r} (choose joint or nvbe)")
        info = {"method": method, "min_count": min_count, "chars": encoded.total, "lines": encoded.lines,
                "words": int(np.count_nonzero((lengths > 1) & ~np.isnan(scores))),
                "prior_scores": _prior_scores(scores, lengths, max_len)}
        return cls(hashes, scores, max_len, info)

    def add_words(self, words) -> int:
        """Use a lexicon as a prior: each of its words becomes a candidate.

        ``words``: a :class:`zhtext.lexicon.Lexicon`, a path to a zhtext TSV
        lexicon or a jieba user dictionary, or an iterable of words. A word's
        score becomes at least that of a clearly good learned word of its
        length (the 90th percentile, :func:`_prior_scores`). Words longer than
        ``max_len`` and words with non-Han characters are skipped. Returns the
        number of words taken.
        """
        floors = self.info.get("prior_scores") or {}
        known = dict(zip(self.hashes.tolist(), self.scores.tolist()))
        added = 0
        for word in _lexicon_words(words):
            if not 1 <= len(word) <= self.max_len or any(
                    tokens.class_table()[p] != tokens.HAN for p in tokens.code_points(word)):
                continue
            for end in range(1, len(word)):  # prefixes keep the decoder's early stop valid
                known.setdefault(int(string_hash(word[:end])), math.nan)
            key = int(string_hash(word))
            old = known.get(key, math.nan)
            floor = floors.get(str(len(word)), 0.0)
            known[key] = max(floor, old if old == old else -math.inf)
            added += 1
        self.__init__(np.fromiter(known.keys(), np.uint64, len(known)),
                      np.fromiter(known.values(), np.float32, len(known)), self.max_len,
                      {**self.info, "prior_words": self.info.get("prior_words", 0) + added})
        return added

    # -- segmenting
    def spans(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``(starts, whitespace)``: token offsets (plus ``len(text)``) and which are whitespace."""
        points = tokens.code_points(text)
        return _segment(points, tokens.class_table()[points], tokens.protected_spans(text),
                        self._keys, self._vals, self.max_len)

    def cut(self, text: str, keep_whitespace: bool = False) -> list[str]:
        """The words of ``text``. Whitespace separates words and is dropped, unless
        ``keep_whitespace``: then whitespace runs are tokens too and
        ``"".join(cut(text, True)) == text`` always."""
        starts, space = self.spans(text)
        bounds = starts.tolist()
        if keep_whitespace:
            return [text[a:b] for a, b in zip(bounds, bounds[1:])]
        return [text[a:b] for a, b, s in zip(bounds, bounds[1:], space.tolist()) if not s]

    def cut_lines(self, lines: Iterable[str], keep_whitespace: bool = False) -> Iterator[list[str]]:
        """:meth:`cut` each line (a generator)."""
        for line in lines:
            yield self.cut(line, keep_whitespace)

    def render(self, text: str, sep: str = " ") -> str:
        """``text`` segmented as text: words joined by ``sep``, one output line per line."""
        points = tokens.code_points(text)
        starts, space = _segment(points, tokens.class_table()[points], tokens.protected_spans(text),
                                 self._keys, self._vals, self.max_len)
        return tokens.from_code_points(_render(points, starts, space, tokens.code_points(sep)))

    def segment_corpus(self, corpus, sep: str = " ", jobs: int = 1,
                       progress: ProgressFn | None = None, **corpus_options) -> Iterator[str]:
        """Segment a corpus of any size; yields output text in input order.

        The lines of the output are the input's lines (empty ones included),
        each with its words joined by ``sep``. Memory is bounded: text is read
        in batches of about a million characters, and with ``jobs > 1`` at most
        two batches per process are in flight.
        """
        batches = _batches(as_corpus(corpus, **corpus_options), progress)
        if jobs <= 1:
            chunks = (self.render(batch, sep) for batch in batches)
        else:
            chunks = _parallel(self, batches, sep, jobs)
        return _stitch(chunks, sep)

    # -- files
    def save(self, path: str | os.PathLike) -> None:
        """Write the model as ``.npz`` (arrays and a JSON header; no pickle), atomically."""
        header = {"format": FORMAT, "version": VERSION, "max_len": self.max_len, "info": self.info}
        with atomic_open(path, "wb", encoding=None, newline=None) as handle:
            np.savez_compressed(handle, header=np.frombuffer(json.dumps(header).encode(), np.uint8),
                                hashes=self.hashes, scores=self.scores)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Segmenter:
        """Read a model written by :meth:`save`; :class:`ModelError` if missing or corrupt."""
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(bytes(data["header"]).decode())
                hashes, scores = data["hashes"], data["scores"]
        except FileNotFoundError:
            raise ModelError(f"{path}: no such model file") from None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as err:
            raise ModelError(f"{path}: not a zhtext segmenter model ({type(err).__name__})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ModelError(f"{path}: not a zhtext segmenter model")
        if header.get("version") != VERSION:
            raise ModelError(f"{path}: segmenter model version {header.get('version')} is not "
                             f"supported (this zhtext reads version {VERSION})")
        if hashes.dtype != np.uint64 or scores.dtype != np.float32 or hashes.shape != scores.shape:
            raise ModelError(f"{path}: corrupt segmenter model (bad arrays)")
        return cls(hashes, scores, int(header.get("max_len", MAX_LEN)), header.get("info"))


def _prior_scores(scores: np.ndarray, lengths: np.ndarray, max_len: int) -> dict[str, float]:
    """Per word length, the 90th percentile of the learned scores: the score given to prior words."""
    out = {}
    for n in range(1, max_len + 1):
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


_WORKER: Segmenter | None = None


def _start_worker(hashes: np.ndarray, scores: np.ndarray, max_len: int) -> None:
    global _WORKER
    _WORKER = Segmenter(hashes, scores, max_len)


def _render_in_worker(batch: str, sep: str) -> str:
    return _WORKER.render(batch, sep)


def _parallel(model: Segmenter, batches: Iterator[str], sep: str, jobs: int) -> Iterator[str]:
    """Render batches in ``jobs`` processes, in order, with at most ``2 * jobs`` in flight."""
    import collections
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(
            jobs, _start_worker, (model.hashes, model.scores, model.max_len)) as pool:
        pending: collections.deque = collections.deque()
        for batch in batches:
            pending.append(pool.apply_async(_render_in_worker, (batch, sep)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


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
