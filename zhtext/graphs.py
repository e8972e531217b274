"""Word graphs learned from a corpus alone, for :func:`zhtext.community.infomap`.

Both builders take *tokenized sentences* (an iterable of lists of words), so
they work with any segmenter; :func:`tokenize` supplies them from raw text.

Vocabulary. Only *content words* become nodes (:func:`is_content_word`): two
or more characters, all Han ideographs, not in :data:`STOPWORDS` (function
words such as 我们, 但是, 已经). Dropped tokens still occupy their position,
so a window never spans more text than it says.

**Co-occurrence graph** (:func:`cooccurrence_graph`, undirected). Words ``u``
and ``v`` co-occur when they are less than ``window`` tokens apart in a
sentence; with ``c(u, v)`` those counts, ``c(u) = sum_v c(u, v)`` and ``D`` the
total, the weight is the positive pointwise mutual information::

    PPMI(u, v) = max(0, log( c(u, v) D / (c(u) c(v)) ))

kept for pairs seen at least ``min_pair_count`` times, and only where ``v`` is
among the ``top_k`` strongest partners of ``u`` or ``u`` among those of ``v``.

**Similarity graph** (:func:`similarity_graph`, directed). Word vectors come
from the corpus: the PPMI matrix of the ``max_words`` most frequent words
(rows) against all vocabulary words (contexts) with context-distribution
smoothing (Levy, Goldberg & Dagan 2015)::

    PPMI(w, c) = max(0, log( c(w, c) / (c(w) P(c)) )),   P(c) = c(c)^0.75 / sum_c' c(c')^0.75

factorised by a randomised truncated SVD ``M ~ U S V^T`` (Halko et al. 2011,
numpy only) with vectors ``U S^(1/2)``. Each word links to its ``top_k`` most
similar words by cosine when the cosine is at least ``threshold``; the link
weight is the cosine. The reference recipe is 10,000 words, top 50, cosine >= 0.6.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
from numba import njit

from .community import Links, _merged, as_links
from .corpus import as_corpus
from .errors import InputError
from .tokens import is_han

STOPWORDS = frozenset("""
我们 你们 他们 她们 它们 咱们 自己 大家 人们 这个 那个 这些 那些 这样 那样 这种 那种 这里 那里 这么 那么
什么 怎么 怎样 如何 为什么 哪里 一个 一些 一种 一样 一起 一切 一定 一直 已经 曾经 正在 还是 就是 也是 都是
不是 没有 可以 可能 能够 应该 需要 必须 进行 开始 成为 作为 通过 对于 关于 由于 为了 根据 按照 以及 而且
并且 或者 但是 可是 然而 因为 所以 因此 如果 虽然 尽管 即使 不仅 只有 只要 除了 其中 其他 其它 同时 然后
以后 以前 之后 之前 目前 现在 当时 时候 今天 今年 最后 还有 已有 所有 许多 很多 不少 更加 非常 十分 特别
比较 主要 一般 有关 之间 方面 情况 问题 工作 表示 认为 指出 知道 觉得 看到 来说 起来 出来 下来 上来 这是
""".split())
"""Two-character function words and fillers skipped by :func:`is_content_word`."""

TOKENIZERS = ("zhtext", "jieba", "whitespace")


def is_content_word(word: str) -> bool:
    """Two or more Chinese characters (:func:`zhtext.tokens.is_han`) and not a stop-word: the
    default node filter."""
    return len(word) >= 2 and all(map(is_han, word)) and word not in STOPWORDS


@dataclass(frozen=True, eq=False)
class WordGraph(Links):
    """A word graph: :class:`zhtext.community.Links` whose nodes are words, with their counts.

    Each word's corpus frequency is in ``counts``.

    Made by :func:`cooccurrence_graph` (undirected, PPMI weights) or
    :func:`similarity_graph` (directed, cosine weights), or read with
    :meth:`from_networkx`; :func:`zhtext.community.infomap` takes it as it is.

    Attributes
    ----------
    nodes : tuple of str
        The words (:attr:`words` is the same); most frequent first in a graph
        the builders made.
    src, dst : numpy.ndarray
        ``int64`` node indices of each link; ``src <= dst`` when undirected.
    weight : numpy.ndarray
        Positive link weights.
    directed : bool
    counts : numpy.ndarray
        ``int64`` corpus count of each word.

    Examples
    --------
    >>> from pathlib import Path
    >>> from zhtext.graphs import tokenize
    >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:1000]
    >>> sentences = list(tokenize(lines))          # the novel's first 1,000 lines, segmented
    >>> from zhtext import cooccurrence_graph
    >>> graph = cooccurrence_graph(sentences)
    >>> graph.num_nodes, len(graph.weight), graph.directed
    (1208, 792, False)
    >>> graph.words[:3], graph.counts[:3]
    (('宝玉', '笑道', '凤姐'), array([1466,  837,  515]))
    """

    counts: np.ndarray

    @property
    def words(self) -> tuple:
        return self.nodes

    def to_networkx(self):
        """A networkx graph with a ``weight`` per edge and a ``count`` per node.

        Returns
        -------
        networkx.Graph or networkx.DiGraph
            Every word is a node, those without links too.

        Examples
        --------
        >>> import networkx as nx
        >>> from zhtext import WordGraph
        >>> G = nx.Graph()
        >>> G.add_edge("宝玉", "黛玉", weight=2.0)
        >>> G.add_edge("宝玉", "袭人")                      # no weight: 1
        >>> G.nodes["宝玉"]["count"] = 5
        >>> H = WordGraph.from_networkx(G).to_networkx()
        >>> H.nodes["宝玉"], H["宝玉"]["黛玉"]
        ({'count': 5}, {'weight': 2.0})
        """
        G = super().to_networkx()
        for word, count in zip(self.nodes, self.counts.tolist()):
            G.nodes[word]["count"] = count
        return G

    @classmethod
    def from_networkx(cls, G, weight: str | None = "weight") -> WordGraph:
        """The graph ``G`` (node attribute ``count`` read when present, else 0).

        Parameters
        ----------
        G : networkx.Graph or networkx.DiGraph
            Nodes are words; multigraphs too (parallel edges are summed).
        weight : str or None, default "weight"
            The edge attribute holding the weight (missing: 1); ``None``: all 1.

        Returns
        -------
        WordGraph

        Raises
        ------
        InputError
            A negative, NaN or infinite weight.

        Examples
        --------
        >>> import networkx as nx
        >>> from zhtext import WordGraph
        >>> G = nx.Graph()
        >>> G.add_edge("宝玉", "黛玉", weight=2.0)
        >>> G.add_edge("宝玉", "袭人")                      # no weight: 1
        >>> G.nodes["宝玉"]["count"] = 5
        >>> graph = WordGraph.from_networkx(G)
        >>> graph.words, graph.counts, graph.weight
        (('宝玉', '黛玉', '袭人'), array([5, 0, 0]), array([2., 1.]))
        """
        links = as_links(G, weight)
        counts = np.array([G.nodes[word].get("count", 0) for word in links.nodes], np.int64)
        return cls(links.nodes, links.src, links.dst, links.weight, links.directed, counts)

    def lines(self) -> Iterator[str]:
        """``u<TAB>v<TAB>weight`` per link: the edge-list format of ``zhtext communities``.

        Yields
        ------
        str
            One line per link, with its newline; weights in 6 significant digits.

        Examples
        --------
        >>> import networkx as nx
        >>> from zhtext import WordGraph
        >>> G = nx.Graph()
        >>> G.add_edge("宝玉", "黛玉", weight=2.0)
        >>> G.add_edge("宝玉", "袭人")                      # no weight: 1
        >>> G.nodes["宝玉"]["count"] = 5
        >>> print("".join(WordGraph.from_networkx(G).lines()), end="")    # doctest: +NORMALIZE_WHITESPACE
        宝玉    黛玉    2
        宝玉    袭人    1
        """
        words = self.nodes
        for u, v, w in zip(self.src.tolist(), self.dst.tolist(), self.weight.tolist()):
            yield f"{words[u]}\t{words[v]}\t{w:.6g}\n"


# ----------------------------------------------------------------------------
# Tokens, vocabulary and co-occurrence counts
# ----------------------------------------------------------------------------

def tokenize(corpus, tokenizer: str = "zhtext", **corpus_options) -> Iterator[list[str]]:
    """The words of each line of a raw-text corpus: the sentences the graph builders take.

    ``"zhtext"``: :class:`zhtext.segment.Segmenter` learned from the corpus
    itself (the corpus is read twice: pass files or a list). ``"jieba"``: a
    private ``jieba.Tokenizer`` with its bundled dictionary. ``"whitespace"``:
    the text is already segmented, words separated by whitespace.

    Parameters
    ----------
    corpus : str, path-like, Corpus or iterable of str
        Anything :func:`zhtext.corpus.as_corpus` accepts.
    tokenizer : {"zhtext", "jieba", "whitespace"}, default "zhtext"
    **corpus_options
        Options of :class:`~zhtext.corpus.Corpus`.

    Returns
    -------
    iterator of list of str
        One list of words per line, punctuation included.

    Raises
    ------
    InputError
        An unknown tokenizer, or an unreadable corpus.

    Examples
    --------
    >>> from zhtext.graphs import tokenize
    >>> next(tokenize(["我们 在 北京"], "whitespace"))
    ['我们', '在', '北京']
    >>> from pathlib import Path
    >>> from zhtext.graphs import tokenize
    >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:1000]
    >>> sentences = list(tokenize(lines))          # the novel's first 1,000 lines, segmented
    >>> sentences[1]
    ['第', '一', '回', '甄', '士隐', '梦幻', '识', '通灵', '贾', '雨村', '风尘', '怀', '闺秀']
    """
    corpus = as_corpus(corpus, **corpus_options)
    if tokenizer == "whitespace":
        return (line.split() for line in corpus)
    if tokenizer == "zhtext":
        from .segment import Segmenter

        return Segmenter.fit(corpus).cut_lines(corpus)
    if tokenizer == "jieba":
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)  # no dictionary-loading chatter
        cutter = jieba.Tokenizer()
        return (cutter.lcut(line) for line in corpus)
    raise InputError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, not {tokenizer!r}")


@dataclass(frozen=True)
class _Encoded:
    """Token ids of all sentences (``-1``: dropped word or sentence gap) and the vocabulary."""

    ids: np.ndarray
    words: tuple
    counts: np.ndarray


def _encode(sentences: Iterable[Sequence[str]], window: int, min_count: int,
            keep: Callable[[str], bool]) -> _Encoded:
    """One pass: every token as an id, sentences separated by ``window`` gaps,
    then ids renumbered to the kept words (count >= ``min_count``) by decreasing count."""
    index: dict[str, int] = {}
    chunks, gap = [], np.full(window, -1, np.int64)
    for sentence in sentences:
        if isinstance(sentence, str):
            raise InputError("sentences must be lists of words, not strings (tokenize them first)")
        chunks.append(np.fromiter((index.setdefault(w, len(index)) for w in sentence), np.int64))
        chunks.append(gap)
    ids = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
    words = list(index)
    counts = np.bincount(ids[ids >= 0], minlength=len(words))
    kept = np.array([c >= min_count and keep(w) for w, c in zip(words, counts.tolist())], bool)
    order = np.flatnonzero(kept)
    order = order[np.argsort(-counts[order], kind="stable")]
    renumber = np.full(len(words) + 1, -1, np.int64)  # slot -1 maps gaps to -1
    renumber[order] = np.arange(order.size)
    return _Encoded(renumber[ids], tuple(words[i] for i in order), counts[order])


def _pair_counts(ids: np.ndarray, size: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unordered pairs ``u < v`` of different words less than ``window`` tokens apart, with counts."""
    keys = []
    for distance in range(1, window):
        a, b = ids[:-distance], ids[distance:]
        both = (a >= 0) & (b >= 0) & (a != b)
        a, b = a[both], b[both]
        keys.append(np.minimum(a, b) * size + np.maximum(a, b))
    if not keys:
        raise InputError("window must be at least 2")
    keys, counts = np.unique(np.concatenate(keys), return_counts=True)
    return keys // size, keys % size, counts.astype(np.float64)


