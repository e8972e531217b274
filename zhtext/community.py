"""InfoMap community detection: the two-level map equation and its greedy search.

A random walker on a graph moves along links in proportion to their weight.
InfoMap (Rosvall & Bergstrom, PNAS 2008) looks for the partition ``M`` of the
nodes into modules that gives the shortest description of that walk: a module
codebook per module plus an index codebook naming the module the walker enters.
The two-level map equation is, with ``p_a`` the flow through node ``a``,
``q_i↶`` the flow entering module ``i``, ``q_i↷`` the flow leaving it and
``p_i = sum_{a in i} p_a`` its flow (``plogp(x) = x log2 x``)::

    L(M) = plogp(sum_i q_i↶) - sum_i plogp(q_i↶)       index codebook
         - sum_i plogp(q_i↷) + sum_i plogp(q_i↷ + p_i)   module codebooks
         - sum_a plogp(p_a)

With all nodes in one module ``L`` is the entropy of the node flows, the
*one-level codelength*; a good partition saves bits against it.

Flow is computed as the reference software (``infomap`` 2.x) computes it, so
codelengths agree with it to about 1e-12:

* undirected: a link ``{u, v}`` of weight ``w`` carries ``w / S`` each way and a
  node's flow is its strength over ``S``, where ``S = sum 2w`` over links plus
  ``sum w`` over self-links (a self-link counts once);
* directed: PageRank with teleportation probability 0.15, teleporting to nodes
  in proportion to their out-weight (``teleport_to="links"``, the reference's
  default) or uniformly (``"nodes"``); teleportation is *unrecorded*: after the
  power iteration a last step along the links alone gives the link flows
  ``p_u w_uv / w_u`` and the node flows (their in-flow), renormalised to 1.

Self-links add to a node's flow but never to exit flow. A node without links
has no flow and stays a module of its own.

The search (:func:`infomap`) runs ``trials`` independent trials and keeps the
shortest code. One trial: (1) the *core loop* visits nodes in random order and
moves each to the neighbouring module (or an empty one) that lowers ``L`` most,
an O(degree) update from the module enter/exit/flow terms, until a sweep gains
less than 1e-10 bits; (2) modules become super-nodes and the core loop runs on
them, repeated while modules merge; (3) *fine-tuning* (single nodes move again
from the current partition) and *coarse-tuning* (each module is split into
sub-modules by the same search, sub-modules move as units) alternate while one
round improves ``L`` by more than ``tune_threshold`` relative.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Hashable, Iterable, Mapping

import numpy as np
from numba import njit

from .errors import InputError
from .hashing import next_random

TELEPORTATION = 0.15
_MIN_FLOW_ITERATIONS, _MAX_FLOW_ITERATIONS, _FLOW_TOLERANCE = 50, 200, 1e-15
_CORE_LOOP_LIMIT = 10
_CORE_LOOP_THRESHOLD = 1e-10  # bits a core-loop sweep must gain to go on
_MIN_MOVE_GAIN = 1e-14        # bits a single move must gain


# ----------------------------------------------------------------------------
# Input: networkx graphs, scipy sparse matrices, edge arrays -> integer links
# ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Links:
    """A graph as integer links: node ``i`` is ``nodes[i]``.

    Links are merged (duplicates summed; for undirected graphs ``(u, v)`` and
    ``(v, u)`` are one link stored with ``src <= dst``), sorted by
    ``(src, dst)``, with positive finite weights.
    """

    nodes: tuple
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    directed: bool

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    def to_networkx(self):
        """A networkx ``Graph`` or ``DiGraph`` with every node and a ``weight`` per edge."""
        import networkx as nx

        G = nx.DiGraph() if self.directed else nx.Graph()
        G.add_nodes_from(self.nodes)
        nodes = self.nodes
        G.add_weighted_edges_from((nodes[u], nodes[v], w) for u, v, w in
                                  zip(self.src.tolist(), self.dst.tolist(), self.weight.tolist()))
        return G


def read_edges(lines: Iterable[str], delimiter: str | None = None, directed: bool = False) -> Links:
    """Links from text lines ``u v [weight]`` (the format of ``zhtext communities``).

    Fields are split on runs of whitespace, or on ``delimiter`` exactly (so
    node names may hold spaces). A line with one field declares a node without
    links; blank lines and lines starting with ``#`` are skipped. Node names
    are strings, numbered in order of first appearance.
    """
    index: dict[str, int] = {}
    src, dst, w = [], [], []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(delimiter) if delimiter else line.split()
        if delimiter is None or delimiter.isspace():
            fields = [f for f in fields if f]
        if not 1 <= len(fields) <= 3:
            raise InputError(f"line {number}: expected 'u v [weight]', found {len(fields)} fields")
        ids = [index.setdefault(name, len(index)) for name in fields[:2]]
        if len(fields) == 1:
            continue
        try:
            w.append(float(fields[2]) if len(fields) == 3 else 1.0)
        except ValueError:
            raise InputError(f"line {number}: weight {fields[2]!r} is not a number") from None
        src.append(ids[0])
        dst.append(ids[1])
    weights = _weights(w)
    return _merged(tuple(index), np.array(src, np.int64), np.array(dst, np.int64), weights, directed)


def as_links(G: Any, weight: str | None = "weight", directed: bool | None = None) -> Links:
    """Read a networkx graph, a scipy sparse matrix or edge arrays as :class:`Links`.

    * networkx graph (multigraphs too): nodes in ``G`` order, isolated ones
      kept; weights from the ``weight`` attribute (missing: 1; ``weight=None``:
      all 1); ``directed=None`` follows ``G.is_directed()``.
    * scipy sparse square matrix ``A``: nodes ``0..n-1``, ``A[u, v]`` the weight
      of ``u -> v``; ``directed=None`` means directed unless ``A`` is
      symmetric. Undirected, the upper triangle of ``(A + A.T) / 2`` is used.
    * edge arrays: a tuple ``(src, dst)`` or ``(src, dst, weight)`` of
      equal-length integer arrays, or an ``(m, 2)`` / ``(m, 3)`` array of rows;
      nodes ``0..max id``; undirected unless ``directed=True``.

    * :class:`Links` (from :func:`read_edges` or a word graph): used as is.

    Negative, NaN or infinite weights raise :class:`InputError`; zero-weight
    links are dropped.
    """
    if isinstance(G, Links):
        if directed is not None and bool(directed) != G.directed:
            return _merged(G.nodes, G.src, G.dst, G.weight, bool(directed)) if not directed else \
                _merged(G.nodes, np.r_[G.src, G.dst], np.r_[G.dst, G.src], np.r_[G.weight, G.weight], True)
        return G
    if hasattr(G, "is_directed") and hasattr(G, "nodes"):
        return _from_networkx(G, weight, directed)
    if hasattr(G, "tocoo") and hasattr(G, "shape"):
        return _from_sparse(G, directed)
    return _from_arrays(G, directed)


def _from_networkx(G, weight: str | None, directed: bool | None) -> Links:
    nodes = tuple(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(G.edges(data=weight, default=1.0)) if weight else [(u, v, 1.0) for u, v in G.edges()]
    src = np.fromiter((index[u] for u, _, _ in edges), np.int64, len(edges))
    dst = np.fromiter((index[v] for _, v, _ in edges), np.int64, len(edges))
    w = _weights([x for _, _, x in edges])
    is_directed = G.is_directed() if directed is None else bool(directed)
    if is_directed and not G.is_directed():  # an undirected edge is a link each way
        src, dst, w = np.concatenate([src, dst]), np.concatenate([dst, src]), np.concatenate([w, w])
    return _merged(nodes, src, dst, w, is_directed)


def _from_sparse(A, directed: bool | None) -> Links:
    if A.shape[0] != A.shape[1]:
        raise InputError(f"an adjacency matrix must be square, not {A.shape[0]} x {A.shape[1]}")
    coo = A.tocoo()
    src, dst = coo.row.astype(np.int64), coo.col.astype(np.int64)
    w = _weights(coo.data)
    if directed is None:
        directed = (abs(A - A.T)).max() > 0 if A.nnz else False
    if not directed:  # upper triangle of (A + A.T) / 2
        w = np.where(src == dst, w, w / 2)
    return _merged(tuple(range(A.shape[0])), src, dst, w, bool(directed))


def _from_arrays(edges, directed: bool | None) -> Links:
    if isinstance(edges, np.ndarray) and edges.ndim == 2 and edges.shape[1] in (2, 3):
        columns = [edges[:, j] for j in range(edges.shape[1])]
    elif isinstance(edges, tuple) and len(edges) in (2, 3):
        columns = [np.asarray(c) for c in edges]
    else:
        raise InputError("pass a networkx graph, a scipy sparse matrix, a tuple (src, dst[, weight]) "
                         "of arrays or an (m, 2|3) array of edges")
    if len({len(c) for c in columns}) != 1:
        raise InputError("edge arrays src, dst and weight must have the same length")
    src, dst = (np.asarray(c) for c in columns[:2])
    for ids in (src, dst):
        if ids.size and (not np.issubdtype(ids.dtype, np.number) or np.any(ids != np.floor(ids)) or ids.min() < 0):
            raise InputError("node ids in edge arrays must be integers >= 0")
    src, dst = src.astype(np.int64), dst.astype(np.int64)
    w = _weights(columns[2]) if len(columns) == 3 else np.ones(src.size)
    n = int(max(src.max(), dst.max())) + 1 if src.size else 0
    return _merged(tuple(range(n)), src, dst, w, bool(directed))


def _weights(values: Iterable) -> np.ndarray:
    """Weights as floats, refusing NaN, infinities and negative values."""
    try:
        w = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InputError("link weights must be numbers") from None
    if not np.all(np.isfinite(w)):
        raise InputError("link weights must be finite numbers (found NaN or infinity)")
    if w.size and w.min() < 0:
        raise InputError(f"negative link weight {w.min():g}: InfoMap needs weights >= 0")
    return w


def _merged(nodes: tuple, src, dst, w, directed: bool) -> Links:
    """Drop zero weights, orient undirected links ``src <= dst``, sum duplicates, sort."""
    keep = w > 0
    src, dst, w = src[keep], dst[keep], w[keep]
    if not directed:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
    n = max(len(nodes), 1)
    key = src * n + dst
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, np.int64)
    w = np.add.reduceat(w, starts) if key.size else w
    key = key[starts]
    return Links(nodes, key // n, key % n, w, directed)


# ----------------------------------------------------------------------------
# Flow
# ----------------------------------------------------------------------------

def flow_of(links: Links, teleportation: float = TELEPORTATION,
            teleport_to: str = "links") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node flows and per-direction link flows ``(p, src, dst, f)`` of the walk.

    Undirected links come back once per direction; self-links are kept (they
    matter for the node flow only).
    """
    n, src, dst, w = links.num_nodes, links.src, links.dst, links.weight
    if not src.size:
        return np.zeros(n), src, dst, w
    if not links.directed:
        loop = src == dst
        total = np.sum(np.where(loop, w, 2 * w))
        p = (np.bincount(src, w, n) + np.bincount(dst[~loop], w[~loop], n)) / total
        return (p, np.concatenate([src, dst[~loop]]), np.concatenate([dst, src[~loop]]),
                np.concatenate([w, w[~loop]]) / total)
    if teleport_to not in ("links", "nodes"):
        raise InputError(f"teleport_to must be 'links' or 'nodes', not {teleport_to!r}")
    if not 0 < teleportation < 1:
        raise InputError(f"teleportation must be between 0 and 1, not {teleportation}")
    p, f = _pagerank(n, src, dst, w, teleport_to == "nodes", teleportation)
    return p, src, dst, f


