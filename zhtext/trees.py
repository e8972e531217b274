"""Trees from an impact matrix: dependency (Eisner, Chu-Liu/Edmonds) and constituency.

Conventions. A sentence has ``n`` tokens numbered 1..n; node 0 is the root.
An arc-score matrix ``S`` has shape ``(n+1, n+1)`` and ``S[h, d]`` scores the
arc from head ``h`` to dependent ``d`` (row 0: the root's arcs; column 0 is
ignored). A dependency tree is the list ``heads`` of length ``n`` where
``heads[d-1]`` is the head of token ``d`` (0 for the root's single child),
exactly the HEAD column of CoNLL-U. Both decoders return the tree of maximum
total score ``Σ_d S[heads(d), d]`` with **exactly one** child of the root:

* :func:`eisner`: among projective trees (no crossing arcs), O(n³) dynamic
  programme (Eisner 1996), compiled with numba;
* :func:`chu_liu_edmonds`: among all trees (maximum spanning arborescence,
  Chu and Liu 1965, Edmonds 1967).

From an impact matrix ``F`` (``F[i, j]``: how much masking token j changes the
representation of masked token i, Wu et al. 2020) the arc scores are
(:func:`arc_scores`)::

    G[d, h]  = F[d, h] − 1/(n-1) Σ_{i ≠ h} F[i, h]         (each column centred)
    P[d, h]  = exp G[d, h] / Σ_{h' ≠ d} exp G[d, h']     (row softmax, diagonal left out)
    S[h, d]  = P[d, h]                                     (d depends on the token that moves it most)
    S[0, d]  = 1/(n-1) Σ_{i ≠ d} P[i, d]                   (root: the token the others depend on most)

Centring the columns removes what masking ``h`` does to *every* token (a comma
or 的 perturbs the whole sentence) and keeps what it does to ``d`` in
particular; without it every token picks the same few salient heads. The root
score uses no gold information: it is the average share of the other tokens'
sensitivity that token ``d`` receives, on the same scale as the arcs.

Constituency (:func:`top_down`): split the span recursively where the impact
across the two halves is low and within them high (Wu et al.'s top-down rule on
the softmax-normalised matrix, :func:`split_cost`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np
from numba import njit

from .errors import InputError

Tree = Union[int, tuple]
"""A binary constituency tree over token indices: a leaf ``i`` or a pair ``(left, right)``."""


# -- arc scores from impacts ------------------------------------------------
def normalised(impact: np.ndarray) -> np.ndarray:
    """Row softmax of ``impact`` with the diagonal left out (it is 0 on the diagonal)."""
    matrix = np.asarray(impact, dtype=np.float64)
    n = matrix.shape[0]
    if n == 1:
        return np.zeros((1, 1))
    logits = np.where(np.eye(n, dtype=bool), -np.inf, matrix)
    logits = logits - logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def centred(impact: np.ndarray) -> np.ndarray:
    """``F`` minus the mean of each column over its off-diagonal entries (diagonal kept at 0)."""
    matrix = np.asarray(impact, dtype=np.float64)
    n = matrix.shape[0]
    off = ~np.eye(n, dtype=bool)
    means = np.where(off, matrix, 0.0).sum(axis=0) / max(n - 1, 1)
    return np.where(off, matrix - means, 0.0)


def arc_scores(impact: np.ndarray) -> np.ndarray:
    """The ``(n+1, n+1)`` arc-score matrix ``S`` of an ``n×n`` impact matrix (module docstring)."""
    p = normalised(centred(impact))
    n = p.shape[0]
    scores = np.zeros((n + 1, n + 1))
    scores[1:, 1:] = p.T
    scores[0, 1:] = p.sum(axis=0) / max(n - 1, 1)
    return scores


# -- Eisner -------------------------------------------------------------------
@njit(cache=True)
def _eisner_tables(scores):
    """Fill Eisner's tables over tokens 1..n; index [i, j, 0] has its head at j, [i, j, 1] at i."""
    n1 = scores.shape[0]
    complete = np.zeros((n1, n1, 2))
    incomplete = np.zeros((n1, n1, 2))
    complete_at = np.zeros((n1, n1, 2), dtype=np.int64)
    incomplete_at = np.zeros((n1, n1, 2), dtype=np.int64)
    for width in range(1, n1 - 1):
        for i in range(1, n1 - width):
            j = i + width
            best, at = -np.inf, i
            for q in range(i, j):
                value = complete[i, q, 1] + complete[q + 1, j, 0]
                if value > best:
                    best, at = value, q
            incomplete[i, j, 0] = best + scores[j, i]
            incomplete[i, j, 1] = best + scores[i, j]
            incomplete_at[i, j, 0] = at
            incomplete_at[i, j, 1] = at
            best, at = -np.inf, i
            for q in range(i, j):
                value = complete[i, q, 0] + incomplete[q, j, 0]
                if value > best:
                    best, at = value, q
            complete[i, j, 0] = best
            complete_at[i, j, 0] = at
            best, at = -np.inf, j
            for q in range(i + 1, j + 1):
                value = incomplete[i, q, 1] + complete[q, j, 1]
                if value > best:
                    best, at = value, q
            complete[i, j, 1] = best
            complete_at[i, j, 1] = at
    return complete, incomplete_at, complete_at