def _check(window: int, min_count: int, top_k: int) -> None:
    if window < 2 or min_count < 1 or top_k < 1:
        raise InputError("window must be >= 2, min_count >= 1 and top_k >= 1")


# ----------------------------------------------------------------------------
# Co-occurrence graph
# ----------------------------------------------------------------------------

def cooccurrence_graph(sentences: Iterable[Sequence[str]], window: int = 5, min_count: int = 5,
                       min_pair_count: int = 3, top_k: int = 20, max_words: int | None = None,
                       keep: Callable[[str], bool] = is_content_word) -> WordGraph:
    """Undirected graph of content words weighted by positive PMI (see the module doc).

    ``PPMI(u, v) = max(0, log(c(u, v) D / (c(u) c(v))))`` over the pairs of
    content words less than ``window`` tokens apart in a sentence, kept for
    pairs seen ``min_pair_count`` times where ``v`` is among the ``top_k``
    strongest partners of ``u`` or ``u`` among those of ``v``. Dropped tokens
    (function words, punctuation) still take their place in the window.

    Parameters
    ----------
    sentences : iterable of list of str
        Tokenized sentences (:func:`tokenize`, or any segmenter's output).
    window : int, default 5
        Two words co-occur when fewer than ``window`` tokens apart (``>= 2``).
    min_count : int, default 5
        The least count of a word to be a node.
    min_pair_count : int, default 3
        The least co-occurrence count of a link.
    top_k : int, default 20
        A link is kept where it is among the ``top_k`` strongest of either word.
    max_words : int, optional
        Only the ``max_words`` most frequent words are nodes.
    keep : callable, default is_content_word
        ``keep(word)``: whether a word may be a node.

    Returns
    -------
    WordGraph
        Undirected; nodes by decreasing count, words without links included.

    Raises
    ------
    InputError
        ``window < 2``, ``min_count < 1``, ``top_k < 1``, or a sentence given
        as a string.

    Examples
    --------
    >>> from pathlib import Path
    >>> from zhtext.graphs import tokenize
    >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:1000]
    >>> sentences = list(tokenize(lines))          # the novel's first 1,000 lines, segmented
    >>> from zhtext import cooccurrence_graph
    >>> graph = cooccurrence_graph(sentences)
    >>> graph.num_nodes, len(graph.weight)
    (1208, 792)
    >>> G = graph.to_networkx()
    >>> partners = sorted(G["宝玉"].items(), key=lambda item: -item[1]["weight"])[:3]
    >>> [(word, round(data["weight"], 2)) for word, data in partners]
    [('通灵', 1.54), ('默默', 1.25), ('在院内', 1.15)]
    """
    _check(window, min_count, top_k)
    encoded = _encode(sentences, window, min_count, keep)
    ids, size = encoded.ids, len(encoded.words)
    if max_words is not None:
        size = min(size, max_words)
        ids = np.where(ids < size, ids, -1)
    u, v, c = _pair_counts(ids, max(size, 1), window)
    marginal = np.bincount(u, c, size) + np.bincount(v, c, size)
    pmi = np.log(c * c.sum() / (marginal[u] * marginal[v])) if c.size else c
    strong = (c >= min_pair_count) & (pmi > 0)
    u, v, pmi = u[strong], v[strong], pmi[strong]
    best = _top_k_mask(u, -pmi, top_k) | _top_k_mask(v, -pmi, top_k)
    return _graph(encoded, size, u[best], v[best], pmi[best], directed=False)