@njit(cache=True)
def _pagerank(n, src, dst, w, to_nodes, alpha):
    """Stationary flow of the teleporting walk, then one step without teleportation.

    ``p' = (alpha + beta * dangling(p)) * t + beta * sum_{u->v} p_u w_uv / w_u``
    with ``beta = 1 - alpha`` and ``t`` the teleportation target distribution,
    iterated at least 50 and at most 200 times until the L1 change is at most
    1e-15. The unrecorded link flow is ``p_u w_uv / w_u / (1 - dangling(p))``.
    """
    out = np.zeros(n)
    degree = np.zeros(n)  # start from the weighted degree
    for k in range(src.size):
        out[src[k]] += w[k]
        degree[src[k]] += w[k]
        if src[k] != dst[k]:
            degree[dst[k]] += w[k]
    p = degree / degree.sum()
    if to_nodes:
        tele = np.full(n, 1.0 / n)
    else:
        tele = out / w.sum()
    step = w / out[src]
    beta = 1.0 - alpha
    tmp = np.empty(n)
    dangling = 0.0
    for iteration in range(_MAX_FLOW_ITERATIONS):
        dangling = 0.0
        for i in range(n):
            if out[i] == 0.0:
                dangling += p[i]
        tmp[:] = (alpha + beta * dangling) * tele
        for k in range(src.size):
            tmp[dst[k]] += beta * step[k] * p[src[k]]
        total, change = 0.0, 0.0
        for i in range(n):
            total += tmp[i]
            change += abs(tmp[i] - p[i])
        p[:] = tmp
        if abs(total - 1.0) > 1e-10:
            p /= total
        if iteration + 1 >= _MIN_FLOW_ITERATIONS and change <= _FLOW_TOLERANCE:
            break
    flow = step * tmp[src] / (1.0 - dangling)
    node_flow = np.zeros(n)
    for k in range(src.size):
        node_flow[dst[k]] += flow[k]
    return node_flow, flow


