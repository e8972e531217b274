"""Unsupervised dependency trees: the Dependency Model with Valence, learned by EM on raw text.

Method: Klein and Manning, *Corpus-based induction of syntactic structure:
models of dependency and constituency*, ACL 2004 (the DMV), over word classes,
trained by inside–outside EM (Baker 1979; Lari and Young 1990) on a split-head
chart in O(n³) (Eisner 1996; Eisner and Satta 1999).

**Model.** A sentence of word classes ``c₁…cₙ`` is generated top-down: the
root picks its single child ``r`` with ``P_root(c_r)``; then every head ``h``
generates its dependents on each side ``dir ∈ {left, right}``, nearest first,
deciding before each one whether to stop, with a *valence* ``v`` (0: no
dependent on that side yet, 1: at least one)::

    P(tree) = P_root(c_r) · Π_h Π_dir [ Π_{k-th dependent a of h in dir}
                 (1 − P_stop(c_h, dir, v = [k > 1])) · P_attach(c_a | c_h, dir) ]
                 · P_stop(c_h, dir, v = [h has a dependent in dir])

and ``P(sentence) = Σ_{projective trees} P(tree)``. The parameters are
``root_[c] = log P_root(c)``, ``stop_[c, dir, v] = log P_stop``, ``attach_[c,
dir, c'] = log P_attach(c' | c, dir)`` (``dir`` 0 left, 1 right).

**Inside (split-head chart).** With ``RU[h, j]`` the right half of ``h``
covering ``h..j`` before it stops, ``RS`` the same after its stop, ``LU``/``LS``
the left halves ``[i, h]``, ``RI[h, d]``/``LI[d, h]`` an arc ``h → d`` with the
inner half of ``h`` and the facing half of ``d`` (all in log space, ⊕ = log-sum-exp)::

    RU[h, h] = LU[h, h] = 0
    RI[h, d] = attach[h, R, d] + ⊕_{q=h}^{d−1} RU[h, q] + cont[h, R, q>h] + LS[q+1, d]
    LI[d, h] = attach[h, L, d] + ⊕_{q=d}^{h−1} RS[d, q] + LU[q+1, h] + cont[h, L, q+1<h]
    RU[h, j] = ⊕_{d=h+1}^{j} RI[h, d] + RS[d, j]        LU[i, h] = ⊕_{d=i}^{h−1} LS[i, d] + LI[d, h]
    RS[h, j] = RU[h, j] + stop[h, R, j>h]               LS[i, h] = LU[i, h] + stop[h, L, i<h]
    log P(sentence) = ⊕_r root[r] + LS[1, r] + RS[r, n]

(``cont = log(1 − P_stop)``). The outside pass runs the same items in reverse
and gives each item's posterior ``exp(inside + outside − log P)``: arc
posteriors ``μ(h → d)`` and the expected counts of every stop, continue,
attachment and root event. **EM**: the M-step sets each distribution to its
expected counts plus ``smoothing`` (a Dirichlet prior with α = 1 + smoothing:
EM then climbs the log-posterior, :attr:`DependencyModel.history_`), normalised.

**Initialisation**: Klein and Manning's harmonic initializer, as in Klein's
implementation. Each word is the root with weight ``1/n`` and the dependent
of each other word ``h`` with weight ``(1 − 1/n) · |h − d|⁻¹ / Σ_{h'≠d} |h' − d|⁻¹``
(these are the first attachment and root counts). For the stop decisions let
``E(h, dir)`` be the sum of those weights on one side of ``h``: every token
adds 1 to *stop without a dependent*; a token with words on that side also
adds ``E`` to *continue with a dependent* and moves a share ``k`` of one
count from *continue with a dependent* and *stop without a dependent* to
*continue without a dependent* and *stop with a dependent*, ``k`` being 0.9
times the largest share that leaves every count positive (over all classes).
``initializer="right"`` (or ``"left"``) starts instead from the even mixture
of those parameters and the parameters of the right (left) chain, each word
the dependent of the next (previous) one: ``θ₀ = ½ θ_harmonic + ½ θ_chain``,
distribution by distribution, so the search starts with a bias of direction
that EM may keep or undo. Which one: by default (``"best"``) EM runs from each
of the three on all but every 50th sentence, and the model under which those
held-out sentences are most likely is kept, a label-free choice (on the
planted grammar of the tests the harmonic start wins; on Chinese news, the
right chain's, though the harmonic start reaches a higher likelihood of the
training sentences themselves).

**Decoding.** :meth:`DependencyModel.parse` decodes, with Eisner's
algorithm, the arc scores :meth:`DependencyModel.tree_scores`

    S(h → d) = standardise(log μ(h → d)) + standardise(−log |h − d|)

the arc posteriors (the tree with the most expected correct arcs, the
metric's own objective) plus a prior for short dependencies, which the DMV
lacks (:func:`length_scores`); ``standardise`` maps the arcs of the sentence
to mean 0 and standard deviation 1, and the weights are equal, fixed a
priori. ``viterbi=True`` gives the model's most probable tree (the same chart
with max for ⊕, back-pointers). Both are projective with one child of the
root. :func:`combined_tree` adds the standardised Perturbed-Masking scores
:func:`zhtext.trees.arc_scores` to ``S``. Every tree is then put in UD's
convention, function words as leaves (:func:`to_content_heads`).

**Word classes** (label-free, fixed a priori; :class:`WordClasses`). A
word's key is its NFKC form with traditional characters folded to simplified
ones. Default (lexical): the ``top_words`` most frequent keys of the training
text (500, punctuation aside) are classes of their own; any other Han word
falls in the class of its last character when that character ends at least
``MIN_SUFFIX_COUNT`` (20) such training tokens (at most ``suffix_classes``,
200, the most frequent), else in a class by length (1, 2, 3+ characters);
numbers, Latin words, punctuation and everything else have one class each
(:data:`FIXED_CLASSES`): 707 classes. ``classes="clusters"``: the 5,000 most
frequent Han keys (seen ≥ 5 times) are grouped into 64 clusters by k-means on
their left- and right-neighbour distributions (:func:`cluster_words`; Schütze
1995), rarer Han words take the cluster most clustered tokens with their last
character belong to: 71 classes. Of the two, the shipped model uses the
lexical classes, whose held-out log-likelihood of the *words* is higher
(``benchmarks/bench_dmv.py``, docs/dependency-model.md). A word never seen gets
a class by the same rules.

**Function words** (:func:`function_word_sides`): the 64 most frequent
one-character words, each with the side of its complement, read off raw
text: the side away from the phrase boundaries (punctuation, sentence ends)
it stands next to. :func:`to_content_heads` makes them leaves.

**Punctuation** is left out of the model, as Klein and Manning did: EM reads
the sentences without it, the DMV parses the other words, and the marks are
then attached by Universal Dependencies' rules (:func:`attach_punctuation`):
paired marks on the head of what they enclose, ``、`` on the conjunct it
introduces, a sentence-final mark on the root word, any other on the word
before it; projectively.

**Long sentences.** The chart is cubic: a sentence of more than
``MAX_CHART_WORDS`` (256) words is cut into consecutive windows of at most
that many words, each parsed alone; the root of each window after the first
depends on the root of the window before it (the tree stays projective).
EM reads only sentences of at most ``max_length`` words (20, punctuation not
counted; Klein and Manning trained on sentences of ≤ 10 words).

Training text (the shipped model, ``models/zhtext-dmv.npz``): raw text cut
into sentences after ``。！？!?；;`` and into words by zhtext's statistical
segmenter (:func:`sentences_from_text`) — never a treebank.
"""

from __future__ import annotations

import collections
import math
import os
import re
import time
import unicodedata
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
from numba import njit

from . import modelfile
from .errors import InputError, ModelError
from .tokens import NUMBER_HAN

__all__ = ["DependencyModel", "WordClasses", "combined_tree", "sentences_from_text", "standardised",
           "load", "default_model_path", "attach_punctuation", "to_content_heads", "function_word_sides",
           "length_scores", "FORMAT", "VERSION"]

