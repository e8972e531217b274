r"""Domain contrast: how strongly a corpus over-represents a word against general text.

A domain's words are those its text uses more than general text does. For a
word seen ``a`` times in a corpus of ``A`` characters and ``b`` times in a
background of ``B`` characters, take the 2×2 table of observed counts

    O = | a      b     |      expected  E_ij = (row i total)(column j total) / (A + B)
        | A - a  B - b |

and Dunning's log-likelihood ratio (Dunning 1993, *Accurate methods for the
statistics of surprise and coincidence*)

    G² = 2 Σ_ij O_ij ln(O_ij / E_ij)        (0 ln 0 = 0)

which measures how surely the word's rate differs between the two texts, and
grows with the evidence (a rare word needs a large difference of rates). The
*keyness* is G² signed by the direction: ``+G²`` where ``a/A > b/B`` (the
word is over-represented in the corpus), ``-G²`` where it is
under-represented, so ranking by keyness puts the domain's words first and
general words last. A word absent from the background has ``b = 0``; G² is
then finite (with ``N = A + B``)

    G² = 2a ln(N/A) + 2(A-a) ln((A-a)N / (A(N-a))) + 2B ln(N/(N-a))

and grows with ``a``: a word seen twice is not made key by its absence alone.

Sizes are numbers of word characters on both sides; counts are of the same
kind on both sides (the background's :attr:`Background.unit`), compared
through script-folded forms (:func:`zhtext.script.fold_table`). A
:class:`Background` is one of

* a segmenter model (:class:`zhtext.segment.Segmenter`; by default the
  shipped base model, learned from about 45 M characters of general text):
  the string counts it stores for its candidate words, and the characters it
  was learned from. A word it does not hold (rarer than its ``min_count``
  there, never free of its context, or longer than its ``max_n``) has ``b = 0``;
  it holds no number and measure word (一个, 两次: :attr:`Background.measure_words`),
  whose keyness is then unknown (NaN, ranked last), not "absent from general text";
* a raw corpus: the words are counted in it exactly, in one pass (for this
  and a model, a count is of every occurrence of the word's string inside a
  fragment, and so it is in the corpus: :func:`occurrences`);
* a lexicon with counts (a zhtext TSV or a jieba dictionary, ``word count``
  lines): its counts are of *words* (tokens of a segmentation), not of
  strings (夫人 inside 王夫人 is no token), so they are compared with the
  corpus's counts of the word as a piece of discovery's rough segmentation;
  sizes stay in characters: ``B = Σ_w c(w) |w|``, the characters its counted
  words cover, and ``A`` the corpus's characters (the pieces cover each once).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .corpus import Corpus
from .encode import EncodedCorpus, encode
from .errors import InputError
from .lexicon import Lexicon
from .script import fold_table


LONGEST = 16
"""The longest string :func:`occurrences` counts: the pass tries up to this many characters
from every position, so a giant line of one repeated character stays a linear pass. A longer
discovered word is counted as a piece instead (as often as a string, for words that long)."""


def keyness(a, corpus_size: float, b, background_size: float) -> np.ndarray:
    """Signed G² of counts ``a`` in a corpus of ``corpus_size`` characters against counts ``b``
    in a background of ``background_size`` (module docstring): + over-, - under-represented.

    >>> float(keyness([20], 1000, [20], 1000)[0])
    0.0
    >>> round(float(keyness([10], 1000, [0], 1000)[0]), 4)
    13.9132
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    size_a, size_b = float(corpus_size), float(background_size)
    total = size_a + size_b
    observed = (a, b, size_a - a, size_b - b)
    expected = (size_a * (a + b) / total, size_b * (a + b) / total,
                size_a * (total - a - b) / total, size_b * (total - a - b) / total)
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * sum(np.where(o > 0, o * np.log(o / e), 0.0) for o, e in zip(observed, expected))
    return np.sign(a * size_b - b * size_a) * np.maximum(g2, 0.0)


def occurrences(encoded: EncodedCorpus, words) -> np.ndarray:
    """How often each of ``words`` occurs in ``encoded`` as a string inside a fragment, compared
    through script-folded forms: one pass over the text (:func:`zhtext.segment._count_words`).
    Words longer than :data:`LONGEST` characters are not counted (0)."""
    from .segment import _count_words, _vocab_points, _word_table, word_rows

    words = list(words)
    out = np.zeros(len(words), np.int64)
    counted = [i for i, w in enumerate(words) if 1 <= len(w) <= LONGEST]
    if not counted:
        return out
    width = max(len(words[i]) for i in counted)
    unique, inverse = np.unique(word_rows([words[i] for i in counted], width), axis=0,
                                return_inverse=True)
    keys, index = _word_table(unique)
    counts = np.zeros(len(unique), np.int64)
    points = fold_table()[_vocab_points(encoded.vocab)].astype(np.int32)
    _count_words(encoded.codes, points, keys, index, width, counts)
    out[counted] = counts[inverse.reshape(-1)]
    return out