@njit(cache=True)
def _eisner(scores):
    """Heads (length n, 0 = root) of the best projective tree with one root child."""
    n = scores.shape[0] - 1
    complete, incomplete_at, complete_at = _eisner_tables(scores)
    best, root = -np.inf, 1
    for r in range(1, n + 1):
        value = complete[1, r, 0] + complete[r, n, 1] + scores[0, r]
        if value > best:
            best, root = value, r
    heads = np.zeros(n + 1, dtype=np.int64)
    # stack of spans to expand: (i, j, direction, complete?)
    stack = [(1, root, 0, 1), (root, n, 1, 1)]
    while stack:
        i, j, direction, is_complete = stack.pop()
        if i == j:
            continue
        if is_complete:
            q = complete_at[i, j, direction]
            if direction == 0:
                stack.append((i, q, 0, 1))
                stack.append((q, j, 0, 0))
            else:
                stack.append((i, q, 1, 0))
                stack.append((q, j, 1, 1))
        else:
            q = incomplete_at[i, j, direction]
            if direction == 0:
                heads[i] = j
            else:
                heads[j] = i
            stack.append((i, q, 1, 1))
            stack.append((q + 1, j, 0, 1))
    return heads[1:]


def eisner(scores: np.ndarray) -> list[int]:
    """Best projective dependency tree of an ``(n+1, n+1)`` arc-score matrix (one root child)."""
    scores = np.ascontiguousarray(scores, dtype=np.float64)
    return _eisner(scores).tolist()


# -- Chu-Liu/Edmonds ----------------------------------------------------------
def chu_liu_edmonds(scores: np.ndarray) -> list[int]:
    """Best dependency tree (any shape) of an ``(n+1, n+1)`` arc-score matrix, one root child.

    The single root child is enforced exactly by lowering every root arc by
    ``M = 1 + n·(max − min)``: two root arcs cost more than any difference in
    the other arcs can repay, and every tree has at least one.
    """
    scores = np.array(scores, dtype=np.float64)
    n = scores.shape[0] - 1
    spread = scores[:, 1:].max() - scores[:, 1:].min()
    scores[0] -= 1.0 + n * spread
    return _mst(scores)[1:].tolist()


def _mst(scores: np.ndarray) -> np.ndarray:
    """Maximum spanning arborescence rooted at 0; ``heads[0] = -1``. Recursive contraction."""
    n1 = scores.shape[0]
    s = scores.copy()
    np.fill_diagonal(s, -np.inf)
    s[:, 0] = -np.inf
    heads = s.argmax(axis=0)
    heads[0] = -1
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    in_cycle = np.zeros(n1, dtype=bool)
    in_cycle[cycle] = True
    outside = np.flatnonzero(~in_cycle)          # node 0 is always outside
    m = len(outside)                              # the contracted cycle becomes node m
    cycle_nodes = np.array(cycle)
    # arcs into the cycle: entering v replaces v's cycle arc
    enter = s[np.ix_(outside, cycle_nodes)] - s[heads[cycle_nodes], cycle_nodes]
    leave = s[np.ix_(cycle_nodes, outside)]
    small = np.full((m + 1, m + 1), -np.inf)
    small[:m, :m] = s[np.ix_(outside, outside)]
    small[:m, m] = enter.max(axis=1)
    small[m, :m] = leave.max(axis=0)
    small_heads = _mst(small)
    result = heads.copy()
    for k, node in enumerate(outside[1:], 1):
        h = small_heads[k]
        result[node] = outside[h] if h < m else cycle_nodes[leave[:, k].argmax()]
    entry_from = outside[small_heads[m]]
    entered = cycle_nodes[enter[small_heads[m]].argmax()]
    result[entered] = entry_from
    result[0] = -1
    return result


def _find_cycle(heads: np.ndarray) -> list[int] | None:
    """The nodes of one cycle of a head array (root 0 excluded), or None."""
    n1 = len(heads)
    state = np.zeros(n1, dtype=np.int8)   # 0 unseen, 1 on current path, 2 done
    state[0] = 2
    for start in range(1, n1):
        path, node = [], start
        while state[node] == 0:
            state[node] = 1
            path.append(node)
            node = heads[node]
        if state[node] == 1:
            return path[path.index(node):]
        state[path] = 2
    return None