FORMAT, VERSION = "zhtext-dmv", 2     # 2: the function words and their sides saved
TOP_WORDS, SUFFIX_CLASSES, MIN_SUFFIX_COUNT = 500, 200, 20     # lexical classes (the default)
CLUSTERS, CLUSTER_WORDS, MIN_CLUSTER_COUNT, CONTEXT_WORDS = 64, 5000, 5, 500   # classes="clusters"
MAX_LENGTH = 20            # longest training sentence read by EM (words)
MAX_CHART_WORDS = 256      # longest sentence parsed in one chart; longer ones are windowed
ITERATIONS, TOLERANCE, SMOOTHING = 100, 1e-4, 0.01
INITIALIZER = "best"       # EM from each start of INITIALIZERS, the best on held-out sentences kept
HELD_OUT_EVERY = 50        # initializer="best": every 50th training sentence judges the starts
FLOOR = 1e-6               # arc posteriors below this count as this in log scores
FUNCTION_WORDS = 64        # the most frequent one-character Han words: function words, leaves in the trees
FIXED_CLASSES = ("<NUM>", "<LATIN>", "<PUNCT>", "<HAN1>", "<HAN2>", "<HAN3+>", "<OTHER>")

IterationFn = Callable[[int, float], None]
"""``progress(iteration, log_likelihood)``, called after each EM iteration (not the
``progress(done, total)`` of :data:`zhtext.corpus.ProgressFn`)."""

# chart items: right/left halves unsealed (before the stop) and sealed, arcs rightward/leftward
_RU, _RS, _LU, _LS, _RI, _LI = 0, 1, 2, 3, 4, 5


# -- word classes ----------------------------------------------------------------
def word_key(word: str) -> str:
    """The form classes are looked up by: NFKC, traditional characters read as simplified."""
    from .script import simplified
    return simplified(unicodedata.normalize("NFKC", word))


def _is_han(char: str) -> bool:
    from .tokens import HAN, class_table
    return class_table()[ord(char)] == HAN


def _shape(key: str) -> str:
    """The fixed class of a key by its characters (before any suffix rule): NUM, LATIN, PUNCT, HAN, OTHER."""
    if not key:
        return "<OTHER>"
    if all(_is_han(ch) for ch in key):
        return "HAN"
    if all(unicodedata.category(ch)[0] in "PSZ" for ch in key):
        return "<PUNCT>"
    if all(unicodedata.category(ch) == "Nd" or ch in ".,%:/-+" + NUMBER_HAN for ch in key) and any(
            unicodedata.category(ch) == "Nd" for ch in key):
        return "<NUM>"
    if any(unicodedata.category(ch)[0] == "L" and not _is_han(ch) for ch in key) and not any(
            _is_han(ch) for ch in key):
        return "<LATIN>"
    return "<OTHER>"


def _is_punctuation_key(key: str) -> bool:
    return _shape(key) == "<PUNCT>"


class WordClasses:
    """Word → class id, label-free (module docstring): word clusters or frequent words, last
    characters, shapes.

    ``WordClasses.fit(sentences)`` learns them from tokenized text. Built by
    hand: ``words`` names the keys with a class of their own (a sequence) or
    maps keys to class names; ``suffixes`` likewise names last characters that
    are classes (``<-X>``) or maps them to class names. Calling it on a list of
    words gives their class ids; the last classes are always
    :data:`FIXED_CLASSES`.
    """

    def __init__(self, words: Sequence[str] | Mapping[str, str],
                 suffixes: Sequence[str] | Mapping[str, str] = ()):
        if not isinstance(words, Mapping):
            words = list(words)
            if len(set(words)) != len(words):
                raise InputError("WordClasses: the words of their own class must be distinct")
            words = {w: w for w in words}
        if not isinstance(suffixes, Mapping):
            suffixes = {x: f"<-{x}>" for x in suffixes}
        self.words, self.suffixes = dict(words), dict(suffixes)
        learned = list(dict.fromkeys([*self.words.values(), *self.suffixes.values()]))
        self.names = (*[n for n in learned if n not in FIXED_CLASSES], *FIXED_CLASSES)
        ids = {name: i for i, name in enumerate(self.names)}
        self._word_ids = {w: ids[n] for w, n in self.words.items()}
        self._suffix_ids = {x: ids[n] for x, n in self.suffixes.items()}
        self._fixed_ids = {name: ids[name] for name in FIXED_CLASSES}
        self._cache: dict[str, int] = {}
        self._punctuation: dict[str, bool] = {}

    def __len__(self) -> int:
        return len(self.names)

    def __getstate__(self) -> dict:
        return {"words": self.words, "suffixes": self.suffixes}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    @classmethod
    def fit(cls, sentences: Iterable[Sequence[str]], top_words: int = TOP_WORDS,
            suffix_classes: int = SUFFIX_CLASSES, min_suffix_count: int = MIN_SUFFIX_COUNT,
            clusters: int | None = None, clustered: int = CLUSTER_WORDS, seed: int = 0) -> WordClasses:
        """Classes of tokenized sentences (punctuation included, as context).

        Default (lexical): the ``top_words`` (500) most frequent keys, punctuation
        aside, are classes of their own, then up to ``suffix_classes`` (200) last
        characters that end at least ``min_suffix_count`` (20) other Han tokens.
        ``clusters=K``: the ``clustered`` (5,000) most frequent Han keys seen
        at least ``MIN_CLUSTER_COUNT`` times are grouped into K clusters by
        k-means on their neighbour distributions (:func:`cluster_words`); any
        other Han word takes the cluster most clustered tokens with its last
        character are in.
        """
        sentences = [[word_key(w) for w in sentence] for sentence in sentences]
        counts = collections.Counter(w for sentence in sentences for w in sentence)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if clusters is None:
            words = [w for w, _ in ranked if not _is_punctuation_key(w)][:top_words]
            finals: collections.Counter = collections.Counter()
            chosen = set(words)
            for w, n in ranked:
                if w not in chosen and _shape(w) == "HAN":
                    finals[w[-1]] += n
            suffixes = [x for x, n in sorted(finals.items(), key=lambda kv: (-kv[1], kv[0]))
                        if n >= min_suffix_count][:suffix_classes]
            return cls(words, suffixes)
        frequent = [w for w, n in ranked if n >= MIN_CLUSTER_COUNT and _shape(w) == "HAN"][:clustered]
        assignment = cluster_words(sentences, frequent, [w for w, _ in ranked[:CONTEXT_WORDS]],
                                   clusters, seed)
        names = {w: f"C{k}" for w, k in zip(frequent, assignment)}
        votes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for w in frequent:
            votes[w[-1]][names[w]] += counts[w]
        suffixes = {x: max(sorted(v.items()), key=lambda kv: kv[1])[0] for x, v in sorted(votes.items())}
        return cls(names, suffixes)

    def class_of(self, word: str) -> int:
        """The class id of one word."""
        found = self._cache.get(word)
        if found is not None:
            return found
        key = word_key(word)
        found = self._word_ids.get(key)
        if found is None:
            shape = _shape(key)
            if shape == "HAN":
                found = self._suffix_ids.get(key[-1])
                if found is None:
                    found = self._fixed_ids[("<HAN1>", "<HAN2>", "<HAN3+>")[min(len(key), 3) - 1]]
            else:
                found = self._fixed_ids[shape]
        if len(self._cache) < 1_000_000:
            self._cache[word] = found
        return found

    def is_punctuation(self, word: str) -> bool:
        """Whether a word is punctuation (every character a punctuation mark, symbol or space)."""
        found = self._punctuation.get(word)
        if found is None:
            found = _is_punctuation_key(word_key(word))
            if len(self._punctuation) < 1_000_000:
                self._punctuation[word] = found
        return found

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        """Class ids (``int64``) of a sentence's words."""
        return np.array([self.class_of(w) for w in words], dtype=np.int64)