def _top_k_mask(group: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """True for the ``k`` smallest ``key`` values within each ``group``."""
    order = np.lexsort((key, group))
    sorted_group = group[order]
    first = np.searchsorted(sorted_group, sorted_group, side="left")
    mask = np.zeros(group.size, bool)
    mask[order] = np.arange(group.size) - first < k
    return mask


def _graph(encoded: _Encoded, size: int, u, v, w, directed: bool) -> WordGraph:
    links = _merged(encoded.words[:size], u.astype(np.int64), v.astype(np.int64), w, directed)
    return WordGraph(links.nodes, links.src, links.dst, links.weight, directed, encoded.counts[:size])


# ----------------------------------------------------------------------------
# Similarity graph
# ----------------------------------------------------------------------------

@njit(cache=True)
def _csr_times(indptr, indices, data, X):
    """``A @ X`` for a CSR matrix ``A``."""
    out = np.zeros((indptr.size - 1, X.shape[1]))
    for r in range(indptr.size - 1):
        for k in range(indptr[r], indptr[r + 1]):
            out[r] += data[k] * X[indices[k]]
    return out


@njit(cache=True)
def _csr_t_times(indptr, indices, data, X, columns):
    """``A.T @ X`` for a CSR matrix ``A`` with ``columns`` columns."""
    out = np.zeros((columns, X.shape[1]))
    for r in range(indptr.size - 1):
        for k in range(indptr[r], indptr[r + 1]):
            out[indices[k]] += data[k] * X[r]
    return out


def word_vectors(sentences: Iterable[Sequence[str]], dim: int = 100, window: int = 5, min_count: int = 5,
                 max_words: int = 10_000, smoothing: float = 0.75, seed: int = 0,
                 keep: Callable[[str], bool] = is_content_word) -> tuple[tuple, np.ndarray, np.ndarray]:
    """``(words, counts, vectors)``: PPMI + truncated SVD vectors of the most frequent words."""
    _check(window, min_count, 1)
    encoded = _encode(sentences, window, min_count, keep)
    size, columns = min(len(encoded.words), max_words), max(len(encoded.words), 1)
    u, v, c = _pair_counts(encoded.ids, columns, window)
    rows, cols, c = np.r_[u, v], np.r_[v, u], np.r_[c, c]
    inside = rows < size
    rows, cols, c = rows[inside], cols[inside], c[inside]
    order = np.lexsort((cols, rows))
    rows, cols, c = rows[order], cols[order], c[order]
    row_total = np.bincount(rows, c, size)
    context = np.bincount(cols, c, columns) ** smoothing
    ppmi = np.log(c / row_total[rows] / (context[cols] / context.sum())) if c.size else c
    positive = ppmi > 0
    rows, cols, ppmi = rows[positive], cols[positive], ppmi[positive]
    indptr = np.zeros(size + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=size), out=indptr[1:])
    vectors = _truncated_svd(indptr, cols, ppmi, columns, min(dim, max(size - 1, 1)), seed)
    return encoded.words[:size], encoded.counts[:size], vectors


