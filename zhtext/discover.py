r"""New-word discovery: cohesion filter, rough segmentation, back-check (Numba).

The algorithm (after Su Jianlin's segmentation-based discovery), on the encoded
corpus of :mod:`zhtext.encode`:

1. **Cohesion filter.** Count the n-grams ``n = 1..max_n`` (:mod:`zhtext.ngrams`)
   and keep those with ``c(w) >= min_count`` and cohesion
   ``coh(w) = min_k log(P(w) / (P(w[:k]) P(w[k:]))) >= θ_n``
   (defaults ``θ_n = 2(n-1)`` nats: 2, 4, 6 for n = 2, 3, 4 — longer strings
   must beat chance by a wider margin, since a long n-gram is rarer by default).
   PMI has a ceiling: an n-gram whose parts never occur apart has
   ``coh = log(T / c(w))``, which a frequent word in a small corpus cannot lift
   above ``θ_n``; so an n-gram also passes when ``coh >= ρ log(T / c(w))`` with
   ``ρ = 0.9`` (normalised PMI near its maximum: the parts almost never occur
   apart).
2. **Rough segmentation.** In every fragment, a gap between two characters is
   *covered* if some kept n-gram spans it, or if both characters are letters or
   digits (a run such as ``DDR3`` or ``2008`` is never cut); cut at every
   uncovered gap and count the pieces.
3. **Back-check.** Drop pieces with ``c < min_count``; a piece of three or more
   characters survives only if each of its windows of length ``min(len, max_n)``
   is a kept n-gram (chains of overlapping cohesive n-grams that were never
   cohesive as a whole are removed).
4. **Statistics.** For each word: its count as a piece, its cohesion (for words
   longer than ``max_n``, the weakest window's), the branching entropy of the
   characters next to its occurrences as a piece (edges count as distinct
   neighbours, see :mod:`zhtext.ngrams`), and the score ``coh + min(H_L, H_R)``.
   An optional filter ``min_entropy`` drops words with ``min(H_L, H_R)`` below it.
5. **Entries.** A lexicon entry is made of Chinese characters
   (:func:`zhtext.lexicon.is_lexicon_word`): bare numbers, Latin words and
   number + unit strings are dropped, unless ``mixed``, which keeps terms that
   hold a letter (``iPhone15``, ``B超``) as whole runs. A number written in
   Chinese and its measure word (一个, 两次: :func:`zhtext.segment.number_phrases`,
   with the corpus's measure words) is no entry either, as ``3个`` is none.
6. **New words** (:meth:`WordDiscoverer.new_words`), against a reference
   dictionary: a word is known if its simplified form is in it; and a word
   ``w = xy`` that splits into two *free units* is a collocation of known
   words (这一, 也是, 基础上), not a new word. A part ``x`` is free in ``w``
   when it occurs mostly outside it, ``c(w) < ½ c(x)`` (这, 也, 是, 基础
   combine with many words; 泽 in 泽民, 荧屏 in 搬上荧屏 do not: a new word
   binds at least one of its parts), and it is a unit when it is a known word
   or itself a collocation of free units: 才会有 = 才 + 会有 with 会有 = 会 + 有,
   他还说 = 他 + (还 + 说). The ½ is fixed a priori: "mostly" is "more than
   half". Counts of parts longer than ``max_n`` are unknown (0). A name is no
   collocation although its characters are known words, because each
   bracketing holds a part seen mostly inside it (世清 in 夏世清, 阜村 and 小阜
   in 小阜村): freedom is asked of every part at every level, not only of
   the single characters.
   And a word that occurs mostly inside a known word one character longer,
   ``2 c(xw) > c(w)`` or ``2 c(wx) > c(w)`` (力以赴 in 全力以赴, 条不紊 in
   有条不紊), is a *fragment* of a known word, not a new word: the same "more
   than half", on n-gram counts (known words of at most ``max_n``
   characters, seen at least ``min_count`` times).
7. **Keyness** (with a ``background``, :mod:`zhtext.keyness`): each word's
   signed Dunning log-likelihood ratio ``G² = 2 Σ O ln(O/E)`` over the 2×2
   table of its occurrences ``a`` in the corpus (``A`` characters) and ``b``
   in general text (``B`` characters), positive where ``a/A > b/B``: what the
   corpus over-represents, its domain's words, ranks first.

``min_count`` grows with the corpus: by default
``max(2, round(3 * sqrt(T / 10^6)))`` for ``T`` word characters (2 at 0.4 M
characters, 4 at 2 M, 20 at 45 M, 56 at 350 M — about a gigabyte of text):
rare strings are more numerous in a larger corpus, while a count needs to grow
only slowly for its PMI to become reliable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from numba import njit

from .corpus import ProgressFn
from .encode import EncodedCorpus, encode
from .errors import InputError
from .hashing import splitmix64
from .keyness import LONGEST, load_background, occurrences
from .lexicon import Lexicon, is_lexicon_word
from .ngrams import (KeyLayout, Level, NgramStats, _build_index, _cohesion, _find, _gain, _pack,
                     count_levels, entropies)
from .segment import is_number_phrase, measure_words
from .tokens import is_han

NEW, KNOWN, COLLOCATION, FRAGMENT = 0, 1, 2, 3
"""What a discovered word is against a reference dictionary (:meth:`WordDiscoverer.statuses`)."""
STATUS_NAMES = ("new", "known", "collocation", "fragment")


NEAR_CEILING = 0.9
"""ρ: an n-gram whose parts (almost) never occur apart passes whatever its length."""


def default_min_count(total_chars: int) -> int:
    """``max(2, round(3 * sqrt(T / 10^6)))``: the count a word needs in a corpus of T characters."""
    return max(2, round(3 * math.sqrt(total_chars / 1e6)))


def default_thresholds(max_n: int) -> tuple[float, ...]:
    """Cohesion thresholds ``θ_n = 2(n-1)`` nats for n = 1..max_n (θ_1 is unused)."""
    return tuple(2.0 * (n - 1) for n in range(1, max_n + 1))


@dataclass
class WordDiscoverer:
    """Find the words of a raw corpus, with no dictionary; ``fit`` then read :attr:`lexicon_`.

    The steps (cohesion filter, rough segmentation, back-check, statistics)
    and the reasons for the defaults are in the module docstring.
    ``min_count=None`` and ``thresholds=None`` use the defaults derived from
    the corpus size and ``max_n``.

    Parameters
    ----------
    max_n : int, default 4
        The longest n-gram the cohesion filter counts. Words can be longer: a
        chain of overlapping cohesive n-grams that passes the back-check.
    min_count : int, optional
        The least count of a word. Default ``max(2, round(3 * sqrt(T / 10**6)))``
        for ``T`` word characters: rare strings are more numerous in a larger corpus.
    thresholds : tuple of float, optional
        ``θ_n`` for ``n = 1..max_n``, in nats (``θ_1`` is unused). Default
        ``2(n-1)``: 2, 4, 6 for n = 2, 3, 4.
    min_entropy : float, optional
        Drop the words whose ``min(H_L, H_R)`` is below it; ``None``: no filter.
    mixed : bool, default False
        Keep terms that hold a letter (``iPhone15``, ``B超``) as entries;
        otherwise an entry is Chinese characters only.
    background : optional
        General text to compute each word's keyness against (anything
        :func:`zhtext.keyness.load_background` takes, e.g. ``"default"`` for
        the shipped base model); ``None``: no keyness column.

    Attributes
    ----------
    lexicon_ : Lexicon
        The words, most frequent first (set by :meth:`fit`).
    stats_ : NgramStats
        The n-gram statistics of the filter (no entropies).
    min_count_, thresholds_ :
        The values used.

    Examples
    --------
    >>> from zhtext import WordDiscoverer
    >>> finder = WordDiscoverer().fit("corpora/hongloumeng.txt")
    >>> finder.min_count_, finder.thresholds_
    (3, (0.0, 2.0, 4.0, 6.0))
    >>> finder.lexicon_.with_min_length(2).top(8).words
    ('宝玉', '笑道', '凤姐', '一个', '贾母', '我们', '袭人', '王夫人')
    """

    max_n: int = 4
    min_count: int | None = None
    thresholds: tuple[float, ...] | None = None
    min_entropy: float | None = None
    mixed: bool = False
    background: object = None

    def fit(self, corpus, progress: ProgressFn | None = None,
            on_stage: Callable[[str], None] | None = None, *, engine: str = "local", client=None,
            blocksize: int | None = None, **encode_options) -> WordDiscoverer:
        """Learn the lexicon of ``corpus``: its n-grams, their cohesion, the pieces that pass.

        ``progress(done, total)`` follows the reading (bytes; tasks on a
        cluster) and ``on_stage(name)`` announces each later stage.

        ``engine="dask"``: on a Dask cluster (``client``, or a ``LocalCluster`` for the
        call), ``corpus`` being files; the same lexicon, bit for bit
        (:func:`zhtext.distributed.discover_on_cluster`).

        Parameters
        ----------
        corpus : str, path-like, Corpus, iterable of str or EncodedCorpus
            Anything :func:`zhtext.encode.encode` reads (a ``str`` is a file
            name; a list of ``str`` is the text itself).
        progress : callable, optional
            ``progress(done, total)``, as above.
        on_stage : callable, optional
            ``on_stage(name)`` at the start of each stage.
        engine : {"local", "dask"}, default "local"
        client : distributed.Client, optional
            The cluster for ``engine="dask"``.
        blocksize : int, optional
            Bytes per task for ``engine="dask"``.
        **encode_options
            Options of :func:`zhtext.encode.encode` and :class:`~zhtext.corpus.Corpus`.

        Returns
        -------
        WordDiscoverer
            ``self``, with :attr:`lexicon_`, :attr:`stats_`, ``min_count_`` and
            ``thresholds_`` set.

        Raises
        ------
        InputError
            An unknown ``engine``, ``max_n`` out of ``1..11``, a number of
            ``thresholds`` other than ``max_n``, or an unreadable corpus.

        Examples
        --------
        >>> from zhtext import WordDiscoverer
        >>> texts = ["中国人民银行", "人民银行和中国银行"] * 5
        >>> finder = WordDiscoverer(max_n=3, min_count=2).fit(texts)
        >>> finder.lexicon_.words
        ('银行', '人民', '中国')
        >>> finder.lexicon_["银行"].count
        15
        """
        stage = on_stage or (lambda name: None)
        background = load_background(self.background)
        if engine == "dask":
            from .distributed import DEFAULT_BLOCKSIZE, discover_on_cluster, sources_of

            sources, options = sources_of(corpus, encode_options)
            discover_on_cluster(self, sources, client=client, blocksize=blocksize or DEFAULT_BLOCKSIZE,
                                progress=progress, on_stage=stage, background=background, **options)
            return self
        if engine != "local":
            raise InputError(f"engine must be 'local' or 'dask', not {engine!r}")
        stage("reading")
        encoded = corpus if isinstance(corpus, EncodedCorpus) else encode(
            corpus, progress=progress, **encode_options)
        stage("counting n-grams")
        self._fit_counts(encoded.total)
        self.stats_, covered, passed = self._cohesive_ngrams(encoded)
        stage("segmenting and back-checking")
        self.lexicon_ = self._pieces(encoded, covered, passed, background)
        return self

    def _fit_counts(self, total: int) -> None:
        """``min_count_`` and ``thresholds_`` for a corpus of ``total`` word characters."""
        self.min_count_ = self.min_count or default_min_count(total)
        self.thresholds_ = tuple(self.thresholds or default_thresholds(self.max_n))
        if len(self.thresholds_) != self.max_n:
            raise InputError(f"give one threshold per length 1..{self.max_n}, "
                             f"not {len(self.thresholds_)}")

    def _cohesive_ngrams(self, encoded: EncodedCorpus):
        """Count levels, score cohesion, mark covered gaps; return the stats, cover, passed rows."""
        layout = KeyLayout.for_vocabulary(len(encoded.vocab), self.max_n)
        covered = np.zeros(len(encoded.codes), np.uint8)
        levels: list[Level] = []
        cohesions: list[np.ndarray] = []
        for level, row_at in count_levels(encoded, self.max_n, self.min_count_, entropy=False):
            if level.n > 1 and len(level.counts):
                keys = np.concatenate([lv.keys for lv in levels])
                counts = np.concatenate([lv.counts for lv in levels])
                lengths = np.full(len(level.counts), level.n, np.uint8)
                coh = _cohesion(level.keys, lengths, level.counts, keys, counts,
                                _build_index(keys), encoded.total, layout.bits, layout.per_word)
                _cover(row_at, level.n, self._passes(coh, level.counts, level.n, encoded.total),
                       covered)
            else:
                coh = np.full(len(level.counts), np.nan)
            levels.append(level)
            cohesions.append(coh)
        stats = NgramStats.from_levels(encoded.vocab, encoded.total, levels, self.max_n,
                                       self.min_count_, entropy=False,
                                       cohesions=np.concatenate(cohesions))
        passed = self._passes(stats.cohesions, stats.counts, stats.lengths, encoded.total)
        return stats, covered, passed

    def _passes(self, cohesion: np.ndarray, counts: np.ndarray, lengths, total: int) -> np.ndarray:
        """coh >= θ_n, or coh >= ρ log(T / c): near the most an n-gram seen c times can reach
        (``lengths``: n of each row, or one n for all)."""
        theta = np.asarray(self.thresholds_)[np.asarray(lengths) - 1]
        ceiling = np.log(max(total, 1) / counts)
        return (np.asarray(lengths) > 1) & ((cohesion >= theta) | (cohesion >= NEAR_CEILING * ceiling))

    def _pieces(self, encoded: EncodedCorpus, covered: np.ndarray, passed: np.ndarray,
                background) -> Lexicon:
        """Rough-segment, count and back-check the pieces; measure the survivors."""
        stats, layout = self.stats_, self.stats_.layout
        piece_at = np.full(len(encoded.codes), -1, np.int32)
        _cover_runs(encoded.codes, han_codes(encoded.vocab), covered)
        table = _count_pieces(encoded.codes, covered, piece_at)
        passed_keys = stats.keys[passed]
        first, length, count = _accept(table, encoded.codes, self.min_count_, self.max_n,
                                       passed_keys, _build_index(passed_keys), layout.bits,
                                       layout.per_word, piece_at)
        left, right = (entropies(count, sums) for sums in _neighbour_sums(encoded.codes, piece_at, length))
        return self._lexicon(encoded.codes, first, length, count, left, right, encoded.vocab,
                             background, lambda words: occurrences(encoded, words))

    def _lexicon(self, codes: np.ndarray, first: np.ndarray, length: np.ndarray, count: np.ndarray,
                 left: np.ndarray, right: np.ndarray, vocab, background, occurrences_of) -> Lexicon:
        """The lexicon of the accepted pieces ``codes[first : first + length]`` with their counts
        and entropies: cohesion, score, entries, keyness (against ``background``, with the
        corpus's counts of strings from ``occurrences_of(words)`` or of pieces), ranked."""
        stats, layout = self.stats_, self.stats_.layout
        cohesion = _piece_cohesion(codes, first, length, self.max_n, stats.keys, stats._slots,
                                   stats.cohesions, layout.bits, layout.per_word)
        chars = vocab.char_array()
        words = ["".join(chars[codes[f: f + n]]) for f, n in zip(first.tolist(), length.tolist())]
        freedom = np.minimum(left, right)
        score = np.where(length > 1, cohesion + freedom, freedom)
        keep = np.array([is_lexicon_word(w, self.mixed) for w in words], dtype=bool)
        keep &= ~is_number_phrase(words, measure_words(vocab, self.min_count_))
        keyness = np.full(len(words), np.nan)
        if background is not None:
            kept = [w for w, k in zip(words, keep) if k]
            seen = count[keep]
            if background.unit == "string":
                strings = np.array([len(w) <= LONGEST for w in kept], bool)
                seen = np.where(strings, occurrences_of(kept), seen)
            keyness[keep] = background.keyness(kept, seen, stats.total)
        lexicon = Lexicon.from_columns(words, count, cohesion=cohesion, left_entropy=left,
                                       right_entropy=right, score=score, keyness=keyness)
        if self.min_entropy is not None:
            keep &= freedom >= self.min_entropy
        return lexicon.select(keep).ranked("count")

    def new_words(self, reference, fold: bool = True) -> Lexicon:
        """The lexicon without known words, collocations of known words and fragments of known
        words (step 6 above; :meth:`statuses` says which each word is).

        A word ``w = xy`` whose two parts are free units, known words or collocations
        themselves, each seen more than twice as often as ``w`` (``c(w) < ½ c(x)``),
        combines free words (这一, 也是, 笑道, 正说着); a word seen mostly inside a
        known word one character longer is a piece of it (力以赴 of 全力以赴): neither
        is new. So this drops more
        than :meth:`Lexicon.without`, which drops only the known words.

        Parameters
        ----------
        reference : iterable of str
            The known words, e.g. a :class:`~zhtext.lexicon.Lexicon` of
            jieba's dictionary (:func:`zhtext.lexicon.jieba_dictionary`).
        fold : bool, default True
            Compare through simplified forms, so traditional spellings of known
            words are known.

        Returns
        -------
        Lexicon
            The new words, in the order of :attr:`lexicon_`.

        Examples
        --------
        >>> from zhtext import Lexicon, WordDiscoverer
        >>> from zhtext.lexicon import jieba_dictionary
        >>> finder = WordDiscoverer().fit("corpora/hongloumeng.txt")
        >>> known = Lexicon.load(jieba_dictionary())
        >>> finder.new_words(known).with_min_length(2).top(6).words
        ('凤姐', '贾母', '袭人', '黛玉', '宝钗', '贾琏')
        >>> finder.lexicon_.without(known).with_min_length(2).top(6).words
        ('笑道', '凤姐', '贾母', '袭人', '说着', '黛玉')

        笑道 (笑 + 道) and 说着 (说 + 着) are collocations of known words.
        """
        return self.lexicon_.select(self.statuses(reference, fold) == NEW)

    def statuses(self, reference, fold: bool = True) -> np.ndarray:
        """For each word of :attr:`lexicon_`, what it is against ``reference`` (as in
        :meth:`new_words`): ``NEW``, ``KNOWN``, ``COLLOCATION`` (free known words in a row) or
        ``FRAGMENT`` (mostly inside a known word one character longer); ``int8``.

        Examples
        --------
        >>> from zhtext import Lexicon, WordDiscoverer
        >>> from zhtext.discover import STATUS_NAMES
        >>> from zhtext.lexicon import jieba_dictionary
        >>> finder = WordDiscoverer().fit("corpora/hongloumeng.txt")
        >>> status = dict(zip(finder.lexicon_.words, finder.statuses(Lexicon.load(jieba_dictionary()))))
        >>> [STATUS_NAMES[status[w]] for w in ("凤姐", "太太", "笑道", "在话下")]
        ['new', 'known', 'collocation', 'fragment']

        在话下 is seen mostly inside 不在话下.
        """
        from .script import simplified

        norm = simplified if fold else (lambda word: word)
        known = {norm(word) for word in reference}
        words = self.lexicon_.words
        folded = [norm(w) for w in words]
        longer = self._known_extensions(known, set(folded) - known)
        out = np.full(len(words), NEW, np.int8)
        seen: dict[str, bool] = {}
        for i, (word, form, count) in enumerate(zip(words, folded, self.lexicon_.counts.tolist())):
            if form in known:
                out[i] = KNOWN
            elif self._collocation(word, count, known, norm, seen):
                out[i] = COLLOCATION
            elif any(2 * self._count(k) > self._count(word) for k in longer.get(form, ())):
                out[i] = FRAGMENT
        return out

    def _known_extensions(self, known: set, words: set) -> dict[str, list[str]]:
        """For each of ``words``, the known words of at most ``max_n`` characters that extend it
        by one character at either end."""
        out: dict[str, list[str]] = {}
        for k in known:
            if 3 <= len(k) <= self.max_n:
                for part in {k[1:], k[:-1]} & words:
                    out.setdefault(part, []).append(k)
        return out

    def _collocation(self, word: str, count: int, known: set, norm, seen: dict) -> bool:
        """``word`` splits into two free units, each seen more than twice as often as ``word``;
        a unit is a known word or itself such a collocation (才会有 = 才 + 会有, 会有 = 会 + 有).
        ``seen`` caches the answers for parts."""
        for k in range(1, len(word)):
            parts = word[:k], word[k:]
            if all(2 * count < self._count(part) and self._unit(part, known, norm, seen) for part in parts):
                return True
        return False

    def _unit(self, part: str, known: set, norm, seen: dict) -> bool:
        """Whether ``part`` is a known word or a collocation of free units."""
        if part not in seen:
            seen[part] = norm(part) in known or \
                self._collocation(part, self._count(part), known, norm, seen)
        return seen[part]

    def _count(self, text: str) -> int:
        """Corpus count of ``text`` (0 when longer than ``max_n`` or rarer than ``min_count``)."""
        return self.stats_.count(text) if len(text) <= self.max_n else 0


def discover(corpus, max_n: int = 4, min_count: int | None = None,
             thresholds: tuple[float, ...] | None = None, min_entropy: float | None = None,
             progress: ProgressFn | None = None, mixed: bool = False, background=None,
             **encode_options) -> Lexicon:
    """The words of ``corpus`` as a :class:`~zhtext.lexicon.Lexicon`, most frequent first.

    ``WordDiscoverer(max_n, min_count, ...).fit(corpus).lexicon_`` in one call;
    the parameters are those of :class:`WordDiscoverer` and its ``fit``.

    Parameters
    ----------
    corpus : str, path-like, Corpus or iterable of str
        Anything :func:`zhtext.encode.encode` reads.
    max_n, min_count, thresholds, min_entropy, mixed, background :
        As in :class:`WordDiscoverer`.
    progress : callable, optional
        ``progress(done, total)`` while reading.
    **encode_options
        Options of :func:`zhtext.encode.encode` and :class:`~zhtext.corpus.Corpus`.

    Returns
    -------
    Lexicon

    Examples
    --------
    >>> from zhtext.discover import discover
    >>> lexicon = discover("corpora/hongloumeng.txt")
    >>> lexicon.top(3).words                          # single characters are words too
    ('了', '的', '说')
    >>> lexicon.with_min_length(2).top(3).words
    ('宝玉', '笑道', '凤姐')
    """
    finder = WordDiscoverer(max_n, min_count, thresholds, min_entropy, mixed, background)
    return finder.fit(corpus, progress=progress, **encode_options).lexicon_


# ------------------------------------------------------------------------ kernels
@njit(cache=True)
def _cover(row_at, n, passed, covered):
    """Mark the n-1 gaps inside every occurrence of a passed n-gram (gap i: between i and i+1)."""
    for i in range(row_at.shape[0]):
        r = row_at[i]
        if r >= 0 and passed[r]:
            for g in range(i, i + n - 1):
                covered[g] = 1


@njit(cache=True)
def _cover_runs(codes, han, covered):
    """Mark the gaps inside runs of letters and digits (``han[code]`` is False for their codes)."""
    for i in range(codes.shape[0] - 1):
        if not han[codes[i]] and not han[codes[i + 1]]:
            covered[i] = 1


@njit(cache=True)
def _piece_hash(codes, start, length):
    h = np.uint64(length)
    for j in range(length):
        h = splitmix64(h ^ np.uint64(codes[start + j]))
    return h


@njit(cache=True)
def _same_piece(codes, a, b, length):
    for j in range(length):
        if codes[a + j] != codes[b + j]:
            return False
    return True


@njit(cache=True)
def _count_pieces(codes, covered, piece_at):
    """Cut fragments at uncovered gaps and count the distinct pieces.

    Returns a table with columns (first start, length, count); ``piece_at[s]``
    is the table slot of the piece starting at ``s``.
    """
    capacity = 1 << 16
    table = np.zeros((capacity, 3), np.int64)
    used = 0
    start = -1
    for i in range(codes.shape[0]):
        if codes[i] == 0:
            continue
        if start < 0:
            start = i
        if codes[i + 1] != 0 and covered[i]:
            continue
        length = i - start + 1
        mask = np.uint64(capacity - 1)
        slot = _piece_hash(codes, start, length) & mask
        while table[slot, 2] != 0 and not (table[slot, 1] == length and
                                           _same_piece(codes, table[slot, 0], start, length)):
            slot = (slot + np.uint64(1)) & mask
        if table[slot, 2] == 0:
            table[slot, 0] = start
            table[slot, 1] = length
            used += 1
        table[slot, 2] += 1
        piece_at[start] = slot
        start = -1
        if 2 * used > capacity:
            table, capacity = _grow_pieces(table, codes, piece_at, i)
    return table


@njit(cache=True)
def _grow_pieces(table, codes, piece_at, last):
    capacity = 2 * table.shape[0]
    grown = np.zeros((capacity, 3), np.int64)
    moved = np.full(table.shape[0], -1, np.int64)
    mask = np.uint64(capacity - 1)
    for row in range(table.shape[0]):
        if table[row, 2] != 0:
            slot = _piece_hash(codes, table[row, 0], table[row, 1]) & mask
            while grown[slot, 2] != 0:
                slot = (slot + np.uint64(1)) & mask
            grown[slot] = table[row]
            moved[row] = slot
    for i in range(last + 1):
        if piece_at[i] >= 0:
            piece_at[i] = moved[piece_at[i]]
    return grown, capacity


@njit(cache=True)
def _windows_kept(codes, start, length, max_n, keys, slots, bits, per_word):
    """Back-check: every window of length min(length, max_n) is a passed n-gram."""
    width = min(length, max_n)
    key = np.zeros(keys.shape[1], np.uint64)
    for s in range(start, start + length - width + 1):
        _pack(codes, s, width, bits, per_word, key)
        if _find(slots, keys, key) < 0:
            return False
    return True


@njit(cache=True)
def _accept(table, codes, min_count, max_n, keys, slots, bits, per_word, piece_at):
    """Keep frequent pieces that pass the back-check; ``piece_at`` becomes kept row or -1."""
    row_of = np.full(table.shape[0], -1, np.int64)
    kept = 0
    for slot in range(table.shape[0]):
        start, length, count = table[slot, 0], table[slot, 1], table[slot, 2]
        if count < min_count:
            continue
        if length >= 3 and not _windows_kept(codes, start, length, max_n, keys, slots, bits,
                                             per_word):
            continue
        row_of[slot] = kept
        kept += 1
    first = np.zeros(kept, np.int64)
    length = np.zeros(kept, np.int64)
    count = np.zeros(kept, np.int64)
    for slot in range(table.shape[0]):
        r = row_of[slot]
        if r >= 0:
            first[r], length[r], count[r] = table[slot, 0], table[slot, 1], table[slot, 2]
    for i in range(piece_at.shape[0]):
        if piece_at[i] >= 0:
            piece_at[i] = row_of[piece_at[i]]
    return first, length, count


def han_codes(vocab) -> np.ndarray:
    """Whether each id is a Han character (index 0, a break, counts as one: it joins nothing)."""
    return np.array([True] + [is_han(c) for c in vocab.chars], dtype=np.bool_)


@njit(cache=True)
def neighbour_pair(codes, piece_at, length, s: int, side: int) -> np.uint64:
    """``piece << 32 | x`` for the kept piece starting at ``s`` and its neighbouring character
    ``x`` on ``side`` (0 left, 1 right); 0 where no piece starts at ``s`` or ``x`` is a
    fragment edge (ids start at 1, so a real pair is never 0)."""
    r = piece_at[s]
    if r < 0:
        return np.uint64(0)
    x = codes[s - 1] if side == 0 else codes[s + length[r]]
    if x == 0:
        return np.uint64(0)
    return (np.uint64(r) << np.uint64(32)) | np.uint64(x)


@njit(cache=True)
def _neighbour_sums(codes, piece_at, length):
    """Left and right sums ``Σ_x ⌊c_x log c_x⌉`` (fixed point, :func:`zhtext.ngrams._gain`) of
    each kept piece over its neighbouring characters ``x``, seen as (piece, x) pairs; fragment
    edges are distinct neighbours and add nothing. The entropies are
    :func:`zhtext.ngrams.entropies` of the counts and these sums."""
    kept = length.shape[0]
    sums = np.zeros((2, kept), np.int64)
    capacity = 1 << 16
    while capacity < 4 * kept + 16:
        capacity *= 2
    for side in range(2):
        pair_keys = np.zeros(capacity, np.uint64)
        pair_counts = np.zeros(capacity, np.int64)
        used = 0
        for s in range(piece_at.shape[0]):
            key = neighbour_pair(codes, piece_at, length, s, side)
            if key == 0:
                continue
            mask = np.uint64(capacity - 1)
            slot = splitmix64(key) & mask
            while pair_counts[slot] != 0 and pair_keys[slot] != key:
                slot = (slot + np.uint64(1)) & mask
            if pair_counts[slot] == 0:
                pair_keys[slot] = key
                used += 1
            pair_counts[slot] += 1
            if 2 * used > capacity:
                pair_keys, pair_counts, capacity = _grow_pairs(pair_keys, pair_counts)
        for slot in range(capacity):
            c = pair_counts[slot]
            if c >= 2:
                sums[side, pair_keys[slot] >> np.uint64(32)] += _gain(c)
    return sums[0], sums[1]


@njit(cache=True)
def _grow_pairs(keys, counts):
    capacity = 2 * keys.shape[0]
    new_keys = np.zeros(capacity, np.uint64)
    new_counts = np.zeros(capacity, np.int64)
    mask = np.uint64(capacity - 1)
    for i in range(keys.shape[0]):
        if counts[i] != 0:
            slot = splitmix64(keys[i]) & mask
            while new_counts[slot] != 0:
                slot = (slot + np.uint64(1)) & mask
            new_keys[slot], new_counts[slot] = keys[i], counts[i]
    return new_keys, new_counts, capacity


@njit(cache=True)
def _piece_cohesion(codes, first, length, max_n, keys, slots, cohesions, bits, per_word):
    """Cohesion of each word: its own if ``len <= max_n``, else its weakest window's."""
    out = np.full(first.shape[0], np.nan)
    key = np.zeros(keys.shape[1], np.uint64)
    for r in range(first.shape[0]):
        n = length[r]
        width = min(n, max_n)
        best = np.inf
        for s in range(first[r], first[r] + n - width + 1):
            _pack(codes, s, width, bits, per_word, key)
            row = _find(slots, keys, key)
            if row >= 0:
                best = min(best, cohesions[row])
        if n > 1 and best < np.inf:
            out[r] = best
    return out