def cluster_words(sentences: Sequence[Sequence[str]], words: Sequence[str], contexts: Sequence[str],
                  k: int, seed: int = 0, iterations: int = 30) -> np.ndarray:
    """Cluster ids of ``words`` by k-means on their neighbour distributions (Schütze 1995).

    A word's vector is ``sqrt P(left neighbour) ⊕ sqrt P(right neighbour)``
    over the ``contexts`` words, "other" and the sentence boundary (Hellinger
    geometry); k-means++ seeding with ``seed``, then ``iterations`` Lloyd steps.
    """
    if not len(words):
        return np.zeros(0, dtype=np.int64)
    index = {w: i for i, w in enumerate(words)}
    context = {w: i for i, w in enumerate(contexts)}
    other, boundary = len(contexts), len(contexts) + 1
    width = len(contexts) + 2
    rows, cols = [], []
    for sentence in sentences:
        for t, w in enumerate(sentence):
            i = index.get(w)
            if i is None:
                continue
            left = context.get(sentence[t - 1], other) if t else boundary
            right = context.get(sentence[t + 1], other) if t + 1 < len(sentence) else boundary
            rows += (i, i)
            cols += (left, width + right)
    matrix = np.zeros((len(words), 2 * width))
    np.add.at(matrix, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)), 1.0)
    for half in (slice(0, width), slice(width, 2 * width)):
        total = matrix[:, half].sum(axis=1, keepdims=True)
        matrix[:, half] = np.sqrt(matrix[:, half] / np.maximum(total, 1.0))
    k = max(1, min(k, len(words)))
    rng = np.random.default_rng(seed)
    centres = [matrix[rng.integers(len(words))]]
    nearest = ((matrix - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        choice = rng.choice(len(words), p=nearest / nearest.sum()) if nearest.sum() > 0 else rng.integers(len(words))
        centres.append(matrix[choice])
        nearest = np.minimum(nearest, ((matrix - matrix[choice]) ** 2).sum(axis=1))
    centres = np.array(centres)
    squares = (matrix ** 2).sum(axis=1, keepdims=True)
    assignment = np.zeros(len(words), dtype=np.int64)
    for _ in range(iterations):
        distances = squares - 2 * matrix @ centres.T + (centres ** 2).sum(axis=1)
        assignment = distances.argmin(axis=1)
        for c in range(k):
            members = assignment == c
            if members.any():
                centres[c] = matrix[members].mean(axis=0)
    return assignment


# -- numba kernels: inside, outside, Viterbi -------------------------------------------
@njit(cache=True)
def _logaddexp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    if a > b:
        return a + np.log1p(np.exp(b - a))
    return b + np.log1p(np.exp(a - b))


@njit(cache=True)
def _lse(buf, k, top):
    """log Σ exp(buf[:k]) given its maximum ``top``."""
    if top == -np.inf:
        return -np.inf
    total = 0.0
    for t in range(k):
        total += np.exp(buf[t] - top)
    return top + np.log(total)


@njit(cache=True)
def _inside(c, lroot, lstop, lcont, latt, ch, buf, viterbi, back):
    """Fill the chart ``ch[item, i, j]`` of classes ``c``; returns log P(sentence) (or the best tree's).

    With ``viterbi`` the sums are maxima and ``back[item, i, j]`` keeps the split.
    """
    n = c.shape[0]
    for k in range(6):
        for i in range(n):
            for j in range(n):
                ch[k, i, j] = -np.inf
    for h in range(n):
        ch[_RU, h, h] = 0.0
        ch[_LU, h, h] = 0.0
        ch[_RS, h, h] = lstop[c[h], 1, 0]
        ch[_LS, h, h] = lstop[c[h], 0, 0]
    for w in range(1, n):
        for i in range(n - w):
            j = i + w
            ci, cj = c[i], c[j]
            # RI: head i, dependent j
            top, arg = -np.inf, i
            for q in range(i, j):
                v = 0 if q == i else 1
                t = ch[_RU, i, q] + lcont[ci, 1, v] + ch[_LS, q + 1, j]
                buf[q - i] = t
                if t > top:
                    top, arg = t, q
            ch[_RI, i, j] = latt[ci, 1, cj] + (top if viterbi else _lse(buf, w, top))
            back[_RI, i, j] = arg
            # LI: head j, dependent i
            top, arg = -np.inf, i
            for q in range(i, j):
                v = 0 if q + 1 == j else 1
                t = ch[_RS, i, q] + ch[_LU, q + 1, j] + lcont[cj, 0, v]
                buf[q - i] = t
                if t > top:
                    top, arg = t, q
            ch[_LI, i, j] = latt[cj, 0, ci] + (top if viterbi else _lse(buf, w, top))
            back[_LI, i, j] = arg
            # RU: head i, outermost right dependent d
            top, arg = -np.inf, j
            for d in range(i + 1, j + 1):
                t = ch[_RI, i, d] + ch[_RS, d, j]
                buf[d - i - 1] = t
                if t > top:
                    top, arg = t, d
            ch[_RU, i, j] = top if viterbi else _lse(buf, w, top)
            back[_RU, i, j] = arg
            # LU: head j, outermost left dependent d
            top, arg = -np.inf, i
            for d in range(i, j):
                t = ch[_LS, i, d] + ch[_LI, d, j]
                buf[d - i] = t
                if t > top:
                    top, arg = t, d
            ch[_LU, i, j] = top if viterbi else _lse(buf, w, top)
            back[_LU, i, j] = arg
            ch[_RS, i, j] = ch[_RU, i, j] + lstop[ci, 1, 1]
            ch[_LS, i, j] = ch[_LU, i, j] + lstop[cj, 0, 1]
    top, arg = -np.inf, 0
    for r in range(n):
        t = lroot[c[r]] + ch[_LS, 0, r] + ch[_RS, r, n - 1]
        buf[r] = t
        if t > top:
            top, arg = t, r
    back[0, n - 1, 0] = arg          # the root's child (cell [RU, n-1, 0] is otherwise unused)
    return top if viterbi else _lse(buf, n, top)


@njit(cache=True)
def _outside(c, lroot, lstop, lcont, latt, ch, out, z, croot, cstop, ccont, catt):
    """Outside scores ``out`` of a filled chart; adds the expected counts of every event."""
    n = c.shape[0]
    for k in range(6):
        for i in range(n):
            for j in range(n):
                out[k, i, j] = -np.inf
    for r in range(n):
        cr = c[r]
        croot[cr] += np.exp(lroot[cr] + ch[_LS, 0, r] + ch[_RS, r, n - 1] - z)
        out[_LS, 0, r] = _logaddexp(out[_LS, 0, r], lroot[cr] + ch[_RS, r, n - 1])
        out[_RS, r, n - 1] = _logaddexp(out[_RS, r, n - 1], lroot[cr] + ch[_LS, 0, r])
    for w in range(n - 1, 0, -1):
        for i in range(n - w):
            j = i + w
            ci, cj = c[i], c[j]
            o = out[_RS, i, j]
            if o > -np.inf:
                cstop[ci, 1, 1] += np.exp(o + ch[_RS, i, j] - z)
                out[_RU, i, j] = _logaddexp(out[_RU, i, j], o + lstop[ci, 1, 1])
            o = out[_LS, i, j]
            if o > -np.inf:
                cstop[cj, 0, 1] += np.exp(o + ch[_LS, i, j] - z)
                out[_LU, i, j] = _logaddexp(out[_LU, i, j], o + lstop[cj, 0, 1])
            o = out[_RU, i, j]
            if o > -np.inf:
                for d in range(i + 1, j + 1):
                    out[_RI, i, d] = _logaddexp(out[_RI, i, d], o + ch[_RS, d, j])
                    out[_RS, d, j] = _logaddexp(out[_RS, d, j], o + ch[_RI, i, d])
            o = out[_LU, i, j]
            if o > -np.inf:
                for d in range(i, j):
                    out[_LS, i, d] = _logaddexp(out[_LS, i, d], o + ch[_LI, d, j])
                    out[_LI, d, j] = _logaddexp(out[_LI, d, j], o + ch[_LS, i, d])
            o = out[_RI, i, j]
            if o > -np.inf:
                a = latt[ci, 1, cj]
                catt[ci, 1, cj] += np.exp(o + ch[_RI, i, j] - z)
                for q in range(i, j):
                    v = 0 if q == i else 1
                    base = o + a + lcont[ci, 1, v]
                    ccont[ci, 1, v] += np.exp(base + ch[_RU, i, q] + ch[_LS, q + 1, j] - z)
                    out[_RU, i, q] = _logaddexp(out[_RU, i, q], base + ch[_LS, q + 1, j])
                    out[_LS, q + 1, j] = _logaddexp(out[_LS, q + 1, j], base + ch[_RU, i, q])
            o = out[_LI, i, j]
            if o > -np.inf:
                a = latt[cj, 0, ci]
                catt[cj, 0, ci] += np.exp(o + ch[_LI, i, j] - z)
                for q in range(i, j):
                    v = 0 if q + 1 == j else 1
                    base = o + a + lcont[cj, 0, v]
                    ccont[cj, 0, v] += np.exp(base + ch[_RS, i, q] + ch[_LU, q + 1, j] - z)
                    out[_RS, i, q] = _logaddexp(out[_RS, i, q], base + ch[_LU, q + 1, j])
                    out[_LU, q + 1, j] = _logaddexp(out[_LU, q + 1, j], base + ch[_RS, i, q])
    for h in range(n):
        ch_ = c[h]
        if out[_RS, h, h] > -np.inf:
            cstop[ch_, 1, 0] += np.exp(out[_RS, h, h] + ch[_RS, h, h] - z)
        if out[_LS, h, h] > -np.inf:
            cstop[ch_, 0, 0] += np.exp(out[_LS, h, h] + ch[_LS, h, h] - z)


@njit(cache=True)
def _charts(size):
    return (np.empty((6, size, size)), np.empty((6, size, size)), np.empty(max(size, 1)),
            np.zeros((6, size, size), dtype=np.int64))


@njit(cache=True)
def _expected_counts(classes, offsets, lroot, lstop, lcont, latt, croot, cstop, ccont, catt):
    """E-step over sentences ``classes[offsets[s]:offsets[s+1]]``; returns (Σ log P, sentences used)."""
    longest = 1
    for s in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[s + 1] - offsets[s])
    ch, out, buf, back = _charts(longest)
    total, used = 0.0, 0
    for s in range(offsets.shape[0] - 1):
        c = classes[offsets[s]:offsets[s + 1]]
        if c.shape[0] == 0:
            continue
        z = _inside(c, lroot, lstop, lcont, latt, ch, buf, False, back)
        if z == -np.inf:
            continue
        _outside(c, lroot, lstop, lcont, latt, ch, out, z, croot, cstop, ccont, catt)
        total += z
        used += 1
    return total, used


@njit(cache=True)
def _log_likelihoods(classes, offsets, lroot, lstop, lcont, latt):
    """log P of each sentence (inside only)."""
    longest = 1
    for s in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[s + 1] - offsets[s])
    ch, out, buf, back = _charts(longest)
    result = np.zeros(offsets.shape[0] - 1)
    for s in range(offsets.shape[0] - 1):
        c = classes[offsets[s]:offsets[s + 1]]
        if c.shape[0]:
            result[s] = _inside(c, lroot, lstop, lcont, latt, ch, buf, False, back)
    return result