def _pair_network(n: int, src, dst, f) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR of neighbour pairs: for node ``a`` and neighbour ``b``, the flow ``a -> b``
    (``fout``) and ``b -> a`` (``fin``); self-links dropped, both directions merged."""
    keep = src != dst
    a = np.concatenate([src[keep], dst[keep]])
    b = np.concatenate([dst[keep], src[keep]])
    fout = np.concatenate([f[keep], np.zeros(keep.sum())])
    fin = np.concatenate([np.zeros(keep.sum()), f[keep]])
    key = a * max(n, 1) + b
    order = np.argsort(key, kind="stable")
    key, fout, fin = key[order], fout[order], fin[order]
    if key.size:
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        fout, fin, key = np.add.reduceat(fout, starts), np.add.reduceat(fin, starts), key[starts]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(key // max(n, 1), minlength=n), out=indptr[1:])
    return indptr, key % max(n, 1), fout, fin


# ----------------------------------------------------------------------------
# The map equation on a network of neighbour pairs (Numba)
# ----------------------------------------------------------------------------

@njit(cache=True)
def _plogp(x):
    return x * np.log2(x) if x > 0.0 else 0.0


@njit(cache=True)
def _module_terms(enter, exit_, flow):
    """A module's share of L, less the index term ``plogp(sum enter)``."""
    return -_plogp(enter) - _plogp(exit_) + _plogp(exit_ + flow)


