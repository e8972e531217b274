"""Text to integer arrays: fragments of word characters, encoded once.

Every statistic in zhtext runs on one ``int32`` array, :attr:`EncodedCorpus.codes`:
each word character becomes a dense id ``1..V`` (1 = most frequent, ties broken
by code point), and every character that cannot be inside a word — and every
line end — becomes ``0``. A *fragment* is a maximal run of non-zero codes; no
n-gram crosses a ``0``. The array starts and ends with ``0``, so kernels can
look one step left or right of any word character without bounds checks.

Which characters break fragments (``breaks``):

* default: Unicode categories P* (punctuation), Z* (separators: spaces),
  S* (symbols: ``+ $ ¥ © ★ 😀``) and C* (controls, format, unassigned). Han
  characters, Latin letters and digits (ASCII or full width) are word
  characters, so ``１９９８年`` and ``B737`` can be counted as n-grams.
* a string: exactly those characters break (plus line ends).
* a callable ``char -> bool``.

``fold`` (an array over code points, e.g. :func:`zhtext.script.fold_table`)
gives two characters one id: a traditional character and its simplified form
are then counted as one.

Beside the counts, the vocabulary holds how often each character follows a
number written in digits (``after_number``): in ``3个``, ``１９９８年``, ``5万``
the digits say what the character is (a measure word, a unit), which the
segmenter uses (:func:`zhtext.segment.measure_words`).

The text is streamed: only the integer array grows (4 bytes a character).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
from numba import njit

from .corpus import ProgressFn, as_corpus

BreakSpec = str | Callable[[str], bool] | None
DEFAULT_BREAK_CATEGORIES = frozenset("PZSC")
_BATCH_CHARS = 1 << 20
_UNSEEN = -1


def is_break(char: str) -> bool:
    """True if ``char`` cannot be inside a word by default (punctuation, space, symbol, control)."""
    return char == "\n" or unicodedata.category(char)[0] in DEFAULT_BREAK_CATEGORIES


def _break_test(breaks: BreakSpec) -> Callable[[str], bool]:
    if breaks is None:
        return is_break
    if isinstance(breaks, str):
        chosen = frozenset(breaks) | {"\n"}
        return chosen.__contains__
    return lambda char: char == "\n" or bool(breaks(char))


class Vocabulary:
    """Word characters and their ids: ``id = index + 1``, most frequent first.

    ``encode`` maps a string to ids (``0`` for break characters, ``-1`` for
    characters never seen); ``decode`` maps ids back (``0`` -> a space).
    ``after_number[i]``: how often character ``i + 1`` directly follows a digit
    (ASCII or full width; zeros where unknown).
    """

    def __init__(self, chars: str, counts: np.ndarray, after_number: np.ndarray | None = None):
        self.chars = chars
        self.counts = np.asarray(counts, dtype=np.int64)
        self.after_number = (np.zeros(len(chars), np.int64) if after_number is None
                             else np.asarray(after_number, dtype=np.int64))
        self._index = {c: i + 1 for i, c in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: str) -> bool:
        return char in self._index

    def id(self, char: str) -> int:
        """The id of one character (``-1`` if unknown)."""
        return self._index.get(char, _UNSEEN)

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text`` (unknown: ``-1``)."""
        return np.fromiter((self._index.get(c, _UNSEEN) for c in text), dtype=np.int32,
                           count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        chars = self.chars
        return "".join(chars[i - 1] if i > 0 else " " for i in ids)

    def char_array(self) -> np.ndarray:
        """The characters as a numpy array of 1-character strings, index = id (index 0 is ' ')."""
        return np.array([" "] + list(self.chars))


@dataclass
class EncodedCorpus:
    """A corpus as fragments of dense character ids (see the module docstring)."""

    codes: np.ndarray
    vocab: Vocabulary
    lines: int

    @property
    def total(self) -> int:
        """Number of word characters (the n = 1 token count)."""
        return int(self.vocab.counts.sum())


class _Encoder:
    """Streams text into provisional ids (first-seen order), renumbered by frequency at the end."""

    def __init__(self, breaks: BreakSpec, fold: np.ndarray | None = None):
        self.is_break = _break_test(breaks)
        self.fold = fold
        self.table = np.full(0x110000, _UNSEEN, dtype=np.int32)  # code point -> provisional id
        self.code_points: list[int] = []                        # provisional id - 1 -> code point
        self.buffer = np.zeros(1 << 16, dtype=np.int32)
        self.size = 1  # buffer[0] = 0: the leading boundary
        self.lines = 0
        self.after_number = np.zeros(1, np.int64)   # provisional id -> times after a digit
        self.last_point = 0                         # the text's last character so far

    def add(self, text: str) -> None:
        self.lines += text.count("\n")
        points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        ids = self.table[points]
        if (ids == _UNSEEN).any():
            self._learn(np.unique(points[ids == _UNSEEN]))
            ids = self.table[points]
        if len(self.after_number) <= len(self.code_points):
            grown = np.zeros(2 * len(self.code_points) + 1, np.int64)
            grown[: len(self.after_number)] = self.after_number
            self.after_number = grown
        if len(points):
            _count_after_digits(points, ids, self.last_point, self.after_number)
            self.last_point = int(points[-1])
        self._append(ids)

    def _learn(self, points: np.ndarray) -> None:
        for point in points.tolist():
            if self.is_break(chr(point)):
                self.table[point] = 0
                continue
            same = point if self.fold is None else int(self.fold[point])
            if self.table[same] == _UNSEEN:
                self.code_points.append(same)
                self.table[same] = len(self.code_points)
            self.table[point] = self.table[same]

    def _append(self, ids: np.ndarray) -> None:
        need = self.size + len(ids) + 1
        if need > len(self.buffer):
            grown = np.zeros(max(need, 2 * len(self.buffer)), dtype=np.int32)
            grown[: self.size] = self.buffer[: self.size]
            self.buffer = grown
        self.buffer[self.size: self.size + len(ids)] = ids
        self.size += len(ids)

    def finish(self) -> tuple[np.ndarray, Vocabulary]:
        """Close with a boundary and renumber ids by descending frequency."""
        self._append(np.zeros(1, dtype=np.int32))
        codes = self.buffer[: self.size]
        counts = np.bincount(codes, minlength=len(self.code_points) + 1)[1:]
        points = np.array(self.code_points, dtype=np.int64)
        order = np.lexsort((points, -counts))  # frequency first, then code point
        rank = np.zeros(len(points) + 1, dtype=np.int32)
        rank[order + 1] = np.arange(1, len(points) + 1, dtype=np.int32)
        _renumber(codes, rank)
        chars = "".join(map(chr, points[order].tolist()))
        after = self.after_number[1: len(points) + 1]
        return codes, Vocabulary(chars, counts[order], after[order])


@njit(cache=True)
def _count_after_digits(points: np.ndarray, ids: np.ndarray, previous: int, after: np.ndarray) -> None:
    """``after[id] += 1`` for each word character right after a digit (0-9, ０-９)."""
    for i in range(points.shape[0]):
        if ids[i] > 0 and (48 <= previous <= 57 or 0xFF10 <= previous <= 0xFF19):
            after[ids[i]] += 1
        previous = points[i]


@njit(cache=True)
def _renumber(codes: np.ndarray, rank: np.ndarray) -> None:
    for i in range(codes.shape[0]):
        codes[i] = rank[codes[i]]


def encode(corpus, breaks: BreakSpec = None, progress: ProgressFn | None = None,
           fold: np.ndarray | None = None, observe: Callable[[str], None] | None = None,
           **corpus_options) -> EncodedCorpus:
    """Read ``corpus`` once and encode it (anything :func:`zhtext.corpus.as_corpus` accepts).

    With ``fold``, characters are counted as ``fold[code point]`` (the vocabulary
    holds the folded characters); see the module docstring. ``observe(block)``
    sees every block of text as it is read (for figures gathered in the same pass).

    A line end is a boundary like any break character; a long line is never
    cut, so every n-gram of it is counted.
    """
    encoder = _Encoder(breaks, fold)
    batch: list[str] = []
    batch_chars = 0
    for block in as_corpus(corpus, **corpus_options).blocks(progress):
        if observe is not None:
            observe(block)
        batch.append(block)
        batch_chars += len(block)
        if batch_chars >= _BATCH_CHARS:
            encoder.add("".join(batch))
            batch, batch_chars = [], 0
    encoder.add("".join(batch))
    codes, vocab = encoder.finish()
    return EncodedCorpus(codes, vocab, encoder.lines)