@njit(cache=True)
def _posteriors(c, lroot, lstop, lcont, latt):
    """``(n+1, n+1)`` arc posteriors μ[h, d] (row 0: the root) and log P(sentence)."""
    n = c.shape[0]
    ch, out, buf, back = _charts(n)
    z = _inside(c, lroot, lstop, lcont, latt, ch, buf, False, back)
    mu = np.zeros((n + 1, n + 1))
    if z == -np.inf:
        return mu, z
    C = lroot.shape[0]
    croot, cstop = np.zeros(C), np.zeros((C, 2, 2))
    ccont, catt = np.zeros((C, 2, 2)), np.zeros((C, 2, C))
    _outside(c, lroot, lstop, lcont, latt, ch, out, z, croot, cstop, ccont, catt)
    for r in range(n):
        mu[0, r + 1] = np.exp(lroot[c[r]] + ch[_LS, 0, r] + ch[_RS, r, n - 1] - z)
    for i in range(n):
        for j in range(i + 1, n):
            mu[i + 1, j + 1] = np.exp(out[_RI, i, j] + ch[_RI, i, j] - z)
            mu[j + 1, i + 1] = np.exp(out[_LI, i, j] + ch[_LI, i, j] - z)
    return mu, z


@njit(cache=True)
def _push(stack, at, item, i, j):
    stack[at, 0] = item
    stack[at, 1] = i
    stack[at, 2] = j


@njit(cache=True)
def _viterbi(c, lroot, lstop, lcont, latt):
    """Heads (0-based positions, -1 for the root's child) of the most probable tree, and its log P."""
    n = c.shape[0]
    ch, out, buf, back = _charts(n)
    best = _inside(c, lroot, lstop, lcont, latt, ch, buf, True, back)
    heads = np.full(n, -1, dtype=np.int64)
    root = back[0, n - 1, 0]
    stack = np.zeros((4 * n + 4, 3), dtype=np.int64)
    top = 0
    _push(stack, top, _LS, 0, root)
    _push(stack, top + 1, _RS, root, n - 1)
    top += 2
    while top > 0:
        top -= 1
        item, i, j = stack[top, 0], stack[top, 1], stack[top, 2]
        if item == _RS:
            item = _RU
        elif item == _LS:
            item = _LU
        if i == j and (item == _RU or item == _LU):
            continue
        if item == _RU:
            d = back[_RU, i, j]
            _push(stack, top, _RI, i, d)
            _push(stack, top + 1, _RS, d, j)
            top += 2
        elif item == _LU:
            d = back[_LU, i, j]
            _push(stack, top, _LS, i, d)
            _push(stack, top + 1, _LI, d, j)
            top += 2
        elif item == _RI:
            heads[j] = i
            q = back[_RI, i, j]
            _push(stack, top, _RU, i, q)
            _push(stack, top + 1, _LS, q + 1, j)
            top += 2
        else:
            heads[i] = j
            q = back[_LI, i, j]
            _push(stack, top, _RS, i, q)
            _push(stack, top + 1, _LU, q + 1, j)
            top += 2
    return heads, best


@njit(cache=True)
def _harmonic_counts(classes, offsets, croot, catt, decisions, norm):
    """Klein and Manning's harmonic initializer: counts of root, attachments and stop decisions.

    ``decisions[c, dir, v, 0/1]`` (stop/continue) and ``norm`` (the same shape)
    as in Klein's implementation; :func:`_harmonic_params` combines them.
    """
    for s in range(offsets.shape[0] - 1):
        c = classes[offsets[s]:offsets[s + 1]]
        n = c.shape[0]
        if n == 0:
            continue
        expected = np.zeros((n, 2))
        for d in range(n):
            croot[c[d]] += 1.0 / n
            if n == 1:
                continue
            norm_d = 0.0
            for h in range(n):
                if h != d:
                    norm_d += 1.0 / abs(h - d)
            for h in range(n):
                if h != d:
                    p = (1.0 - 1.0 / n) * (1.0 / abs(h - d)) / norm_d
                    direction = 1 if d > h else 0
                    catt[c[h], direction, c[d]] += p
                    expected[h, direction] += p
        for h in range(n):
            for direction in range(2):
                if expected[h, direction] > 0:
                    norm[c[h], direction, 0, 1] += 1.0
                    norm[c[h], direction, 1, 1] -= 1.0
                    decisions[c[h], direction, 1, 1] += expected[h, direction]
                    norm[c[h], direction, 0, 0] -= 1.0
                    norm[c[h], direction, 1, 0] += 1.0
                decisions[c[h], direction, 0, 0] += 1.0


def _harmonic_params(flat, offsets, C: int, smoothing: float):
    """``(root, stop, attach)`` log probabilities of the harmonic initializer (module docstring)."""
    croot, catt = np.zeros(C), np.zeros((C, 2, C))
    decisions, norm = np.zeros((C, 2, 2, 2)), np.full((C, 2, 2, 2), smoothing)
    _harmonic_counts(flat, offsets, croot, catt, decisions, norm)
    decisions += smoothing
    movable = (decisions > 0) & (norm < 0)
    scale = float((-decisions[movable] / norm[movable]).min()) if movable.any() else 1.0
    decisions += 0.9 * scale * norm
    return _m_step((croot, decisions[..., 0], decisions[..., 1], catt), smoothing)


