"""A ranked word list with statistics: what new-word discovery produces.

Two file formats:

* **TSV** (default): a header, then ``word  count  cohesion  left_entropy
  right_entropy  score  keyness`` per line (tab separated; the first two columns are
  always ``word`` and ``count``; ``nan`` where a statistic is missing).
* **jieba**: ``word count`` per line, loadable with ``jieba.load_userdict``;
  with ``extends`` (the dictionary it will be added to), a frequency calibrated
  against that dictionary instead of the count (:func:`jieba_frequencies`).

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

STAT_COLUMNS = ("cohesion", "left_entropy", "right_entropy", "score", "keyness")
RANKINGS = {"count": ("counts", "score"), "score": ("score", "counts"), "keyness": ("keyness", "counts")}
"""Each ranking's key, then the key that breaks its ties (then the word)."""
FORMATS = ("tsv", "jieba")


@dataclass(frozen=True)
class Entry:
    word: str
    count: int
    cohesion: float = math.nan
    left_entropy: float = math.nan
    right_entropy: float = math.nan
    score: float = math.nan
    keyness: float = math.nan


@dataclass(frozen=True)
class Lexicon:
    """Words with counts and statistics, in rank order (index 0 = best).

    Columns are numpy arrays aligned with :attr:`words`; missing statistics are NaN
    (``keyness``, the signed G² against a background (:mod:`zhtext.keyness`), is there
    only when discovery was given a background). :class:`WordDiscoverer` makes one;
    :meth:`from_columns` and :meth:`load` too. A lexicon is immutable: selections
    and rankings return new ones. ``word in lexicon``, ``len(lexicon)``,
    iteration over the words and ``lexicon[word]`` (an :class:`Entry`) work as
    for a mapping.

    Attributes
    ----------
    words : tuple of str
        The words, best first.
    counts : numpy.ndarray
        ``int64`` occurrences of each word (as a piece of the rough segmentation,
        for a discovered lexicon).
    cohesion, left_entropy, right_entropy, score : numpy.ndarray
        The statistics of discovery (:mod:`zhtext.discover`), in nats.
    keyness : numpy.ndarray
        Signed G² against a background; NaN without one.

    Examples
    --------
    >>> from zhtext import Lexicon
    >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉"], [3861, 2355, 1317])
    >>> len(lexicon), "宝玉" in lexicon, lexicon["宝玉"].count
    (3, True, 3861)
    >>> lexicon.to_dict()
    {'宝玉': 3861, '笑道': 2355, '黛玉': 1317}
    """

    words: tuple[str, ...]
    counts: np.ndarray
    cohesion: np.ndarray
    left_entropy: np.ndarray
    right_entropy: np.ndarray
    score: np.ndarray
    keyness: np.ndarray
    _index: dict = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def from_columns(cls, words: Iterable[str], counts, **stats) -> Lexicon:
        """A lexicon of words and their counts, in the order given; statistics optional.

        Parameters
        ----------
        words : iterable of str
        counts : array-like of int
            One per word.
        **stats : array-like of float
            Any of ``cohesion``, ``left_entropy``, ``right_entropy``, ``score``,
            ``keyness``, one value per word; the others are NaN.

        Returns
        -------
        Lexicon

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.words, lexicon.score[:2]
        (('宝玉', '笑道', '黛玉', '了'), array([9.4, 7.9]))
        >>> lexicon["宝玉"].cohesion
        nan
        """
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
        """``{word: count}``, e.g. for another tokenizer's dictionary.

        Returns
        -------
        dict of str to int
            In rank order.

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.to_dict()
        {'宝玉': 3861, '笑道': 2355, '黛玉': 1317, '了': 9000}
        """
        return dict(zip(self.words, self.counts.tolist()))

    # -- selection -------------------------------------------------------------
    def select(self, mask: np.ndarray) -> Lexicon:
        """The entries where ``mask`` is true, in the same order.

        Parameters
        ----------
        mask : numpy.ndarray of bool
            One value per word.

        Returns
        -------
        Lexicon

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.select(lexicon.counts > 2000).words
        ('宝玉', '笑道', '了')
        """
        return self._take(np.flatnonzero(mask))

    def ranked(self, by: str = "count") -> Lexicon:
        """The lexicon sorted by ``count``, ``score`` or ``keyness``, highest first.

        Ties are broken by count (by score when ranking by ``count``), then by
        the word; a missing value ranks last.

        Parameters
        ----------
        by : {"count", "score", "keyness"}, default "count"
            ``score`` puts words that both hold together and combine freely
            first; ``keyness`` (discovery with a background) puts first what the
            corpus over-represents against general text.

        Returns
        -------
        Lexicon

        Raises
        ------
        InputError
            An unknown ranking, or ``keyness`` when no word has one.

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.ranked().words
        ('了', '宝玉', '笑道', '黛玉')
        >>> lexicon.ranked("score").words
        ('宝玉', '黛玉', '笑道', '了')
        >>> lexicon.ranked("keyness")
        Traceback (most recent call last):
        ...
        zhtext.errors.InputError: no keyness to rank by: discover with a background ...
        """
        if by not in RANKINGS:
            raise InputError(f"rank by {' or '.join(map(repr, RANKINGS))}, not {by!r}")
        if by == "keyness" and len(self) and np.isnan(self.keyness).all():
            raise InputError("no keyness to rank by: discover with a background "
                             "(WordDiscoverer(background=...), zhtext discover --background)")
        primary, secondary = (np.nan_to_num(np.asarray(getattr(self, name), dtype=np.float64),
                                            nan=-np.inf) for name in RANKINGS[by])
        order = sorted(range(len(self)), key=lambda i: (-primary[i], -secondary[i], self.words[i]))
        return self._take(order)

    def _take(self, order) -> Lexicon:
        idx = np.asarray(order, dtype=np.int64)
        return Lexicon(tuple(self.words[i] for i in idx), self.counts[idx],
                       *(getattr(self, c)[idx] for c in STAT_COLUMNS))

    def top(self, k: int) -> Lexicon:
        """The first ``k`` entries (all of them if there are fewer), in rank order.

        Parameters
        ----------
        k : int

        Returns
        -------
        Lexicon

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.top(2).words
        ('宝玉', '笑道')
        >>> lexicon.ranked("score").top(2).words
        ('宝玉', '黛玉')
        """
        return self._take(list(range(min(k, len(self)))))

    def with_min_length(self, length: int) -> Lexicon:
        """Only the words of at least ``length`` characters, in the same order.

        A discovered lexicon holds single characters (they are words too);
        ``with_min_length(2)`` leaves them out.

        Parameters
        ----------
        length : int

        Returns
        -------
        Lexicon

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.with_min_length(2).words
        ('宝玉', '笑道', '黛玉')
        """
        return self.select(np.array([len(w) >= length for w in self.words], dtype=bool))

    def without(self, reference: Iterable[str], fold: bool = True) -> Lexicon:
        """Only the words not in ``reference`` (e.g. a known dictionary): the new words.

        With ``fold`` (default), words are compared through their simplified form
        (:func:`zhtext.script.simplified`), so 問題 is known when 问题 is.
        :meth:`WordDiscoverer.new_words` also drops collocations of known words.

        Parameters
        ----------
        reference : iterable of str
            The known words (a list, a set, another :class:`Lexicon`).
        fold : bool, default True

        Returns
        -------
        Lexicon

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.without(["寶玉"]).words                # 寶玉 is 宝玉 in traditional script
        ('笑道', '黛玉', '了')
        >>> lexicon.without(["寶玉"], fold=False).words
        ('宝玉', '笑道', '黛玉', '了')
        """
        if not fold:
            known = set(reference)
            return self.select(np.array([w not in known for w in self.words], dtype=bool))
        from .script import simplified

        known = {simplified(w) for w in reference}
        return self.select(np.array([simplified(w) not in known for w in self.words], dtype=bool))

    # -- files -------------------------------------------------------------------
    def save(self, path: str | os.PathLike, format: str = "tsv", extends=None) -> None:
        """Write atomically as ``tsv`` or ``jieba`` (``path == '-'``: standard output).

        ``extends`` (jieba format only): the jieba dictionary the file will be loaded
        into with ``load_userdict`` (a ``jieba.Tokenizer``, or the path of its
        ``dict.txt``); each entry then gets the frequency :func:`jieba_frequencies`
        calibrates, and entries jieba can already build from its own words are left
        out. Without it, each entry's frequency is its count (a dictionary of its own).
        The jieba format also leaves out the words :func:`jieba_safe` refuses
        (a letter or digit at either end, whitespace).

        Parameters
        ----------
        path : str or path-like
            The file; ``"-"`` is standard output.
        format : {"tsv", "jieba"}, default "tsv"
            ``tsv``: a header and every column (4 decimals, ``nan`` where
            missing); ``jieba``: ``word frequency`` lines for ``jieba.load_userdict``.
        extends : jieba.Tokenizer or path, optional
            See above.

        Raises
        ------
        InputError
            An unknown format.

        Examples
        --------
        >>> from zhtext import Lexicon
        >>> lexicon = Lexicon.from_columns(["宝玉", "笑道", "黛玉", "了"], [3861, 2355, 1317, 9000],
        ...                                score=[9.4, 7.9, 8.9, 1.0])
        >>> lexicon.top(2).save("-")                       # doctest: +NORMALIZE_WHITESPACE
        word    count   cohesion  left_entropy  right_entropy  score   keyness
        宝玉    3861    nan       nan           nan            9.4000  nan
        笑道    2355    nan       nan           nan            7.9000  nan
        >>> lexicon.save("-", format="jieba")
        宝玉 3861
        笑道 2355
        黛玉 1317
        了 9000
        """
        if format not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if format == "jieba":
            words = [w for w in self.words if jieba_safe(w)]
            counts = (jieba_frequencies(words, extends) if extends is not None
                      else [self[w].count for w in words])
        with atomic_open(path) as out:
            if format == "jieba":
                out.writelines(f"{w} {c}\n" for w, c in zip(words, counts) if c)
                return
            out.write("word\tcount\t" + "\t".join(STAT_COLUMNS) + "\n")
            for e in self.entries():
                out.write(f"{e.word}\t{e.count}\t" + "\t".join(f"{getattr(e, c):.4f}"
                                                             for c in STAT_COLUMNS) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Lexicon:
        r"""Read a zhtext TSV or any jieba dictionary (``word [count [tag]]``, count defaults to 1).

        A file whose first line starts with ``word<TAB>count`` is a zhtext TSV
        (:meth:`save`); any other is read as a jieba dictionary, its tags
        dropped, in the file's order.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        Lexicon

        Raises
        ------
        InputError
            A missing file, text that is not UTF-8, a count that is not a
            number, or a malformed TSV.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from zhtext import Lexicon
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     user = Path(folder) / "userdict.txt"
        ...     _ = user.write_text("宝玉 3 nr\n笑道\n", encoding="utf-8")
        ...     lexicon = Lexicon.load(user)
        >>> lexicon.words, lexicon.counts
        (('宝玉', '笑道'), array([3, 1]))
        >>> from zhtext.lexicon import jieba_dictionary
        >>> len(Lexicon.load(jieba_dictionary()))      # jieba's own dict.txt
        349046
        """
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


def jieba_frequencies(words: Iterable[str], dictionary) -> list[int]:
    """The frequency to give each new word in a jieba user dictionary, 0 to leave it out.

    jieba cuts a sentence into the words maximising ``Σ log(f(w)/T)`` (``f``: the
    dictionary's frequencies, ``T`` their total; a character it lacks counts 1). A word
    ``w = c_1..c_n`` with ``f(w) = T Π_i f(c_i)/T`` ties with its own cut into single
    characters, so with ``f(w) = ⌊T Π_i f(c_i)/T⌋ + 1`` it wins where jieba would
    otherwise cut its span into single characters (which the HMM may then join), and
    loses to the words jieba has. A word whose cut by jieba alone holds a word of two or
    more characters (特别是 = 特别 + 是) is 0: the dictionary already decides how to cut
    it, and the entry could only make jieba coarser. jieba's frequencies are integers, so
    the least written is 1; for most words of three or more characters that is above the
    calibrated value, and such an entry also beats a few cuts into words (自卸/了/妆 ->
    自/卸了妆).

    ``dictionary``: a ``jieba.Tokenizer`` or the path of a jieba dictionary.
    """
    import jieba

    tokenizer = dictionary if isinstance(dictionary, jieba.Tokenizer) else \
        jieba.Tokenizer(dictionary=str(dictionary))
    tokenizer.check_initialized()
    log_total = math.log(tokenizer.total)
    out = []
    for word in words:
        if any(len(piece) > 1 for piece in tokenizer.cut(word, HMM=False)):
            out.append(0)
            continue
        log_f = sum(math.log(tokenizer.FREQ.get(c) or 1) for c in word) - (len(word) - 1) * log_total
        out.append(int(math.exp(min(log_f, 50.0))) + 1)
    return out


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