def _truncated_svd(indptr, indices, data, columns: int, dim: int, seed: int,
                   oversample: int = 10, power_iterations: int = 3) -> np.ndarray:
    """``U_k S_k^(1/2)`` of a CSR matrix by randomised range finding (Halko et al. 2011)."""
    rng = np.random.default_rng(seed)
    width = min(dim + oversample, columns)
    Y = _csr_times(indptr, indices, data, rng.standard_normal((columns, width)))
    for _ in range(power_iterations):
        Q = np.linalg.qr(Y)[0]
        Q = np.linalg.qr(_csr_t_times(indptr, indices, data, Q, columns))[0]
        Y = _csr_times(indptr, indices, data, Q)
    Q = np.linalg.qr(Y)[0]
    B = _csr_t_times(indptr, indices, data, Q, columns).T  # Q^T A
    Ub, S, _ = np.linalg.svd(B, full_matrices=False)
    return (Q @ Ub[:, :dim]) * np.sqrt(S[:dim])


def similarity_graph(sentences: Iterable[Sequence[str]], max_words: int = 10_000, top_k: int = 50,
                     threshold: float = 0.6, dim: int = 100, window: int = 5, min_count: int = 5,
                     seed: int = 0, keep: Callable[[str], bool] = is_content_word) -> WordGraph:
    """Directed graph: each word -> its ``top_k`` nearest words with cosine >= ``threshold``.

    Word vectors are the truncated SVD of the PPMI matrix of the ``max_words``
    most frequent words against all words, with context-distribution
    smoothing (module docstring); the link weight is the cosine. The reference
    recipe is 10,000 words, top 50, cosine >= 0.6 (the defaults).

    Parameters
    ----------
    sentences : iterable of list of str
        Tokenized sentences.
    max_words : int, default 10_000
        The words that get a vector (the most frequent content words).
    top_k : int, default 50
        Links per word, at most.
    threshold : float, default 0.6
        The least cosine of a link.
    dim : int, default 100
        Dimensions of the vectors.
    window, min_count, keep :
        As in :func:`cooccurrence_graph`.
    seed : int, default 0
        Seed of the randomised SVD: the same seed gives the same graph.

    Returns
    -------
    WordGraph
        Directed.

    Raises
    ------
    InputError
        ``window < 2``, ``min_count < 1``, ``top_k < 1``, or a sentence given
        as a string.

    Examples
    --------
    >>> from pathlib import Path
    >>> from zhtext.graphs import tokenize
    >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:1000]
    >>> sentences = list(tokenize(lines))          # the novel's first 1,000 lines, segmented
    >>> from zhtext import similarity_graph
    >>> graph = similarity_graph(sentences, max_words=1000, dim=50)
    >>> graph.num_nodes, len(graph.weight), graph.directed
    (1000, 614, True)
    >>> G = graph.to_networkx()
    >>> [(word, round(data["weight"], 2)) for word, data in G["王夫人"].items()]   # its nearest words
    [('贾母', 0.6), ('薛姨妈', 0.66)]
    """
    _check(window, min_count, top_k)
    words, counts, vectors = word_vectors(sentences, dim, window, min_count, max_words, seed=seed, keep=keep)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    src, dst, cos = _nearest(unit, min(top_k, max(len(words) - 1, 0)), threshold)
    encoded = _Encoded(np.zeros(0, np.int64), words, counts)
    return _graph(encoded, len(words), src, dst, cos, directed=True)


def _nearest(unit: np.ndarray, k: int, threshold: float, block: int = 1024):
    """For each row, the ``k`` other rows of largest cosine that reach ``threshold``."""
    src, dst, cos = [], [], []
    if k < 1:
        return (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
    for start in range(0, unit.shape[0], block):
        sims = unit[start:start + block] @ unit.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(sims, top, axis=1)
        good = values >= threshold
        src.append(np.repeat(rows + start, k)[good.ravel()])
        dst.append(top[good])
        cos.append(values[good])
    return np.concatenate(src), np.concatenate(dst), np.concatenate(cos)