@njit(cache=True)
def _chain_counts(classes, offsets, croot, cstop, ccont, catt, rightward):
    """Root, stop, continue and attachment counts of the chain trees of the sentences: each word
    the dependent of the next word (``rightward``; the last word the root) or of the previous one."""
    for s in range(offsets.shape[0] - 1):
        c = classes[offsets[s]:offsets[s + 1]]
        n = c.shape[0]
        if n == 0:
            continue
        croot[c[n - 1] if rightward else c[0]] += 1.0
        side = 0 if rightward else 1              # where each head's one dependent is
        for i in range(n):
            has = i > 0 if rightward else i < n - 1
            if has:
                catt[c[i], side, c[i - 1] if rightward else c[i + 1]] += 1.0
                ccont[c[i], side, 0] += 1.0
                cstop[c[i], side, 1] += 1.0
            else:
                cstop[c[i], side, 0] += 1.0
            cstop[c[i], 1 - side, 0] += 1.0


INITIALIZERS = ("harmonic", "right", "left")


def _initial_params(flat, offsets, C: int, smoothing: float, initializer: str):
    """``(root, stop, attach)`` log probabilities to start EM from (module docstring)."""
    harmonic = _harmonic_params(flat, offsets, C, smoothing)
    if initializer == "harmonic":
        return harmonic
    counts = _zero_counts(C)
    _chain_counts(flat, offsets, *counts, initializer == "right")
    chain = _m_step(counts, smoothing)
    return tuple(np.logaddexp(h, c) - math.log(2.0) for h, c in zip(harmonic, chain))


# -- the model ---------------------------------------------------------------------------
def _normalise(counts: np.ndarray, smoothing: float, axis: int = -1) -> np.ndarray:
    """log of ``(counts + smoothing)`` normalised along ``axis``; a row with no mass is uniform."""
    counts = counts + smoothing
    total = counts.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        probs = np.where(total > 0, counts / np.where(total > 0, total, 1.0), 1.0 / counts.shape[axis])
        return np.log(probs)


def _flatten(class_lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(class_lists) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(c) for c in class_lists])
    flat = np.concatenate(class_lists) if class_lists else np.zeros(0, dtype=np.int64)
    return flat.astype(np.int64), offsets


def _check_sentence(words, where: str = "sentence") -> list[str]:
    if isinstance(words, str):
        raise InputError(f"a {where} is a list of words, not a str: split it first (e.g. line.split())")
    words = list(words)
    if not all(isinstance(w, str) for w in words):
        raise InputError(f"a {where} is a list of str words")
    return words