@njit(cache=True)
def _module_stats(indptr, nbr, fout, fin, flow, module, size):
    """Per module: flow ``p_i``, exit ``q_i↷``, enter ``q_i↶`` and member count."""
    mflow, mexit, menter = np.zeros(size), np.zeros(size), np.zeros(size)
    msize = np.zeros(size, np.int64)
    for a in range(flow.size):
        m = module[a]
        mflow[m] += flow[a]
        msize[m] += 1
        for k in range(indptr[a], indptr[a + 1]):
            if module[nbr[k]] != m:
                mexit[m] += fout[k]
                menter[m] += fin[k]
    return mflow, mexit, menter, msize


@njit(cache=True)
def _partition_terms(indptr, nbr, fout, fin, flow, module):
    """``L(M) + sum_a plogp(p_a)``: the codelength less its constant node term."""
    size = module.max() + 1 if module.size else 0
    mflow, mexit, menter, _ = _module_stats(indptr, nbr, fout, fin, flow, module, size)
    total = _plogp(menter.sum())
    for m in range(size):
        total += _module_terms(menter[m], mexit[m], mflow[m])
    return total


# ----------------------------------------------------------------------------
# The search (Numba)
# ----------------------------------------------------------------------------

@njit(cache=True)
def _shuffle(order, state):
    """Fisher-Yates shuffle in place."""
    for i in range(order.size - 1, 0, -1):
        j = np.int64(next_random(state) % np.uint64(i + 1))
        order[i], order[j] = order[j], order[i]