@dataclass(frozen=True)
class Background:
    """General text to contrast a corpus with: its size in characters and a way to count words
    in it. Build one with :meth:`from_model`, :meth:`from_corpus` or :meth:`from_lexicon`, or let
    :func:`load_background` choose."""

    size: float
    name: str
    _count: Callable[[list], np.ndarray] = field(repr=False, compare=False)
    unit: str = "string"
    """What its counts count: ``"string"`` (every occurrence) or ``"word"`` (tokens)."""
    measure_words: str = ""
    """A model's measure words (:func:`zhtext.segment.measure_words`): it holds no number
    and measure word such as 一个, so it cannot count one."""

    def counts(self, words) -> np.ndarray:
        """The count ``b`` of each word in the background (0 where it holds none)."""
        return np.asarray(self._count(list(words)), dtype=np.int64)

    def keyness(self, words, counts, corpus_size: float) -> np.ndarray:
        """Signed G² of ``words`` seen ``counts`` times in a corpus of ``corpus_size`` characters
        (NaN for a number and measure word that a model background cannot count)."""
        words = list(words)
        out = keyness(counts, corpus_size, self.counts(words), self.size)
        if self.measure_words:
            from .segment import is_number_phrase

            out[is_number_phrase(words, self.measure_words)] = np.nan
        return out

    @classmethod
    def from_model(cls, model) -> Background:
        """A segmenter model's string counts, over the characters it was learned from."""
        from .segment import _row_lengths

        size = model.info.get("chars") or float(model.counts[_row_lengths(model.rows) == 1].sum())
        return cls(float(size), model.info.get("name", "segmenter model"),
                   lambda words: _table_counts(model._keys, model._index, model.counts,
                                               model.max_n, words),
                   measure_words=model.info.get("measure_words", ""))

    @classmethod
    def from_lexicon(cls, lexicon: Lexicon, name: str = "lexicon") -> Background:
        """A lexicon's counts, over ``Σ c(w)|w|`` characters; folded duplicates add up."""
        from .segment import _word_table, word_rows

        words = [w for w in lexicon.words if w]
        counts = np.array([lexicon[w].count for w in words], dtype=np.float64)
        width = max((len(w) for w in words), default=1)
        unique, inverse = np.unique(word_rows(words, width), axis=0, return_inverse=True)
        summed = np.zeros(len(unique))
        np.add.at(summed, inverse.reshape(-1), counts)
        keys, index = _word_table(unique)
        size = float((counts * np.array([len(w) for w in words])).sum())
        return cls(size, name, lambda asked: _table_counts(keys, index, summed, width, asked), "word")

    @classmethod
    def from_corpus(cls, corpus, name: str = "corpus", **corpus_options) -> Background:
        """A raw corpus (anything :func:`zhtext.corpus.as_corpus` takes), read once now; words are
        counted in it exactly when asked (:func:`occurrences`)."""
        encoded = encode(corpus, **corpus_options)
        return cls(float(encoded.total), name, lambda words: occurrences(encoded, words))


def _table_counts(keys, index, counts, width: int, words: list) -> np.ndarray:
    """Counts of ``words`` in a word table (0 for a word it lacks or longer than ``width``)."""
    from .segment import _lookup, word_rows

    out = np.zeros(len(words), np.int64)
    short = [i for i, w in enumerate(words) if 1 <= len(w) <= width]
    if short:
        rows = _lookup(keys, index, word_rows([words[i] for i in short], width))
        out[short] = np.where(rows >= 0, np.asarray(counts)[rows], 0)
    return out


def load_background(background) -> Background | None:
    """The :class:`Background` that ``background`` names.

    A :class:`Background` as it is; ``None`` or ``"none"``: none; ``"default"``: the
    shipped base model (:func:`zhtext.segment.default_base_path`; ``None`` where this
    installation has none); a :class:`~zhtext.segment.Segmenter`, a
    :class:`~zhtext.lexicon.Lexicon` or a :class:`~zhtext.corpus.Corpus`; a path: a model
    file (``.npz``), a lexicon file (a zhtext TSV, or a first line ``word count``), else
    raw text. A missing or damaged file is a one-line :class:`~zhtext.errors.InputError`
    or :class:`~zhtext.errors.ModelError`.
    """
    from .segment import Segmenter, load_base

    if background is None or isinstance(background, Background):
        return background
    if isinstance(background, str) and background in ("none", "default"):
        model = load_base(background)
        return None if model is None else Background.from_model(model)
    if isinstance(background, Segmenter):
        return Background.from_model(background)
    if isinstance(background, Lexicon):
        return Background.from_lexicon(background)
    if isinstance(background, Corpus):
        return Background.from_corpus(background)
    if not isinstance(background, (str, os.PathLike)):
        raise InputError(f"a background is a model, lexicon, corpus or file path, "
                         f"not {type(background).__name__}")
    path = Path(background)
    if path.suffix == ".npz":
        return Background.from_model(Segmenter.load(path))
    if _is_lexicon_file(path):
        return Background.from_lexicon(Lexicon.load(path), path.name)
    return Background.from_corpus(Corpus.from_files([path]), path.name)


def _is_lexicon_file(path: Path) -> bool:
    """Whether the first non-empty line is a zhtext TSV header or ``word count [tag]``."""
    for line in Corpus.from_files([path]):
        parts = line.split()
        if not parts:
            continue
        if line.startswith("word\tcount"):
            return True
        try:
            return 2 <= len(parts) <= 3 and float(parts[1]) >= 0
        except ValueError:
            return False
    return False