class DependencyModel:
    """A Dependency Model with Valence over word classes (module docstring).

    Learn one with :meth:`fit` from tokenized sentences (or
    :func:`sentences_from_text` of raw text), or :meth:`load` one. Learned state:
    ``classes_`` (:class:`WordClasses`), ``root_`` (C,), ``stop_`` (C, 2, 2),
    ``attach_`` (C, 2, C), log probabilities; ``history_``: the EM objective
    per iteration; ``info_``: how it was learned.

    Examples
    --------
    >>> model = DependencyModel.fit([["我", "爱", "北京"], ["他", "爱", "上海"]] * 20)  # doctest: +SKIP
    >>> model.parse(["我", "爱", "北京"])                                               # doctest: +SKIP
    [2, 0, 2]
    """

    def __init__(self, classes: WordClasses, root: np.ndarray, stop: np.ndarray, attach: np.ndarray,
                 function_words: Mapping[str, int] | None = None, info: dict | None = None,
                 history: Sequence[float] = ()):
        C = len(classes)
        self.classes_ = classes
        self.root_ = np.ascontiguousarray(root, dtype=np.float64)
        self.stop_ = np.ascontiguousarray(stop, dtype=np.float64)
        self.attach_ = np.ascontiguousarray(attach, dtype=np.float64)
        if self.root_.shape != (C,) or self.stop_.shape != (C, 2, 2) or self.attach_.shape != (C, 2, C):
            raise ModelError(f"DependencyModel: parameter shapes do not match {C} classes")
        with np.errstate(divide="ignore"):
            self._cont = np.log(-np.expm1(np.minimum(self.stop_, 0.0)))
        self.function_words_ = dict(function_words or {})
        self.info_ = dict(info or {})
        self.history_ = list(history)

    def __getstate__(self) -> dict:
        return {"classes": self.classes_, "root": self.root_, "stop": self.stop_, "attach": self.attach_,
                "function_words": self.function_words_, "info": self.info_, "history": self.history_}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def __repr__(self) -> str:
        return f"DependencyModel({len(self.classes_)} classes, {len(self.history_)} EM iterations)"

    @property
    def _params(self):
        return self.root_, self.stop_, self._cont, self.attach_

    def _function_sides(self, words: Sequence[str]) -> list[int | None]:
        """For each word, the complement side of a function word (:attr:`function_words_`) or None."""
        return [self.function_words_.get(word_key(w)) for w in words]

    # -- learning
    @classmethod
    def fit(cls, sentences: Iterable[Sequence[str]], *, classes: WordClasses | int | None = None,
            max_length: int = MAX_LENGTH, iterations: int = ITERATIONS, tolerance: float = TOLERANCE,
            smoothing: float = SMOOTHING, initializer: str = INITIALIZER,
            progress: IterationFn | None = None) -> DependencyModel:
        """Learn the DMV by EM from tokenized sentences (lists of words).

        Parameters
        ----------
        sentences : iterable of lists of str
            Training text, segmented (e.g. :func:`sentences_from_text`). The
            classes learn from all of it; EM reads the sentences of
            1..``max_length`` words once punctuation is left out.
        classes : WordClasses, int, "clusters" or None
            The word classes. None (default): :meth:`WordClasses.fit` of these
            sentences, lexical (the 500 most frequent words, last characters,
            shapes); an int ``K``: the same with ``top_words=K``;
            ``"clusters"``: 64 clusters of the 5,000 most frequent Han words by
            their neighbours.
        iterations, tolerance : int, float
            EM stops after ``iterations`` or when the objective (log-likelihood
            plus log prior) gains less than ``tolerance`` relative to its size.
        smoothing : float
            Pseudo-count added to every expected count in the M-step (0: plain
            maximum likelihood, the likelihood then never decreases).
        initializer : {"best", "harmonic", "right", "left"}, default "best"
            Where EM starts: Klein and Manning's harmonic initializer, or its
            even mixture with the right or left chain (module docstring).
            ``"best"`` holds out every ``HELD_OUT_EVERY``-th sentence, runs EM
            from each of the three on the others and keeps the model under
            which the held-out sentences are most likely (a label-free choice;
            three times the work).
        progress : callable, optional
            ``progress(iteration, objective)`` after each iteration (of each
            run, for ``"best"``).

        Returns
        -------
        DependencyModel
        """
        if isinstance(sentences, (str, bytes)):
            raise InputError("sentences is an iterable of word lists, not a str: use "
                             "sentences_from_text(text) for raw text")
        if max_length < 1 or iterations < 0 or tolerance < 0 or smoothing < 0:
            raise InputError("max_length >= 1, iterations >= 0, tolerance >= 0 and smoothing >= 0 please")
        if initializer not in ("best", *INITIALIZERS):
            raise InputError(f"initializer must be best or one of {', '.join(INITIALIZERS)}, "
                             f"not {initializer!r}")
        started = time.perf_counter()
        given = [_check_sentence(s) for s in sentences]
        kept = [s for s in ([w for w in s if not _is_punctuation_key(word_key(w))] for s in given)
                if 1 <= len(s) <= max_length]
        if not kept:
            raise InputError(f"no training sentence of 1..{max_length} words (punctuation not counted)")
        if classes is None or isinstance(classes, (int, np.integer)):
            top = TOP_WORDS if classes is None else int(classes)
            if top < 0:
                raise InputError("classes: the number of frequent words that are their own class is >= 0")
            classes = WordClasses.fit(given, top_words=top)
        elif isinstance(classes, str) and classes == "clusters":
            classes = WordClasses.fit(given, clusters=CLUSTERS)
        elif not isinstance(classes, WordClasses):
            raise InputError("classes must be a WordClasses, an int, 'clusters' or None")
        function_words = function_word_sides(given, classes)
        del given
        held: list[list[str]] = []
        if initializer == "best" and len(kept) >= 2:
            held, kept = kept[::HELD_OUT_EVERY], [s for k, s in enumerate(kept) if k % HELD_OUT_EVERY]
        flat, offsets = _flatten([classes(s) for s in kept])
        starts = INITIALIZERS if initializer == "best" else (initializer,)
        runs = {start: cls._em(classes, flat, offsets, start, iterations, tolerance, smoothing, progress)
                for start in starts}
        scores = {start: runs[start][0].log_likelihood(held) for start in starts} if held else {}
        chosen = max(starts, key=scores.get) if held else starts[0]
        model, history = runs[chosen]
        info = {"sentences": len(kept), "words": int(len(flat)), "max_length": max_length,
                "classes": len(classes), "class_words": len(classes.words),
                "suffix_rules": len(classes.suffixes), "iterations": len(history), "smoothing": smoothing,
                "tolerance": tolerance, "initializer": chosen,
                **({"initializer_choice": {"held_out_sentences": len(held), "log_likelihoods": scores}}
                   if held else {}),
                "seconds": round(time.perf_counter() - started, 1)}
        single = [a.astype(np.float32) for a in (model.root_, model.stop_, model.attach_)]
        return cls(classes, *single, function_words, info=info,       # float32, as saved: load gives the same trees
                   history=history)

    @classmethod
    def _em(cls, classes: WordClasses, flat, offsets, initializer: str, iterations: int, tolerance: float,
            smoothing: float, progress: IterationFn | None) -> tuple[DependencyModel, list[float]]:
        """EM from ``initializer``: the last model and the objective of each iteration."""
        C = len(classes)
        model = cls(classes, *_initial_params(flat, offsets, C, smoothing, initializer))
        history, previous = [], None
        for iteration in range(1, iterations + 1):
            counts = _zero_counts(C)
            total, _ = _expected_counts(flat, offsets, *model._params, *counts)
            objective = total + smoothing * model._log_prior_sum()
            history.append(float(objective))
            if progress is not None:
                progress(iteration, float(objective))
            if previous is not None and objective - previous <= tolerance * abs(objective):
                break
            previous = objective
            model = cls(classes, *_m_step(counts, smoothing))
        return model, history

    def _log_prior_sum(self) -> float:
        """Σ log θ over every probability (the Dirichlet prior's term, times ``smoothing``)."""
        stop = np.concatenate([self.stop_.ravel(), self._cont.ravel()])
        return float(sum(np.where(np.isfinite(a), a, 0.0).sum() for a in (self.root_, stop, self.attach_)))

    # -- scoring and parsing
    def log_likelihood(self, sentences: Iterable[Sequence[str]]) -> float:
        """Σ log P(classes of the sentence's words, punctuation left out), over all projective trees.

        Sentences longer than ``MAX_CHART_WORDS`` words are scored window by window.
        """
        lists = []
        for sentence in sentences:
            words = _check_sentence(sentence)
            content = [words[i] for i in self._content(words)]
            lists += [self.classes_(w) for w in _windows(content)]
        flat, offsets = _flatten(lists)
        return float(_log_likelihoods(flat, offsets, *self._params).sum())

    def _content(self, words: list[str]) -> list[int]:
        """Positions of the words that are not punctuation (the DMV's words)."""
        return [i for i, w in enumerate(words) if not self.classes_.is_punctuation(w)]

    def parse(self, words: Sequence[str], content_heads: bool = True, viterbi: bool = False) -> list[int]:
        """CoNLL-U heads (0 = root, one child of the root) of a sentence.

        The words (punctuation aside) are decoded by Eisner's algorithm over
        :meth:`tree_scores` (the arc posteriors with a dependency-length prior);
        ``viterbi=True`` takes the model's most probable tree instead. Then the
        tree is put in Universal Dependencies' convention (:func:`to_content_heads`:
        function words are leaves; ``content_heads=False`` keeps the model's own
        tree), and each punctuation mark attached by :func:`attach_punctuation`.
        """
        words = _check_sentence(words)
        content = self._content(words)
        inner = [words[i] for i in content]
        if not inner:
            local = []
        elif viterbi:
            local = self._parse_content(inner)
        else:
            local = _decode_windows(self._window_posteriors(inner))
        return self._complete(words, content, local, content_heads)

    def _complete(self, words: list[str], content: list[int], local: list[int],
                  content_heads: bool) -> list[int]:
        """Full CoNLL-U heads from the heads ``local`` (1-based among the words ``content``)."""
        heads = [-1] * len(words)
        for k, h in enumerate(local):
            heads[content[k]] = content[h - 1] + 1 if h else 0
        if content_heads:
            heads = to_content_heads(heads, self._function_sides(words))
        return attach_punctuation(heads, words)

    def _parse_content(self, words: list[str]) -> list[int]:
        """Viterbi heads (1-based within ``words``) of words with no punctuation, windowed when long."""
        return _join_windows((start, [h + 1 for h in _viterbi(self.classes_(window), *self._params)[0].tolist()])
                             for start, window in _enumerate_windows(words))

    def _window_posteriors(self, words: list[str]) -> Iterator[tuple[int, np.ndarray]]:
        """``(start, μ)`` of each window of words with no punctuation: its ``(k+1, k+1)`` arc
        posteriors, row 0 its root."""
        for start, window in _enumerate_windows(words):
            yield start, _posteriors(self.classes_(window), *self._params)[0]

    def posteriors(self, words: Sequence[str]) -> np.ndarray:
        """``(n+1, n+1)`` arc posteriors ``μ[h, d] = P(h → d | sentence)``, row 0 the root.

        Each column sums to 1. A punctuation mark's column is 1 at the head that
        :meth:`parse` gives it with ``content_heads=False``. A sentence longer
        than ``MAX_CHART_WORDS`` words is computed window by window (the root of
        a window after the first depends on the most probable root of the window
        before it, with the posterior of its being its window's root).
        """
        words = _check_sentence(words)
        n = len(words)
        mu = np.zeros((n + 1, n + 1))
        content = self._content(words)
        windows = list(self._window_posteriors([words[i] for i in content])) if content else []
        if len(content) < n:
            for d, h in enumerate(self._complete(words, content, _decode_windows(windows), False), 1):
                mu[h, d] = 1.0
        index = np.array([0] + [i + 1 for i in content])
        previous = None
        for start, local in windows:
            k = local.shape[0] - 1
            rows, columns = index[start + 1: start + k + 1], index[start + 1: start + k + 1]
            mu[np.ix_(rows, columns)] = local[1:, 1:]
            mu[0 if previous is None else previous, columns] = local[0, 1:]
            previous = columns[int(local[0, 1:].argmax())]
        return mu

    def tree_scores(self, words: Sequence[str]) -> np.ndarray:
        """``standardised(log max(μ, FLOOR)) + standardised(length_scores(n))`` over all the
        words (the layout of :mod:`zhtext.trees`; :func:`combined_scores` adds Perturbed
        Masking's to them). :meth:`parse` decodes the same scores over the words without
        punctuation, window by window."""
        return _tree_scores(self.posteriors(words))

    def arc_scores(self, words: Sequence[str], floor: float = FLOOR) -> np.ndarray:
        """``log max(μ[h, d], floor)``: the DMV's arc scores in the layout of :mod:`zhtext.trees`."""
        return np.log(np.maximum(self.posteriors(words), floor))

    # -- files
    def save(self, path: str | os.PathLike) -> None:
        """Write the model as ``.npz`` (log probabilities in float32, a JSON header; no pickle,
        :mod:`zhtext.modelfile`), atomically."""
        text = {"words": "\n".join(f"{w}\t{n}" for w, n in self.classes_.words.items()),
                "suffixes": "\n".join(f"{x}\t{n}" for x, n in self.classes_.suffixes.items()),
                "function_words": "\n".join(f"{w}\t{side}" for w, side in self.function_words_.items())}
        modelfile.write(path, FORMAT, VERSION, {"info": self.info_, "history": self.history_},
                        {"root": self.root_.astype(np.float32), "stop": self.stop_.astype(np.float32),
                         "attach": self.attach_.astype(np.float32),
                         **{name: np.frombuffer(value.encode("utf-8"), np.uint8) for name, value in text.items()}})

    @classmethod
    def load(cls, path: str | os.PathLike) -> DependencyModel:
        """Read a model written by :meth:`save`; :class:`ModelError` (one line naming the file) if it
        is missing, corrupt or of another version."""
        header, data = modelfile.read(path, FORMAT, VERSION, ("words", "suffixes", "function_words", "root",
                                                              "stop", "attach"), "dependency model")
        try:
            words, suffixes, function_words = (bytes(data[name]).decode("utf-8")
                                               for name in ("words", "suffixes", "function_words"))
        except UnicodeDecodeError:
            raise ModelError(f"{path}: corrupt dependency model (bad word classes)") from None
        arrays = {name: data[name] for name in ("root", "stop", "attach")}
        try:
            classes = WordClasses(dict(line.split("\t") for line in words.split("\n")) if words else {},
                                  dict(line.split("\t") for line in suffixes.split("\n")) if suffixes else {})
            sides = {w: int(side) for w, side in (line.split("\t") for line in function_words.split("\n"))
                     } if function_words else {}
            if set(sides.values()) - {0, 1}:
                raise ValueError
        except (ValueError, InputError):
            raise ModelError(f"{path}: corrupt dependency model (bad word classes)") from None
        if any(a.dtype != np.float32 for a in arrays.values()) or not all(
                np.all(np.isfinite(a) | (a == -np.inf)) and np.all(a <= 0) for a in arrays.values()):
            raise ModelError(f"{path}: corrupt dependency model (bad arrays)")
        try:
            return cls(classes, arrays["root"], arrays["stop"], arrays["attach"], sides,
                       info={"name": os.path.basename(str(path)), **header.get("info", {})},
                       history=header.get("history", []))
        except (ModelError, InputError) as err:
            raise ModelError(f"{path}: corrupt dependency model ({err})") from None