@njit(cache=True)
def _move_nodes(indptr, nbr, fout, fin, flow, module, state):
    """The core loop: greedy moves of single nodes in random order; returns the move count.

    For node ``a`` with out-flow ``o_a``, in-flow ``i_a`` and flows ``o_a(m)``,
    ``i_a(m)`` to and from the other members of module ``m``, leaving ``m``
    gives ``q↷ -= o_a - o_a(m) - i_a(m)`` and ``q↶ -= i_a - i_a(m) - o_a(m)``,
    joining does the opposite; ``delta L`` is then the change of the index
    term and of the two modules' terms, computed in O(degree(a)).
    """
    n = flow.size
    mflow, mexit, menter, msize = _module_stats(indptr, nbr, fout, fin, flow, module, n)
    node_out, node_in = np.zeros(n), np.zeros(n)
    for a in range(n):
        for k in range(indptr[a], indptr[a + 1]):
            node_out[a] += fout[k]
            node_in[a] += fin[k]
    empty = np.empty(n, np.int64)
    n_empty = 0
    for m in range(n - 1, -1, -1):
        if msize[m] == 0:
            empty[n_empty] = m
            n_empty += 1
    out_to, in_from = np.zeros(n), np.zeros(n)
    stamp, mark = 0, np.full(n, -1, np.int64)
    candidates = np.empty(n + 1, np.int64)
    sum_enter = menter.sum()
    order = np.arange(n)
    moves = 0
    for _ in range(_CORE_LOOP_LIMIT):
        _shuffle(order, state)
        moved, gain = 0, 0.0
        for a in order:
            old = module[a]
            stamp += 1
            count = 0
            for k in range(indptr[a], indptr[a + 1]):
                m = module[nbr[k]]
                if mark[m] != stamp:
                    mark[m], out_to[m], in_from[m] = stamp, 0.0, 0.0
                    candidates[count] = m
                    count += 1
                out_to[m] += fout[k]
                in_from[m] += fin[k]
            if mark[old] != stamp:
                mark[old], out_to[old], in_from[old] = stamp, 0.0, 0.0
            if msize[old] > 1 and n_empty > 0:  # a module of its own
                m = empty[n_empty - 1]
                mark[m], out_to[m], in_from[m] = stamp, 0.0, 0.0
                candidates[count] = m
                count += 1
            if msize[old] == 1:
                old_exit = old_enter = old_flow = 0.0
            else:
                old_exit = mexit[old] - node_out[a] + out_to[old] + in_from[old]
                old_enter = menter[old] - node_in[a] + in_from[old] + out_to[old]
                old_flow = mflow[old] - flow[a]
            leave = (_module_terms(old_enter, old_exit, old_flow)
                     - _module_terms(menter[old], mexit[old], mflow[old]))
            enter_rest = sum_enter - menter[old] + old_enter
            best, best_delta = old, -_MIN_MOVE_GAIN
            best_exit = best_enter = 0.0
            for c in range(count):
                m = candidates[c]
                if m == old:
                    continue
                new_exit = mexit[m] + node_out[a] - out_to[m] - in_from[m]
                new_enter = menter[m] + node_in[a] - in_from[m] - out_to[m]
                delta = (_plogp(enter_rest - menter[m] + new_enter) - _plogp(sum_enter) + leave
                         + _module_terms(new_enter, new_exit, mflow[m] + flow[a])
                         - _module_terms(menter[m], mexit[m], mflow[m]))
                if delta < best_delta:
                    best, best_delta, best_exit, best_enter = m, delta, new_exit, new_enter
            if best == old:
                continue
            if msize[best] == 0:
                n_empty -= 1
            sum_enter = enter_rest - menter[best] + best_enter
            mexit[old], menter[old], mflow[old] = old_exit, old_enter, old_flow
            mexit[best], menter[best] = best_exit, best_enter
            mflow[best] += flow[a]
            msize[old] -= 1
            msize[best] += 1
            if msize[old] == 0:
                empty[n_empty] = old
                n_empty += 1
            module[a] = best
            moved += 1
            gain -= best_delta
        moves += moved
        if moved == 0 or gain < _CORE_LOOP_THRESHOLD:
            break
    return moves


@njit(cache=True)
def _aggregate(indptr, nbr, fout, fin, flow, module):
    """Merge each module into a super-node; links inside a module vanish.

    Returns the new network and ``label`` (old module id -> super-node, -1 if
    empty); super-nodes are numbered by first appearance.
    """
    n = flow.size
    label = np.full(n, -1, np.int64)
    size = 0
    for a in range(n):
        if label[module[a]] < 0:
            label[module[a]] = size
            size += 1
    start = np.zeros(size + 1, np.int64)
    for a in range(n):
        start[label[module[a]] + 1] += 1
    start = np.cumsum(start)
    members, fill = np.empty(n, np.int64), start[:-1].copy()
    for a in range(n):
        m = label[module[a]]
        members[fill[m]] = a
        fill[m] += 1
    new_indptr = np.zeros(size + 1, np.int64)
    new_nbr = np.empty(nbr.size, np.int64)
    new_out, new_in = np.empty(nbr.size), np.empty(nbr.size)
    new_flow = np.zeros(size)
    slot = np.full(size, -1, np.int64)
    pos = 0
    for m in range(size):
        row = pos
        for i in range(start[m], start[m + 1]):
            a = members[i]
            new_flow[m] += flow[a]
            for k in range(indptr[a], indptr[a + 1]):
                b = label[module[nbr[k]]]
                if b == m:
                    continue
                if slot[b] < row:
                    slot[b] = pos
                    new_nbr[pos], new_out[pos], new_in[pos] = b, 0.0, 0.0
                    pos += 1
                new_out[slot[b]] += fout[k]
                new_in[slot[b]] += fin[k]
        new_indptr[m + 1] = pos
    return new_indptr, new_nbr[:pos], new_out[:pos], new_in[:pos], new_flow, label