DECODERS = {"eisner": eisner, "cle": chu_liu_edmonds}
"""Dependency decoders by name: projective (Eisner) or any tree (Chu-Liu/Edmonds)."""


def dependency_tree(impact: np.ndarray, decoder: str = "eisner") -> list[int]:
    """CoNLL-U heads of the best tree over the arc scores of an impact matrix (:func:`arc_scores`).

    Each column of ``F`` is centred (what masking ``h`` does to every token
    says nothing about whose head it is), each row normalised by a softmax,
    and the tree of maximum total arc score with exactly one child of the
    root is decoded. No gold information is used, the root included.

    Parameters
    ----------
    impact : numpy.ndarray
        ``(n, n)``, ``F[i, j]``: how much masking token ``j`` moves token ``i``
        (:meth:`zhtext.probe.Probe.matrices`).
    decoder : {"eisner", "cle"}, default "eisner"
        ``eisner``: the best projective tree (no crossing arcs), O(n³);
        ``cle``: the best tree of any shape (Chu-Liu/Edmonds).

    Returns
    -------
    list of int
        ``heads[d - 1]`` is the head of token ``d`` (1-based), 0 for the
        root's child: the HEAD column of CoNLL-U.

    Raises
    ------
    InputError
        An unknown decoder.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[0.0, 9.9, 4.3, 2.4],      # Probe.matrices of 我 爱 北京 。
    ...               [8.2, 0.0, 9.2, 2.5],
    ...               [2.3, 6.5, 0.0, 2.6],
    ...               [2.6, 2.5, 5.6, 0.0]])
    >>> from zhtext import dependency_tree
    >>> dependency_tree(F)                 # 爱 is the root; 我 and 北京 depend on it, 。 on 北京
    [2, 0, 2, 3]
    >>> dependency_tree(F, decoder="cle")
    [2, 0, 2, 3]
    """
    if decoder not in DECODERS:
        raise InputError(f"decoder must be one of {', '.join(DECODERS)}, not {decoder!r}")
    return DECODERS[decoder](arc_scores(impact))


# -- constituency ---------------------------------------------------------------
def split_cost(p: np.ndarray, k: int) -> float:
    """Cost of splitting a span (its normalised impacts ``p``) before token ``k``.

    With L = tokens [0, k) and R = [k, m)::

        cost(k) = mean(p[L, R] ∪ p[R, L]) − mean over the off-diagonal of p[L, L] ∪ p[R, R]

    (the within-mean is 0 when both halves are single tokens). The best split
    has low impact across the halves and high impact within them.
    """
    m = p.shape[0]
    left, right = k, m - k
    across = (p[:k, k:].sum() + p[k:, :k].sum()) / (2 * left * right)
    pairs = left * (left - 1) + right * (right - 1)
    within = (p[:k, :k].sum() + p[k:, k:].sum()) / pairs if pairs else 0.0
    return across - within


def top_down(impact: np.ndarray) -> Tree:
    """Binary constituency tree over token indices 0..n-1 by recursive lowest-cost splits.

    Each span is split at ``argmin_k split_cost`` of its own sub-matrix of the
    softmax-normalised impacts (:func:`normalised`, recomputed per span so the
    rows of a span sum to one), ties going to the leftmost split.

    A good split has low impact across the two halves and high impact within
    them (Wu et al.'s top-down rule).

    Parameters
    ----------
    impact : numpy.ndarray
        ``(n, n)``, as for :func:`dependency_tree`.

    Returns
    -------
    Tree
        A leaf ``i`` (a token index) or a pair ``(left, right)`` of subtrees.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[0.0, 9.9, 4.3, 2.4],      # Probe.matrices of 我 爱 北京 。
    ...               [8.2, 0.0, 9.2, 2.5],
    ...               [2.3, 6.5, 0.0, 2.6],
    ...               [2.6, 2.5, 5.6, 0.0]])
    >>> from zhtext import ConstituencyTree, top_down
    >>> top_down(F)
    ((0, (1, 2)), 3)
    >>> print(ConstituencyTree(top_down(F), ["我", "爱", "北京", "。"]))
    ((我 (爱 北京)) 。)
    """
    matrix = np.asarray(impact, dtype=np.float64)

    def build(start: int, stop: int) -> Tree:
        if stop - start == 1:
            return start
        p = normalised(matrix[start:stop, start:stop])
        k = min(range(1, stop - start), key=lambda k: split_cost(p, k))
        return (build(start, start + k), build(start + k, stop))

    return build(0, matrix.shape[0])


# -- output ---------------------------------------------------------------------
_ESCAPES = {"(": "-LRB-", ")": "-RRB-"}