OPENING, CLOSING = ("Ps", "Pi"), ("Pe", "Pf")     # Unicode categories of paired marks: （《“ and ）》”
ENUMERATION_COMMA = "、"


def attach_punctuation(heads: list[int], words: Sequence[str]) -> list[int]:
    """Complete a projective tree whose punctuation marks have head -1 (CoNLL-U heads otherwise).

    Universal Dependencies' rules for punctuation (a mark depends on the head
    of the phrase it delimits), fixed a priori, in this order:

    1. a paired mark (opening ``（《“``: Unicode categories Ps, Pi; closing
       ``）》”``: Pe, Pf; matched innermost first) depends on the highest
       ancestor of the first word after the opening mark that lies inside the
       pair, its closing partner on the same word; an unmatched opening
       mark's pair runs to the end of the sentence;
    2. ``、`` on the highest ancestor of the next word that lies after it
       (the conjunct it introduces);
    3. marks after the last word (``。``, ``？``) on the root word;
    4. any other mark (``，``, ``：``) on the nearest word before it (after
       it, for marks that open the sentence).

    Every step only takes an arc that crosses none (else the mark falls to
    the next rule; at the last, to the adjacent token), so the tree stays
    projective. With no word at all, the marks form a right chain.
    """
    heads = list(heads)
    n = len(heads)
    if all(h < 0 for h in heads):
        return [t + 1 for t in range(1, n)] + [0] if n else []
    marks = [p for p, h in enumerate(heads) if h < 0]
    previous, following = _nearest_words(heads)
    categories = [unicodedata.category(words[p][0]) if len(words[p]) == 1 else "" for p in range(n)]
    for opening, closing in _pairs(marks, categories, n):
        word = following[opening]
        if word is not None and word < closing:
            _attach(heads, opening, _highest(heads, opening, word, lambda h: opening < h - 1 < closing))
            if closing < n and heads[opening] > 0:
                _attach(heads, closing, heads[opening])
    for p in marks:
        if heads[p] < 0 and words[p] == ENUMERATION_COMMA and following[p] is not None:
            _attach(heads, p, _highest(heads, p, following[p], lambda h: h - 1 > p))
    root = heads.index(0) + 1
    for p in marks:
        if heads[p] < 0 and following[p] is None:
            _attach(heads, p, root)
    for p in marks:
        if heads[p] < 0:
            word = previous[p] if previous[p] is not None else following[p]
            if not _attach(heads, p, word + 1):
                heads[p] = p if previous[p] is not None else p + 2
    return heads


def _nearest_words(heads: list[int]) -> tuple[list[int | None], list[int | None]]:
    """For each position, the nearest word (head ≥ 0) before it and after it (0-based, None: none)."""
    n = len(heads)
    previous: list[int | None] = [None] * n
    following: list[int | None] = [None] * n
    for p in range(1, n):
        previous[p] = p - 1 if heads[p - 1] >= 0 else previous[p - 1]
    for p in range(n - 2, -1, -1):
        following[p] = p + 1 if heads[p + 1] >= 0 else following[p + 1]
    return previous, following


def _pairs(marks: list[int], categories: list[str], n: int) -> list[tuple[int, int]]:
    """``(opening, closing)`` positions of the paired marks, outermost first; ``closing = n`` for an
    opening mark never closed."""
    pairs, open_marks = [], []
    for p in marks:
        if categories[p] in OPENING:
            open_marks.append(p)
        elif categories[p] in CLOSING and open_marks:
            pairs.append((open_marks.pop(), p))
    return sorted(pairs + [(p, n) for p in open_marks])


def _highest(heads: list[int], mark: int, word: int, allowed: Callable[[int], bool]) -> int:
    """The highest ancestor of ``word`` (0-based; the answer 1-based) that ``allowed`` accepts and that
    ``mark`` can depend on without crossing an arc, climbing from ``word`` itself."""
    best = node = word + 1
    while heads[node - 1] > 0 and allowed(heads[node - 1]):
        node = heads[node - 1]
        if not _crosses(heads, node, mark + 1):
            best = node
    return best


def _attach(heads: list[int], mark: int, head: int) -> bool:
    """``heads[mark] = head`` (1-based) unless the arc would cross one; whether it was taken."""
    if _crosses(heads, head, mark + 1):
        return False
    heads[mark] = head
    return True


def function_word_sides(sentences: Iterable[Sequence[str]], classes: WordClasses) -> dict[str, int]:
    """The function words and the side where each takes its complement (0 left, 1 right).

    The function words are the first ``FUNCTION_WORDS`` one-character Han
    words that are classes of their own (the most frequent first). A word
    whose complement follows it cannot end a phrase, so it seldom stands just
    before a phrase boundary (在, 和, 被, 也 follow ``，`` far more often than
    they precede it); a word that closes the phrase on its left seldom stands
    just after one (的, 了, 中, 上)::

        side(f) = 1  if  #(boundary f) > #(f boundary)  else 0

    counted in ``sentences`` (tokenized, punctuation kept), a boundary being a
    punctuation mark or the start or end of the sentence. Label-free, from
    raw text alone.
    """
    keys = [w for w in classes.words if len(w) == 1 and _is_han(w)][:FUNCTION_WORDS]
    before, after = dict.fromkeys(keys, 0), dict.fromkeys(keys, 0)
    for sentence in sentences:
        sentence_keys = [word_key(w) for w in sentence]
        for i, key in enumerate(sentence_keys):
            if key in before:
                before[key] += i == 0 or _is_punctuation_key(sentence_keys[i - 1])
                after[key] += i + 1 == len(sentence_keys) or _is_punctuation_key(sentence_keys[i + 1])
    return {key: int(before[key] > after[key]) for key in keys}