@njit(cache=True)
def _find_modules(indptr, nbr, fout, fin, flow, initial, state):
    """Core loop from ``initial``, then repeatedly on the modules as super-nodes
    while they merge. Returns each node's module, numbered ``0..K-1``."""
    module = initial.copy()
    assign = np.arange(flow.size)
    while True:
        _move_nodes(indptr, nbr, fout, fin, flow, module, state)
        n_before = flow.size
        indptr, nbr, fout, fin, flow, label = _aggregate(indptr, nbr, fout, fin, flow, module)
        for a in range(assign.size):
            assign[a] = label[module[assign[a]]]
        if flow.size == n_before or flow.size == 1:
            return assign
        module = np.arange(flow.size)


@njit(cache=True)
def _coarse_tune(indptr, nbr, fout, fin, flow, assign, state):
    """Split every module into sub-modules (the search on its internal links),
    then move sub-modules as units starting from their parent modules."""
    n = flow.size
    size = assign.max() + 1
    start = np.zeros(size + 1, np.int64)
    for a in range(n):
        start[assign[a] + 1] += 1
    start = np.cumsum(start)
    members, fill = np.empty(n, np.int64), start[:-1].copy()
    for a in range(n):
        members[fill[assign[a]]] = a
        fill[assign[a]] += 1
    sub, local = np.empty(n, np.int64), np.empty(n, np.int64)
    next_id = 0
    for m in range(size):
        nodes = members[start[m]:start[m + 1]]
        if nodes.size == 1:
            sub[nodes[0]] = next_id
            next_id += 1
            continue
        for i in range(nodes.size):
            local[nodes[i]] = i
        s_indptr = np.zeros(nodes.size + 1, np.int64)
        count = 0
        for i in range(nodes.size):
            for k in range(indptr[nodes[i]], indptr[nodes[i] + 1]):
                if assign[nbr[k]] == m:
                    count += 1
            s_indptr[i + 1] = count
        s_nbr, s_out, s_in = np.empty(count, np.int64), np.empty(count), np.empty(count)
        pos = 0
        for i in range(nodes.size):
            for k in range(indptr[nodes[i]], indptr[nodes[i] + 1]):
                if assign[nbr[k]] == m:
                    s_nbr[pos], s_out[pos], s_in[pos] = local[nbr[k]], fout[k], fin[k]
                    pos += 1
        inner = _find_modules(s_indptr, s_nbr, s_out, s_in, flow[nodes], np.arange(nodes.size), state)
        for i in range(nodes.size):
            sub[nodes[i]] = next_id + inner[i]
        next_id += inner.max() + 1
    s_indptr, s_nbr, s_out, s_in, s_flow, label = _aggregate(indptr, nbr, fout, fin, flow, sub)
    parent = np.empty(s_flow.size, np.int64)
    for a in range(n):
        parent[label[sub[a]]] = assign[a]
    moved = _find_modules(s_indptr, s_nbr, s_out, s_in, s_flow, parent, state)
    result = np.empty(n, np.int64)
    for a in range(n):
        result[a] = moved[label[sub[a]]]
    return result


@njit(cache=True)
def _trial(indptr, nbr, fout, fin, flow, seed, tune_threshold, node_term):
    """One trial from singletons; returns ``(module of each node, L(M))``."""
    state = np.array([seed], np.uint64)
    assign = _find_modules(indptr, nbr, fout, fin, flow, np.arange(flow.size), state)
    length = _partition_terms(indptr, nbr, fout, fin, flow, assign) + node_term
    fine = True
    while assign.max() > 0:
        before = length
        if fine:
            candidate = _find_modules(indptr, nbr, fout, fin, flow, assign, state)
        else:
            candidate = _coarse_tune(indptr, nbr, fout, fin, flow, assign, state)
        candidate_length = _partition_terms(indptr, nbr, fout, fin, flow, candidate) + node_term
        if candidate_length < length:
            assign, length = candidate, candidate_length
        if length > before - tune_threshold * before:
            break
        fine = not fine
    return assign, length


# ----------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------

