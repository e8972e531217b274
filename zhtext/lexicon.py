"""A ranked word list with statistics: what new-word discovery produces.

Two file formats:

* **TSV** (default): a header, then ``word  count  cohesion  left_entropy
  right_entropy  score`` per line (tab separated; the first two columns are
  always ``word`` and ``count``).
* **jieba**: ``word count`` per line, loadable with ``jieba.load_userdict``.

:meth:`Lexicon.load` reads both, and any jieba dictionary (``word [count [tag]]``).
"""

from __future__ import annotations

import math
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .atomic import atomic_open
from .errors import InputError
from .tokens import is_han

STAT_COLUMNS = ("cohesion", "left_entropy", "right_entropy", "score")
FORMATS = ("tsv", "jieba")


@dataclass(frozen=True)
class Entry:
    word: str
    count: int
    cohesion: float = math.nan
    left_entropy: float = math.nan
    right_entropy: float = math.nan
    score: float = math.nan


@dataclass(frozen=True)
class Lexicon:
    """Words with counts and statistics, in rank order (index 0 = best).

    Columns are numpy arrays aligned with :attr:`words`; missing statistics are NaN.
    """

    words: tuple[str, ...]
    counts: np.ndarray
    cohesion: np.ndarray
    left_entropy: np.ndarray
    right_entropy: np.ndarray
    score: np.ndarray
    _index: dict = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def from_columns(cls, words: Iterable[str], counts, **stats) -> Lexicon:
        words = tuple(words)
        columns = {name: np.asarray(stats.get(name, np.full(len(words), np.nan)), dtype=np.float64)
                   for name in STAT_COLUMNS}
        return cls(words, np.asarray(counts, dtype=np.int64), **columns)

    # -- container protocol ----------------------------------------------------
    def __len__(self) -> int:
        return len(self.words)

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def _repr_html_(self) -> str:
        """Shown in a notebook as a table of its first entries (:func:`zhtext.svg.lexicon_html`)."""
        from .svg import lexicon_html

        return lexicon_html(self)

    def __getitem__(self, word: str) -> Entry:
        i = self._index[word]
        return Entry(word, int(self.counts[i]), *(float(getattr(self, c)[i]) for c in STAT_COLUMNS))

    def entries(self) -> Iterator[Entry]:
        for word in self.words:
            yield self[word]

    def to_dict(self) -> dict[str, int]:
        """``{word: count}``, e.g. for another tokenizer's dictionary."""
        return dict(zip(self.words, self.counts.tolist()))

    # -- selection -------------------------------------------------------------
    def select(self, mask: np.ndarray) -> Lexicon:
        """The entries where ``mask`` is true, in the same order."""
        return self._take(np.flatnonzero(mask))

    def ranked(self, by: str = "count") -> Lexicon:
        """Sorted by ``count`` or ``score`` (descending; ties by the other key, then the word)."""
        if by not in ("count", "score"):
            raise InputError(f"rank by 'count' or 'score', not {by!r}")
        primary, secondary = (self.counts, self.score) if by == "count" else (self.score, self.counts)
        order = sorted(range(len(self)), key=lambda i: (-primary[i], -np.nan_to_num(secondary[i]),
                                                        self.words[i]))
        return self._take(order)

    def _take(self, order) -> Lexicon:
        idx = np.asarray(order, dtype=np.int64)
        return Lexicon(tuple(self.words[i] for i in idx), self.counts[idx],
                       *(getattr(self, c)[idx] for c in STAT_COLUMNS))

    def top(self, k: int) -> Lexicon:
        return self._take(list(range(min(k, len(self)))))

    def with_min_length(self, length: int) -> Lexicon:
        return self.select(np.array([len(w) >= length for w in self.words], dtype=bool))

    def without(self, reference: Iterable[str], fold: bool = True) -> Lexicon:
        """Only the words not in ``reference`` (e.g. a known dictionary): the new words.

        With ``fold`` (default), words are compared through their simplified form
        (:func:`zhtext.script.simplified`), so 問題 is known when 问题 is.
        """
        if not fold:
            known = set(reference)
            return self.select(np.array([w not in known for w in self.words], dtype=bool))
        from .script import simplified

        known = {simplified(w) for w in reference}
        return self.select(np.array([simplified(w) not in known for w in self.words], dtype=bool))

    # -- files -------------------------------------------------------------------
    def save(self, path: str | os.PathLike, format: str = "tsv") -> None:
        """Write atomically as ``tsv`` or ``jieba`` (``path == '-'``: standard output)."""
        if format not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        with atomic_open(path) as out:
            if format == "jieba":
                out.writelines(f"{w} {c}\n" for w, c in zip(self.words, self.counts.tolist())
                               if jieba_safe(w))
                return
            out.write("word\tcount\t" + "\t".join(STAT_COLUMNS) + "\n")
            for e in self.entries():
                out.write(f"{e.word}\t{e.count}\t{e.cohesion:.4f}\t{e.left_entropy:.4f}\t"
                          f"{e.right_entropy:.4f}\t{e.score:.4f}\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Lexicon:
        """Read a zhtext TSV or any jieba dictionary (``word [count [tag]]``, count defaults to 1)."""
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except UnicodeDecodeError as err:
            raise InputError(f"{path}: not UTF-8 text (byte offset {err.start})") from None
        if lines and lines[0].startswith("word\tcount"):
            return cls._from_tsv(path, lines)
        words, counts = [], []
        for number, line in enumerate(lines, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                counts.append(int(float(parts[1])) if len(parts) > 1 else 1)
            except ValueError:
                raise InputError(f"{path}: line {number}: count {parts[1]!r} is not a number") from None
            words.append(parts[0])
        return cls.from_columns(words, counts)

    @classmethod
    def _from_tsv(cls, path: Path, lines: list[str]) -> Lexicon:
        header = lines[0].split("\t")
        rows = [line.split("\t") for line in lines[1:] if line]
        try:
            columns = {name: [float(r[header.index(name)]) for r in rows]
                       for name in STAT_COLUMNS if name in header}
            return cls.from_columns([r[0] for r in rows], [int(r[1]) for r in rows], **columns)
        except (ValueError, IndexError):
            raise InputError(f"{path}: malformed zhtext lexicon TSV") from None


def jieba_safe(word: str) -> bool:
    """Whether ``word`` can go into a jieba user dictionary without harm.

    jieba keeps a run of letters and digits whole only while no dictionary
    word ends or starts inside it: an entry ``DDR`` would make it cut ``DDR3``
    into ``DDR / 3``, an entry ``20`` would cut ``2008``. So an entry with a
    letter or digit at either end is left out of the jieba format (it stays in
    the TSV), as is one holding whitespace, which jieba reads as a separator.
    """
    return bool(word) and not (word[0].isalnum() and not is_han(word[0])) and \
        not (word[-1].isalnum() and not is_han(word[-1])) and not any(c.isspace() for c in word)


def is_lexicon_word(word: str, mixed: bool = False) -> bool:
    """Whether a discovered string is a lexicon entry.

    By default an entry is Chinese characters (ideographs) only: bare numbers,
    Latin words, number + unit strings and kana (``１０``, ``the``, ``１月``,
    ``腌か``) are not words of a Chinese lexicon. With ``mixed``, a term that holds a letter is an entry
    too (``iPhone15``, ``B超``, ``DDR3``); discovery never cuts inside a run of
    letters and digits, so such a term is always a whole run.
    """
    if all(_is_ideograph(c) for c in word):
        return True
    return mixed and any(c.isalpha() and not is_han(c) for c in word)


def _is_ideograph(char: str) -> bool:
    return char in "〇々" or unicodedata.name(char, "").startswith(("CJK ", "IDEOGRAPHIC"))


def jieba_dictionary() -> Path:
    """Path of the ``dict.txt`` shipped with jieba: the default reference for new words."""
    import jieba

    return Path(jieba.__file__).with_name("dict.txt")