def brackets(tree: Tree, tokens: Sequence[str]) -> str:
    """The tree as one bracketed line, e.g. ``((我 爱) 北京)``; a lone token is ``(我)``.

    ASCII parentheses inside tokens are written -LRB- and -RRB- (Penn Treebank).
    """
    def show(node: Tree) -> str:
        if isinstance(node, tuple):
            return f"({show(node[0])} {show(node[1])})"
        token = tokens[node]
        for char, escape in _ESCAPES.items():
            token = token.replace(char, escape)
        return token

    text = show(tree)
    return text if isinstance(tree, tuple) else f"({text})"


# -- display ----------------------------------------------------------------------
@dataclass(frozen=True)
class DependencyTree:
    """A sentence's words with their CoNLL-U heads (and relations), shown in Jupyter as arcs.

    ``DependencyTree(forms, dependency_tree(F))`` displays itself through
    :func:`zhtext.svg.dependency_svg`; :meth:`draw` writes it to a file.

    Attributes
    ----------
    forms : sequence of str
        The words, in order.
    heads : sequence of int
        CoNLL-U heads, one per word: 1-based, 0 for the root.
    deprels : sequence of str, optional
        Relation labels, written on the arcs.

    Examples
    --------
    >>> from zhtext import DependencyTree
    >>> tree = DependencyTree(["我", "爱", "北京", "。"], [2, 0, 2, 3])
    >>> tree._repr_svg_().startswith("<svg")        # what Jupyter shows
    True
    """

    forms: Sequence[str]
    heads: Sequence[int]
    deprels: Sequence[str] | None = None

    def _repr_svg_(self) -> str:
        from .svg import dependency_svg
        return dependency_svg(self.forms, self.heads, self.deprels)

    def draw(self, path, font=None) -> None:
        """Write the picture to ``path`` (``.svg`` or ``.png``; see :mod:`zhtext.plots`).

        Parameters
        ----------
        path : str or path-like
            Ends in ``.svg`` (no extra package) or ``.png`` (matplotlib, and a
            font with Chinese glyphs).
        font : str or path-like, optional
            For PNG: a font file to use instead of the one found.

        Raises
        ------
        InputError
            Another file ending, or (PNG) no installed font covers the words.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from zhtext import DependencyTree
        >>> tree = DependencyTree(["我", "爱", "北京", "。"], [2, 0, 2, 3])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     tree.draw(Path(folder) / "tree.svg")
        ...     print((Path(folder) / "tree.svg").read_text(encoding="utf-8").splitlines()[0])
        <?xml version="1.0" encoding="UTF-8"?>
        """
        from .plots import draw_dependency
        draw_dependency(self.forms, self.heads, path, deprels=self.deprels, font=font)


@dataclass(frozen=True)
class ConstituencyTree:
    """A :data:`Tree` over a sentence's words, shown in Jupyter as a tree; ``str`` gives brackets.

    ``ConstituencyTree(top_down(F), forms)`` displays itself through
    :func:`zhtext.svg.constituency_svg`; :meth:`draw` writes it to a file.

    Attributes
    ----------
    tree : Tree
        Nested pairs of token indices (:func:`top_down`).
    forms : sequence of str
        The words the indices refer to.

    Examples
    --------
    >>> from zhtext import ConstituencyTree
    >>> tree = ConstituencyTree(((0, (1, 2)), 3), ["我", "爱", "北京", "。"])
    >>> str(tree)
    '((我 (爱 北京)) 。)'
    >>> str(ConstituencyTree((0, 1), ["(", ")"]))    # Penn Treebank escapes
    '(-LRB- -RRB-)'
    """

    tree: Tree
    forms: Sequence[str]

    def __str__(self) -> str:
        return brackets(self.tree, self.forms)

    def _repr_svg_(self) -> str:
        from .svg import constituency_svg
        return constituency_svg(self.tree, self.forms)

    def draw(self, path, font=None) -> None:
        """Write the picture to ``path`` (``.svg`` or ``.png``; see :mod:`zhtext.plots`).

        Parameters
        ----------
        path : str or path-like
            Ends in ``.svg`` (no extra package) or ``.png`` (matplotlib, and a
            font with Chinese glyphs).
        font : str or path-like, optional
            For PNG: a font file to use instead of the one found.

        Raises
        ------
        InputError
            Another file ending, or (PNG) no installed font covers the words.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from zhtext import ConstituencyTree
        >>> tree = ConstituencyTree(((0, (1, 2)), 3), ["我", "爱", "北京", "。"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     tree.draw(Path(folder) / "tree.svg")
        ...     tree.draw(Path(folder) / "tree.pdf")
        Traceback (most recent call last):
        ...
        zhtext.errors.InputError: ...tree.pdf: a picture must end in .svg or .png
        """
        from .plots import draw_constituency
        draw_constituency(self.tree, self.forms, path, font=font)