@dataclass(frozen=True)
class InfomapResult:
    """What :func:`infomap` found.

    ``communities`` lists the modules as frozensets of nodes, by decreasing
    flow; ``modules`` maps each node to its module's index in that list;
    ``flow`` maps each node to its stationary flow ``p_a``. ``codelength`` is
    ``L(M)`` in bits per step, ``one_level_codelength`` the entropy of the
    node flows (all nodes in one module).
    """

    communities: tuple[frozenset, ...]
    modules: Mapping[Hashable, int]
    flow: Mapping[Hashable, float]
    codelength: float
    one_level_codelength: float
    directed: bool

    @property
    def num_modules(self) -> int:
        return len(self.communities)

    @property
    def relative_savings(self) -> float:
        """``1 - L(M) / L_1``: the fraction of bits the modules save (0 if ``L_1`` is 0)."""
        if self.one_level_codelength <= 0:
            return 0.0
        return 1.0 - self.codelength / self.one_level_codelength

    def ranked_communities(self) -> list[list]:
        """The communities as lists of nodes by decreasing flow, equal flows in the graph's node order.

        A stable order for output and pictures: ``communities`` are sets, whose
        iteration order changes from one process to the next.
        """
        ranked: list[list] = [[] for _ in self.communities]
        for node in sorted(self.flow, key=self.flow.__getitem__, reverse=True):   # sorted() is stable
            ranked[self.modules[node]].append(node)
        return ranked


class _Prepared:
    """A graph ready for the search: node flows and the neighbour-pair network."""

    def __init__(self, links: Links, teleportation: float, teleport_to: str):
        self.links = links
        self.flow, src, dst, f = flow_of(links, teleportation, teleport_to)
        self.net = _pair_network(links.num_nodes, src, dst, f)
        positive = self.flow[self.flow > 0]
        self.node_term = -float(np.sum(positive * np.log2(positive)))

    def codelength(self, assign: np.ndarray) -> float:
        if not assign.size:
            return 0.0
        return float(_partition_terms(*self.net, self.flow, assign)) + self.node_term


def infomap(G: Any, weight: str | None = "weight", directed: bool | None = None, trials: int = 10,
            seed: int = 0, *, teleportation: float = TELEPORTATION, teleport_to: str = "links",
            tune_threshold: float = 1e-5) -> InfomapResult:
    """Two-level InfoMap communities of ``G``: the best of ``trials`` searches.

    ``G`` is a networkx graph, a scipy sparse adjacency matrix or edge arrays
    (see :func:`as_links`). ``directed=None`` takes the direction from the
    input. ``seed`` makes the result deterministic: trial ``t`` draws its
    random node orders from ``(seed, t)``. Directed flow uses PageRank with
    probability ``teleportation`` of teleporting to a node chosen in proportion
    to its out-weight (``teleport_to="links"``) or uniformly (``"nodes"``).
    A partition that saves no bits against one module is replaced by one
    module, as the reference software does.

    Parameters
    ----------
    G : networkx graph, scipy sparse matrix, edge arrays or Links
        The graph (:func:`as_links`); a :class:`zhtext.graphs.WordGraph` too.
    weight : str or None, default "weight"
        The networkx edge attribute holding the weight; ``None``: all 1.
    directed : bool, optional
        Override the direction of the input.
    trials : int, default 10
        Independent searches; the shortest code wins.
    seed : int, default 0
        The same seed gives the same partition.
    teleportation : float, default 0.15
        Directed graphs only: the probability of a teleporting step.
    teleport_to : {"links", "nodes"}, default "links"
        Directed graphs only: teleport in proportion to out-weight, or uniformly.
    tune_threshold : float, default 1e-5
        Fine- and coarse-tuning go on while a round improves ``L`` by more than
        this, relative.

    Returns
    -------
    InfomapResult
        ``communities`` (frozensets by decreasing flow), ``modules`` (node ->
        module index), ``flow``, ``codelength`` and ``one_level_codelength``
        in bits, ``relative_savings``; ``ranked_communities()`` gives lists in
        a stable order.

    Raises
    ------
    InputError
        ``trials < 1``, a negative, NaN or infinite weight, or a bad
        ``teleportation`` / ``teleport_to``.

    Examples
    --------
    Two cliques of four joined by one edge:

    >>> import networkx as nx
    >>> from zhtext import infomap
    >>> result = infomap(nx.barbell_graph(4, 0))
    >>> result.num_modules, result.ranked_communities()
    (2, [[4, 5, 6, 7], [3, 0, 1, 2]])
    >>> round(result.codelength, 4), round(result.one_level_codelength, 4), round(result.relative_savings, 3)
    (2.4645, 2.9878, 0.175)

    Directed links, as edge arrays (``src``, ``dst``): two cycles, one link between them.

    >>> import numpy as np
    >>> result = infomap((np.array([0, 1, 2, 3, 4, 5, 2]), np.array([1, 2, 0, 4, 5, 3, 3])), directed=True)
    >>> result.directed, [sorted(module) for module in result.ranked_communities()]
    (True, [[3, 4, 5], [0, 1, 2]])
    """
    if trials < 1:
        raise InputError(f"trials must be at least 1, not {trials}")
    prepared = _Prepared(as_links(G, weight, directed), teleportation, teleport_to)
    n = prepared.links.num_nodes
    one_level = prepared.node_term
    best, best_length = np.arange(n), prepared.codelength(np.arange(n))
    if prepared.net[1].size:
        for t in range(trials):
            state = np.random.SeedSequence([seed, t]).generate_state(1, np.uint64)[0]
            assign, length = _trial(*prepared.net, prepared.flow, state, tune_threshold,
                                    prepared.node_term)
            if t == 0 or length < best_length:
                best, best_length = assign, length
        if best_length >= one_level:
            best, best_length = np.zeros(n, np.int64), one_level
    return _result(prepared, best, best_length)