def to_content_heads(heads: list[int], sides: Sequence[int | None], marks: Sequence[bool] = ()) -> list[int]:
    """A tree in Universal Dependencies' convention, where function words are leaves.

    ``heads``: CoNLL-U heads (0 the root; -1: a punctuation mark not attached
    yet); ``sides[i]``: None for a content word, else the side (0 left, 1
    right) where function word ``i`` takes its complement; ``marks[i]``: word
    ``i`` is a punctuation mark. Left to right, each function word ``f`` with
    dependents hands its place to its complement ``c``, the nearest dependent
    on its side, marks aside: ``c`` takes ``f``'s head, ``f`` and ``f``'s
    other dependents depend on ``c``. With no dependent on that side, ``f``'s
    head is its complement when it lies there: ``f``'s dependents move to that
    head and ``f`` stays its leaf; otherwise the nearest dependent is ``c``.
    The DMV makes 的 the head of the phrase it closes and 在 the head of its
    object (the function-head analysis that distribution favours), and in a
    right-branching analysis 和 heads the first conjunct, where UD makes them
    leaves of that phrase, of the object and of the second conjunct:

        [北京 ← 的 ← 大学]  becomes  [的 ← 北京 ← 大学]
        [北京 ← 和 ← 上海]  becomes  [北京 ← 上海, 和 ← 上海]

    A projective tree stays projective.
    """
    heads = list(heads)
    children: list[list[int]] = [[] for _ in range(len(heads) + 1)]     # by 1-based head
    for d, h in enumerate(heads):
        if h > 0:
            children[h].append(d)
    for f, side in enumerate(sides):
        dependents = [d for d in children[f + 1] if not (marks and marks[d])] if side is not None else []
        if not dependents:
            continue
        preferred = [d for d in dependents if (d > f) == bool(side)]
        if not preferred and heads[f] > 0 and (heads[f] - 1 > f) == bool(side):
            _hand_dependents_to_head(heads, children, f)
            continue
        complement = min(preferred or dependents, key=lambda d: abs(d - f))
        moved = [d for d in children[f + 1] if d != complement] + [f]
        children[f + 1] = []
        if heads[f] > 0:
            children[heads[f]][children[heads[f]].index(f)] = complement
        heads[complement] = heads[f]
        for d in moved:
            heads[d] = complement + 1
        children[complement + 1] += moved
    return heads


def _hand_dependents_to_head(heads: list[int], children: list[list[int]], f: int) -> None:
    """Word ``f`` becomes a leaf: its dependents depend on its head instead (a projective tree stays so)."""
    head = heads[f]
    for d in children[f + 1]:
        heads[d] = head
    children[head] += children[f + 1]
    children[f + 1] = []


def _crosses(heads: list[int], h: int, d: int) -> bool:
    """Whether an arc h–d would cross an arc of ``heads`` (1-based, 0 the root; -1: none yet)."""
    lo, hi = min(h, d), max(h, d)
    for t, a in enumerate(heads, 1):
        if a < 0:
            continue
        if (lo < t < hi and not lo <= a <= hi) or (lo < a < hi and not lo <= t <= hi):
            return True
    return False


def _zero_counts(C: int):
    return np.zeros(C), np.zeros((C, 2, 2)), np.zeros((C, 2, 2)), np.zeros((C, 2, C))


def _m_step(counts, smoothing: float):
    """``(root, stop, attach)`` log probabilities from expected counts plus ``smoothing``."""
    croot, cstop, ccont, catt = counts
    root = _normalise(croot, smoothing)
    stop = _normalise(np.stack([cstop, ccont], axis=-1), smoothing)[..., 0]
    return root, stop, _normalise(catt, smoothing)


def _enumerate_windows(words: list[str]) -> Iterator[tuple[int, list[str]]]:
    """``(start, words)`` of consecutive windows of at most ``MAX_CHART_WORDS`` words."""
    for start in range(0, len(words), MAX_CHART_WORDS):
        yield start, words[start: start + MAX_CHART_WORDS]


def _windows(words: list[str]) -> Iterator[list[str]]:
    for _, window in _enumerate_windows(words):
        yield window


# -- combining with Perturbed Masking ----------------------------------------------------
def standardised(scores: np.ndarray) -> np.ndarray:
    """``(S − mean) / std`` over the arcs of an ``(n+1, n+1)`` score matrix (row 0 included,
    column 0 and the diagonal left out and set to 0); a constant matrix becomes 0."""
    scores = np.asarray(scores, dtype=np.float64)
    n1 = scores.shape[0]
    valid = ~np.eye(n1, dtype=bool)
    valid[:, 0] = False
    values = scores[valid]
    result = np.zeros_like(scores)
    if values.size:
        spread = values.std()
        result[valid] = (values - values.mean()) / spread if spread > 0 else 0.0
    return result


def length_scores(n: int) -> np.ndarray:
    """``−log |h − d|`` for the arcs of an ``n``-word sentence (row 0, the root: ``−log n``).

    A prior for short dependencies, which languages prefer (dependency length
    minimisation, Futrell, Mahowald and Gibson, PNAS 2015); the DMV has no
    notion of length beyond its valence.
    """
    positions = np.arange(1, n + 1)
    scores = np.zeros((n + 1, n + 1))
    with np.errstate(divide="ignore"):
        scores[1:, 1:] = -np.log(np.abs(positions[:, None] - positions[None, :]))
    np.fill_diagonal(scores, 0.0)
    scores[0, 1:] = -math.log(n) if n else 0.0
    return scores


def _tree_scores(mu: np.ndarray) -> np.ndarray:
    """Arc posteriors and the length prior, standardised, with equal weights (fixed a priori)."""
    return standardised(np.log(np.maximum(mu, FLOOR))) + standardised(length_scores(mu.shape[0] - 1))


def _decode_windows(windows) -> list[int]:
    """Heads of Eisner's best tree over :func:`_tree_scores` of each window's arc posteriors
    (``(start, μ)`` pairs), joined by :func:`_join_windows`."""
    from .trees import eisner
    return _join_windows((start, eisner(_tree_scores(mu))) for start, mu in windows)


def _join_windows(pieces) -> list[int]:
    """Heads (1-based among all the windows' words, 0 the root) from ``(start, heads)`` of each
    window (1-based within it, 0 its root): the root of a window after the first depends on
    the root of the window before it."""
    heads: list[int] = []
    previous_root = root = 0
    for start, local in pieces:
        for d, h in enumerate(local):
            heads.append(h + start if h else previous_root)
            if not h:
                root = start + d + 1
        previous_root = root
    return heads


def combined_scores(model: DependencyModel, words: Sequence[str], impact: np.ndarray) -> np.ndarray:
    """Arc scores ``tree_scores + standardised(S_PM)``: the DMV's and Perturbed Masking's, each
    standardised, with equal weights fixed a priori."""
    from .trees import arc_scores
    impact = np.asarray(impact, dtype=np.float64)
    if impact.shape != (len(words), len(words)):
        raise InputError(f"impact matrix of shape {impact.shape} for a sentence of {len(words)} words")
    return model.tree_scores(words) + standardised(arc_scores(impact))


def combined_tree(model: DependencyModel, words: Sequence[str], impact: np.ndarray,
                  decoder: str = "eisner", content_heads: bool = True) -> list[int]:
    """CoNLL-U heads of the best tree over :func:`combined_scores` (decoders of :mod:`zhtext.trees`),
    in UD's convention (:func:`to_content_heads`) unless ``content_heads=False``."""
    from .trees import DECODERS
    if decoder not in DECODERS:
        raise InputError(f"decoder must be one of {', '.join(DECODERS)}, not {decoder!r}")
    if not len(words):
        return []
    heads = DECODERS[decoder](combined_scores(model, words, impact))
    if not content_heads:
        return heads
    marks = [model.classes_.is_punctuation(w) for w in words]
    return to_content_heads(heads, model._function_sides(words), marks)


# -- training text -----------------------------------------------------------------------
SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
"""Where raw text is cut into sentences: after 。！？!?；;"""


def sentences_from_text(corpus, segmenter=None, **corpus_options) -> Iterator[list[str]]:
    """Tokenized sentences of raw text: each line cut after ``。！？!?；;``, then into words.

    ``corpus``: anything :func:`zhtext.corpus.as_corpus` accepts; ``segmenter``:
    a :class:`zhtext.segment.Segmenter` (default: the shipped base model,
    ``models/zhtext-segmenter-base.npz``, learned by ``Segmenter.fit`` from the
    raw shared corpora).
    """
    from .corpus import as_corpus
    from .segment import Segmenter, default_base_path
    if segmenter is None:
        segmenter = Segmenter.load(default_base_path())
    for line in as_corpus(corpus, **corpus_options):
        for piece in SENTENCE_END.split(line.strip()):
            words = segmenter.cut(piece) if piece.strip() else []
            if words:
                yield words


MODEL_NAME = "zhtext-dmv.npz"


def default_model_path():
    """The shipped model, ``zhtext-dmv.npz`` of the package data ``zhtext.models``
    (:func:`zhtext.shipped.shipped_path`)."""
    from .shipped import shipped_path
    return shipped_path(MODEL_NAME)


def load(path: str | os.PathLike) -> DependencyModel:
    """:meth:`DependencyModel.load`."""
    return DependencyModel.load(path)