def map_equation(G: Any, partition: Mapping[Hashable, Hashable] | Iterable[Iterable[Hashable]],
                 weight: str | None = "weight", directed: bool | None = None, *,
                 teleportation: float = TELEPORTATION, teleport_to: str = "links") -> float:
    """``L(M)`` in bits of a given partition: a node -> module mapping or a list of node sets.

    Every node of ``G`` must be in exactly one module. The flow is that of
    :func:`infomap`, so its ``codelength`` and this agree on its partition;
    comparing partitions by ``L(M)`` says which describes the walk better.

    Parameters
    ----------
    G : networkx graph, scipy sparse matrix, edge arrays or Links
        As in :func:`infomap`.
    partition : mapping or iterable of iterables
        ``{node: module label}``, or the modules as collections of nodes.
    weight, directed, teleportation, teleport_to :
        As in :func:`infomap`.

    Returns
    -------
    float
        The two-level codelength, in bits per step.

    Raises
    ------
    InputError
        A node in no module, or a partition naming more or fewer nodes than
        the graph has.

    Examples
    --------
    >>> import networkx as nx
    >>> from zhtext import infomap, map_equation
    >>> G = nx.barbell_graph(4, 0)
    >>> round(map_equation(G, [range(4), range(4, 8)]), 4), round(map_equation(G, [range(8)]), 4)
    (2.4645, 2.9878)

    Zachary's karate club: the two clubs it split into, against InfoMap's partition.

    >>> K = nx.karate_club_graph()
    >>> round(map_equation(K, {node: K.nodes[node]["club"] for node in K}), 4)
    4.2541
    >>> result = infomap(K)
    >>> result.num_modules, round(map_equation(K, result.modules), 4)
    (3, 4.0874)
    >>> map_equation(G, [range(4)])
    Traceback (most recent call last):
    ...
    zhtext.errors.InputError: node 4 is in no module of the partition
    """
    prepared = _Prepared(as_links(G, weight, directed), teleportation, teleport_to)
    return prepared.codelength(_assignment(prepared.links.nodes, partition))


def _assignment(nodes: tuple, partition) -> np.ndarray:
    """Module index per node from a mapping or a collection of node sets."""
    if not isinstance(partition, Mapping):
        partition = {node: i for i, block in enumerate(partition) for node in block}
    labels: dict = {}
    try:
        assign = np.array([labels.setdefault(partition[node], len(labels)) for node in nodes], np.int64)
    except KeyError as err:
        raise InputError(f"node {err.args[0]!r} is in no module of the partition") from None
    if len(partition) != len(nodes):
        raise InputError(f"the partition names {len(partition)} nodes, the graph has {len(nodes)}")
    return assign


def _result(prepared: _Prepared, assign: np.ndarray, length: float) -> InfomapResult:
    """Number modules by decreasing flow (ties: first node) and wrap them up."""
    nodes, flow = prepared.links.nodes, prepared.flow
    size = int(assign.max()) + 1 if assign.size else 0
    module_flow = np.bincount(assign, flow, size)
    first = np.full(size, len(nodes))
    np.minimum.at(first, assign, np.arange(len(nodes)))
    rank = np.empty(size, np.int64)
    rank[np.lexsort((first, -module_flow))] = np.arange(size)
    index = rank[assign]
    blocks: list[list] = [[] for _ in range(size)]
    for node, m in zip(nodes, index.tolist()):
        blocks[m].append(node)
    return InfomapResult(
        communities=tuple(frozenset(b) for b in blocks),
        modules=MappingProxyType(dict(zip(nodes, index.tolist()))),
        flow=MappingProxyType(dict(zip(nodes, flow.tolist()))),
        codelength=float(length),
        one_level_codelength=prepared.node_term,
        directed=prepared.links.directed,
    )
