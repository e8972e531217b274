"""Perturbed Masking: a masked language model as a parameter-free probe of syntax.

Wu et al. (ACL 2020) measure how much token ``j`` matters to token ``i`` by
masking: with ``H(x)_i`` the hidden state of position ``i`` at a chosen layer,

    F(i, j) = d( H(x∖{x_i})_i , H(x∖{x_i, x_j})_i )

the change in the representation of the masked position ``i`` when ``x_j`` is
masked as well, for a distance ``d`` (Euclidean ``‖a − b‖₂`` or cosine
``1 − a·b / (‖a‖ ‖b‖)``). From ``F`` come word boundaries (adjacent characters
that move each other strongly belong together), constituency trees and
dependency trees (:mod:`zhtext.trees`).

**Units and pieces.** A sentence is a string (its units are its non-whitespace
characters) or a list of words (pre-segmented input). The tokenizer's pieces
are aligned to units through their character offsets: a unit cut into several
pieces is masked as a whole and represented by the mean of its pieces; units
that share a piece (a vocabulary entry covering two characters) form a
*group*, masked together and inseparable. ``F`` is computed between groups and
expanded to units; inside a group it is the sentence's largest impact (the
units are bound as strongly as anything in the sentence), and the group never
holds a word boundary.

**Cost.** Masking ``{x_i, x_j}`` is one input that serves both ``F(i, j)`` and
``F(j, i)``, so a full ``n×n`` matrix needs ``n + n(n−1)/2`` sequences and the
adjacent band needed by segmentation ``n + (n−1) = 2n − 1``. Sequences of many
sentences are sorted by length and packed into batches of at most
``batch_tokens`` tokens (padding counted). A sentence longer than the model's
window is cut into windows overlapping by half; each pair is computed in the
window where it is most central, and a pair that shares no window gets
``F = 0``. :meth:`Probe.matrix_naive` is the literal definition (one sequence per
forward pass, ``n + n(n−1)`` of them), kept as the reference the batched
computation must equal.

torch and transformers are the optional extra ``zhtext[bert]``, imported only
when a model is loaded.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence, Union

import numpy as np

from . import tokens
from .backend import import_torch, load_pretrained, pick_device, resolve_model
from .corpus import ProgressFn   # progress(done, total): here, masked sequences computed
from .errors import InputError, ModelError

Units = Union[str, Sequence[str]]
"""A sentence: a string (units = its non-whitespace characters) or a list of words."""
DISTANCES = ("euclidean", "cosine")
DEFAULT_BATCH_TOKENS = 8192
DEFAULT_WINDOW = 128
_CHUNK_SEQUENCES = 4096


def load_masked_lm(model: str | os.PathLike | None = None, device: str = "auto"):
    """``(tokenizer, encoder, torch_device)`` of a Hugging Face masked LM, ready for inference.

    Any ``AutoModelForMaskedLM`` works (BERT, RoBERTa, ALBERT, ...); only its
    encoder (``base_model``) is run, in half precision on CUDA.
    """
    torch, _ = import_torch()
    name = resolve_model(model)
    tokenizer, lm = load_pretrained(name)
    if not getattr(tokenizer, "is_fast", False) or tokenizer.mask_token_id is None:
        raise ModelError(f"{name}: the probe needs a fast tokenizer with a mask token")
    torch_device = pick_device(torch, device)
    encoder = lm.base_model.to(torch_device).eval()
    if torch_device.type == "cuda":
        encoder = encoder.half()
    return tokenizer, encoder, torch_device


# -- alignment of units to pieces ---------------------------------------------
@dataclass
class Alignment:
    """A sentence's units, its tokenizer pieces and the groups that tie them.

    ``group_of[u]`` is the group of unit ``u``; group ``g`` covers the content
    pieces ``piece_start[g] : piece_stop[g]`` (positions in ``pieces``, which
    excludes the special tokens ``prefix`` and ``suffix``).
    """

    units: list[str]
    pieces: np.ndarray
    prefix: list[int]
    suffix: list[int]
    group_of: np.ndarray
    piece_start: np.ndarray
    piece_stop: np.ndarray

    @property
    def groups(self) -> int:
        return len(self.piece_start)


def sentence_units(sentence: Units) -> tuple[list[str], str, list[tuple[int, int]]]:
    """``(units, text, spans)``: the units, the text given to the tokenizer, each unit's offsets.

    Words are joined without a space, except between two words whose touching
    characters are both ASCII letters or digits (``Windows XP``).
    """
    if isinstance(sentence, str):
        spans = [(m.start(), m.end()) for m in re.finditer(r"\S", sentence)]
        return [sentence[s:e] for s, e in spans], sentence, spans
    units, parts, spans, at = list(sentence), [], [], 0
    for k, word in enumerate(units):
        if not word or any(c.isspace() for c in word):
            raise InputError(f"word {k + 1} of a pre-segmented sentence is empty or holds whitespace")
        if k and units[k - 1][-1].isascii() and units[k - 1][-1].isalnum() \
                and word[0].isascii() and word[0].isalnum():
            parts.append(" ")
            at += 1
        parts.append(word)
        spans.append((at, at + len(word)))
        at += len(word)
    return units, "".join(parts), spans


def align(tokenizer, sentence: Units) -> Alignment:
    """Tokenize a sentence and tie every piece to the units its character offsets overlap."""
    units, text, spans = sentence_units(sentence)
    encoding = tokenizer(text, add_special_tokens=True, return_offsets_mapping=True,
                         verbose=False)
    ids, offsets = encoding["input_ids"], encoding["offset_mapping"]
    special = set(tokenizer.all_special_ids)
    is_special = [i in special and s == e for i, (s, e) in zip(ids, offsets)]
    head = next((k for k, flag in enumerate(is_special) if not flag), len(ids))
    tail = len(ids) - next((k for k, flag in enumerate(reversed(is_special)) if not flag), len(ids))
    tail = max(tail, head)
    content = offsets[head:tail]
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    joined = np.zeros(len(units), dtype=bool)        # joined[u]: unit u+1 is in u's group
    first = np.full(len(units), -1)
    last = np.full(len(units), -1)
    for p, (s, e) in enumerate(content):
        lo, hi = bisect.bisect_right(ends, s), bisect.bisect_left(starts, e) - 1
        if s == e or lo > hi:
            continue
        joined[lo:hi] = True
        first[lo:hi + 1] = np.where(first[lo:hi + 1] < 0, p, first[lo:hi + 1])
        last[lo:hi + 1] = p
    if not len(units):
        return Alignment([], np.zeros(0, dtype=np.int64), [], [], np.zeros(0, dtype=np.int64),
                         np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    has = first >= 0
    if not has.any():
        raise InputError(f"the tokenizer gives no piece for the sentence {text[:30]!r}")
    # a unit the tokenizer dropped joins the unit before it (leading ones: the unit after them)
    leading = int(np.argmax(has))
    joined[:leading] = True
    dropped = np.flatnonzero(~has[leading:]) + leading
    joined[dropped - 1] = True
    group_of = np.concatenate([[0], np.cumsum(~joined[:-1])]).astype(np.int64)
    n_groups = int(group_of[-1]) + 1
    piece_start = np.full(n_groups, np.iinfo(np.int64).max)
    piece_stop = np.zeros(n_groups, dtype=np.int64)
    np.minimum.at(piece_start, group_of[has], first[has])
    np.maximum.at(piece_stop, group_of[has], last[has] + 1)
    return Alignment(units, np.asarray(ids[head:tail], dtype=np.int64), list(ids[:head]),
                     list(ids[tail:]), group_of, piece_start, piece_stop)


def expand(group_matrix: np.ndarray, group_of: np.ndarray) -> np.ndarray:
    """Impacts between groups as impacts between units (module docstring: inside a group, the maximum)."""
    units = group_matrix[..., group_of[:, None], group_of[None, :]]
    same = group_of[:, None] == group_of[None, :]
    if group_matrix.shape[-1] > 1:
        strongest = group_matrix.max(axis=(-2, -1), keepdims=True)
        units = np.where(same, strongest, units)
    else:
        units = np.where(same, 0.0, units)
    n = len(group_of)
    units[..., np.arange(n), np.arange(n)] = 0.0
    return units


# -- windows and jobs -----------------------------------------------------------
def windows(piece_start: np.ndarray, piece_stop: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Group ranges ``[start, stop)`` spanning at most ``limit`` pieces, overlapping by half."""
    n, result, start = len(piece_start), [], 0
    while start < n:
        stop = int(np.searchsorted(piece_stop, piece_start[start] + limit, side="right"))
        if stop <= start:
            raise InputError(f"a token of {int(piece_stop[start] - piece_start[start])} pieces is "
                             f"longer than the model's window of {limit}")
        result.append((start, stop))
        if stop >= n:
            break
        start = max(start + 1, (start + stop) // 2)
    return result


def assign(pairs: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """For each pair ``(i, j)``, i < j, the window holding both with the most context (-1: none)."""
    margins = np.full((len(spans), len(pairs)), -1, dtype=np.int64)
    for w, (start, stop) in enumerate(spans):
        inside = (pairs[:, 0] >= start) & (pairs[:, 1] < stop)
        margins[w] = np.where(inside, np.minimum(pairs[:, 0] - start, stop - 1 - pairs[:, 1]), -1)
    best = margins.argmax(axis=0)
    return np.where(margins[best, np.arange(len(pairs))] >= 0, best, -1)


@dataclass
class _Job:
    """One window of one sentence: its input ids, a mask row per group, the pairs to compute."""

    sentence: int
    ids: np.ndarray           # (T,) with the special tokens
    masks: np.ndarray         # (g, T) bool: the positions of each group of the window
    offset: int               # index of the window's first group in the sentence
    singles: np.ndarray       # local groups whose single-masked state is needed
    pairs: np.ndarray         # (k, 2) local group pairs (i < j)
    impacts: np.ndarray | None = None   # (2, layers, k): F(i, j) and F(j, i), set by Probe._run


def _jobs(k: int, alignment: Alignment, pairs: np.ndarray, limit: int) -> list[_Job]:
    """The windows of sentence ``k`` with the pairs each must compute."""
    spans = windows(alignment.piece_start, alignment.piece_stop, limit)
    where = assign(pairs, spans)
    jobs = []
    for w, (start, stop) in enumerate(spans):
        local = pairs[where == w] - start
        if not len(local):
            continue
        a, b = alignment.piece_start[start], alignment.piece_stop[stop - 1]
        ids = np.concatenate([alignment.prefix, alignment.pieces[a:b], alignment.suffix]).astype(np.int64)
        masks = np.zeros((stop - start, len(ids)), dtype=bool)
        for g in range(start, stop):
            lo = alignment.piece_start[g] - a + len(alignment.prefix)
            masks[g - start, lo: lo + alignment.piece_stop[g] - alignment.piece_start[g]] = True
        jobs.append(_Job(k, ids, masks, start, np.unique(local), local))
    return jobs


# -- the probe ------------------------------------------------------------------
class Probe:
    """A masked language model computing impact matrices ``F`` at one or more layers.

    ``layer`` counts transformer layers from 1 (0 is the embeddings, negative
    values count from the last). ``window`` caps the pieces of a sentence per
    forward pass, special tokens not counted (the model's own limit applies too).

    ``F(i, j)`` is how much masking unit ``j`` as well moves the hidden state
    of the masked unit ``i`` (module docstring). The model is only run, never
    trained: no parameter is fitted to the task.

    Parameters
    ----------
    model : str or path-like, optional
        A local Hugging Face masked-LM folder (any ``AutoModelForMaskedLM``
        with a fast tokenizer). ``None``: ``$ZHTEXT_MODEL``, else the shipped
        ``zhtext-char-bert-small``. A hub name is refused unless
        ``$ZHTEXT_ALLOW_DOWNLOAD=1``.
    device : str, default "auto"
        ``auto`` (CUDA when torch sees one, in half precision, else the CPU in
        float32), ``cpu``, ``cuda`` or ``cuda:N``.
    layer : int, default -1
        The layer whose hidden states are compared (-1: the last).
    distance : {"euclidean", "cosine"}, default "euclidean"
        ``d(a, b) = ‖a − b‖₂``, or ``1 − a·b / (‖a‖ ‖b‖)``.
    batch_tokens : int, default 8192
        Tokens per forward pass, padding counted.
    window : int, default 128
        Pieces per forward pass; a longer sentence is cut into windows
        overlapping by half.

    Attributes
    ----------
    num_layers : int
        Transformer layers of the model.
    layer : int
        The default layer, as an index into the hidden states (0 = embeddings).
    window : int
        The window used (at most the model's own limit).
    sequences : int
        Masked sequences run so far.

    Raises
    ------
    InputError
        An unknown distance or device, a non-positive ``batch_tokens`` or
        ``window``, or a layer the model does not have.
    ModelError
        torch or transformers missing, or no model at ``model``.

    Examples
    --------
    >>> from zhtext import Probe
    >>> probe = Probe("models/zhtext-char-bert-small", device="cpu")
    >>> probe.num_layers, probe.layer, probe.window
    (4, 4, 126)
    >>> F, = probe.matrices(["我爱北京。"])
    >>> F.round(1)                      # F[i, j]: how much masking j moves i
    array([[0. , 9.9, 3.2, 2.3, 2.4],
           [8.2, 0. , 6. , 4.7, 2.5],
           [1.9, 4.8, 0. , 8.3, 3.6],
           [2. , 3.8, 8.4, 0. , 4.3],
           [2.6, 2.5, 5.3, 3.5, 0. ]])
    """

    def __init__(self, model: str | os.PathLike | None = None, device: str = "auto",
                 layer: int = -1, distance: str = "euclidean",
                 batch_tokens: int = DEFAULT_BATCH_TOKENS, window: int = DEFAULT_WINDOW):
        if distance not in DISTANCES:
            raise InputError(f"distance must be one of {', '.join(DISTANCES)}, not {distance!r}")
        if batch_tokens < 1 or window < 1:
            raise InputError("batch_tokens and window must be positive")
        self.torch, _ = import_torch()
        self.tokenizer, self.encoder, self.device = load_masked_lm(model, device)
        self.num_layers = self.encoder.config.num_hidden_layers
        self.layer = self.layer_index(layer)
        self.distance = distance
        self.batch_tokens = batch_tokens
        model_limit = min(getattr(self.encoder.config, "max_position_embeddings", window + 2),
                          getattr(self.tokenizer, "model_max_length", window + 2))
        self.window = min(window, model_limit - self.tokenizer.num_special_tokens_to_add(pair=False))
        self.sequences = 0   # masked sequences run so far (for speed reports)

    def layer_index(self, layer: int) -> int:
        """A layer number as an index into the hidden states (0 = embeddings, 1..L).

        Parameters
        ----------
        layer : int
            1..L counts from the first transformer layer, 0 is the embeddings,
            a negative number counts from the last.

        Returns
        -------
        int

        Raises
        ------
        InputError
            A layer the model does not have.

        Examples
        --------
        >>> from zhtext import Probe
        >>> probe = Probe("models/zhtext-char-bert-small", device="cpu")    # the shipped small model
        >>> probe.layer_index(-1), probe.layer_index(0), probe.layer_index(1)
        (4, 0, 1)
        >>> probe.layer_index(5)
        Traceback (most recent call last):
        ...
        zhtext.errors.InputError: layer 5 does not exist: the model has layers 1..4 (0 is the embeddings, -1 the last)
        """
        index = layer + self.num_layers + 1 if layer < 0 else layer
        if not 0 <= index <= self.num_layers:
            raise InputError(f"layer {layer} does not exist: the model has layers 1..{self.num_layers} "
                             f"(0 is the embeddings, -1 the last)")
        return index

    def _layers(self, layers: int | Sequence[int] | None) -> tuple[list[int], bool]:
        if layers is None:
            return [self.layer], False
        if isinstance(layers, int):
            return [self.layer_index(layers)], False
        return [self.layer_index(layer) for layer in layers], True

    # -- public computations ----------------------------------------------------
    def matrices(self, sentences: Iterable[Units], layers: int | Sequence[int] | None = None,
                 progress: ProgressFn | None = None) -> list[np.ndarray]:
        """Full impact matrices: ``(n, n)`` per sentence, or ``(len(layers), n, n)`` for a list.

        ``n + n(n−1)/2`` masked sequences per sentence of ``n`` units: masking
        ``{x_i, x_j}`` serves both ``F(i, j)`` and ``F(j, i)``. All the
        layers asked for come out of the same forward passes. The result
        equals :meth:`matrix_naive`.

        Parameters
        ----------
        sentences : iterable of str or of list of str
            A string's units are its non-whitespace characters; a list of
            words is a pre-segmented sentence, one unit per word.
        layers : int or sequence of int, optional
            One layer (default: the probe's), or a list for stacked matrices.
        progress : callable, optional
            ``progress(done, total)`` in masked sequences.

        Returns
        -------
        list of numpy.ndarray
            One matrix per sentence, its diagonal 0. Inside a group of units
            that share a tokenizer piece, the sentence's largest impact.

        Raises
        ------
        InputError
            A layer the model does not have, an empty word or a word holding
            whitespace in a pre-segmented sentence.

        Examples
        --------
        >>> from zhtext import Probe
        >>> probe = Probe("models/zhtext-char-bert-small", device="cpu")    # the shipped small model
        >>> F, = probe.matrices([["我", "爱", "北京", "。"]])     # one unit per word
        >>> F.round(1)
        array([[0. , 9.9, 4.3, 2.4],
               [8.2, 0. , 9.2, 2.5],
               [2.3, 6.5, 0. , 2.6],
               [2.6, 2.5, 5.6, 0. ]])
        >>> from zhtext import dependency_tree
        >>> dependency_tree(F)                          # 爱 is the root, 我 and 北京 depend on it
        [2, 0, 2, 3]
        >>> probe.matrices(["我爱北京。"], layers=[1, -1])[0].shape
        (2, 5, 5)
        """
        return self._compute(sentences, layers, progress, band=False)

    def bands(self, sentences: Iterable[Units], layers: int | Sequence[int] | None = None,
              progress: ProgressFn | None = None) -> list[np.ndarray]:
        """Adjacent impacts ``b_t = (F(t, t+1) + F(t+1, t)) / 2``, ``n − 1`` per sentence.

        ``b_t = +inf`` where units ``t`` and ``t+1`` share a group (never a boundary).
        Only the adjacent band is computed: ``2n − 1`` masked sequences per
        sentence instead of ``n + n(n−1)/2``. A low ``b_t`` is a likely word
        boundary (:class:`BertSegmenter`).

        Parameters
        ----------
        sentences : iterable of str or of list of str
            As in :meth:`matrices`.
        layers : int or sequence of int, optional
            As in :meth:`matrices`.
        progress : callable, optional
            ``progress(done, total)`` in masked sequences.

        Returns
        -------
        list of numpy.ndarray
            ``(n − 1,)`` per sentence, or ``(len(layers), n − 1)`` for a list.

        Examples
        --------
        >>> from zhtext import Probe
        >>> probe = Probe("models/zhtext-char-bert-small", device="cpu")    # the shipped small model
        >>> [band.round(1) for band in probe.bands(["我爱北京。", "他们在北京大学读书。"])]
        [array([9.1, 5.4, 8.4, 3.9]), array([ 9.5,  6.2,  3.9, 10.5,  2.6,  8. ,  4.5,  8.6,  3.9])]
        """
        return self._compute(sentences, layers, progress, band=True)

    def matrix_naive(self, sentence: Units, layer: int | None = None) -> np.ndarray:
        """The definition, literally: one forward pass per masked sequence, ``n + n(n−1)`` of them.

        The reference :meth:`matrices` must equal; the sentence must fit one window.

        Parameters
        ----------
        sentence : str or list of str
        layer : int, optional
            Default: the probe's layer.

        Returns
        -------
        numpy.ndarray
            ``(n, n)``.

        Raises
        ------
        InputError
            A sentence longer than one window.

        Examples
        --------
        >>> import numpy as np
        >>> from zhtext import Probe
        >>> probe = Probe("models/zhtext-char-bert-small", device="cpu")    # the shipped small model
        >>> naive = probe.matrix_naive("我爱你")                    # 3 + 3·2 forward passes
        >>> bool(np.abs(naive - probe.matrices(["我爱你"])[0]).max() < 1e-4)
        True
        """
        layer_index = self.layer if layer is None else self.layer_index(layer)
        alignment = align(self.tokenizer, sentence)
        g = alignment.groups
        if g < 2:
            return np.zeros((len(alignment.units), len(alignment.units)))
        pairs = np.array([(i, j) for i in range(g) for j in range(i + 1, g)], dtype=np.int64)
        job = _jobs(0, alignment, pairs, self.window)
        if len(job) != 1:
            raise InputError("matrix_naive needs a sentence that fits one window")
        masks, ids = job[0].masks, job[0].ids
        ids, attention, F = ids[None], np.ones((1, len(ids)), dtype=np.int64), np.zeros((g, g))
        for i in range(g):
            own = masks[[i]]
            base = self._states(ids, own, own, own, attention, [layer_index])[0]
            for j in range(g):
                if j != i:
                    state = self._states(ids, own | masks[[j]], own, own, attention, [layer_index])[0]
                    F[i, j] = self._distance(base, state).item()
        return expand(F, alignment.group_of)

    # -- machinery --------------------------------------------------------------
    def _compute(self, sentences, layers, progress, band: bool) -> list[np.ndarray]:
        indices, stacked = self._layers(layers)
        alignments = [align(self.tokenizer, s) for s in sentences]
        results = []
        jobs_per_sentence = [self._sentence_jobs(k, a, band) for k, a in enumerate(alignments)]
        total = sum(len(j.singles) + len(j.pairs) for jobs in jobs_per_sentence for j in jobs)
        done = 0
        for chunk in _chunks(jobs_per_sentence, _CHUNK_SEQUENCES):
            self._run(list(itertools.chain.from_iterable(jobs_per_sentence[k] for k in chunk)),
                      indices)
            for k in chunk:
                results.append(self._assemble(alignments[k], jobs_per_sentence[k], len(indices), band))
                done += sum(len(j.singles) + len(j.pairs) for j in jobs_per_sentence[k])
            if progress is not None:
                progress(done, total)
        return results if stacked else [r[0] for r in results]

    def _sentence_jobs(self, k: int, alignment: Alignment, band: bool) -> list[_Job]:
        g = alignment.groups
        if band:
            pairs = np.stack([np.arange(g - 1), np.arange(1, g)], axis=1)
        else:
            i, j = np.triu_indices(g, 1)
            pairs = np.stack([i, j], axis=1)
        return _jobs(k, alignment, pairs.astype(np.int64).reshape(-1, 2), self.window)

    def _assemble(self, alignment: Alignment, jobs: list[_Job], n_layers: int,
                  band: bool) -> np.ndarray:
        """Scatter a sentence's computed pair impacts into a group matrix, then to units."""
        g = alignment.groups
        F = np.zeros((n_layers, g, g))
        for job in jobs:
            forward, backward = job.impacts
            i, j = job.pairs[:, 0] + job.offset, job.pairs[:, 1] + job.offset
            F[:, i, j], F[:, j, i] = forward, backward
        if not band:
            return expand(F, alignment.group_of)
        group_of = alignment.group_of
        t = np.arange(len(group_of) - 1)
        a, b = group_of[t], group_of[t + 1]
        return np.where(a == b, np.inf, (F[:, a, b] + F[:, b, a]) / 2)

    def _run(self, jobs: list[_Job], layers: list[int]) -> None:
        """Run every masked sequence of ``jobs`` in length-sorted, token-budgeted batches.

        Sets ``job.impacts`` to ``(F(i, j), F(j, i))`` for the job's pairs, shape
        ``(2, len(layers), len(job.pairs))``. A job's single-masked sequences come
        before its pairs, so each base state exists before it is compared.
        """
        jobs = sorted(jobs, key=lambda job: len(job.ids))
        slot_of = np.cumsum([0] + [len(job.masks) for job in jobs])      # base slot of (job, group)
        pair_of = np.cumsum([0] + [len(job.pairs) for job in jobs])      # output column of a pair
        rows = []    # (job number, group a, group b, output column or -1 for a single)
        for number, job in enumerate(jobs):
            rows += [(number, s, s, -1) for s in job.singles]
            rows += [(number, a, b, pair_of[number] + r) for r, (a, b) in enumerate(job.pairs)]
        base, impacts = None, np.zeros((2, len(layers), pair_of[-1]))
        for batch in _batches(rows, [len(job.ids) for job in jobs], self.batch_tokens):
            table = np.array(batch, dtype=np.int64)
            states_a, states_b = self._states(*self._inputs(jobs, table), layers)
            if base is None:
                base = states_a.new_zeros((len(layers), slot_of[-1], states_a.shape[-1]))
            slot_a, slot_b = slot_of[table[:, 0]] + table[:, 1], slot_of[table[:, 0]] + table[:, 2]
            single, pair = table[:, 3] < 0, table[:, 3] >= 0
            base[:, slot_a[single]] = states_a[:, single]
            columns = table[pair, 3]
            impacts[0][:, columns] = self._distance(base[:, slot_a[pair]], states_a[:, pair])
            impacts[1][:, columns] = self._distance(base[:, slot_b[pair]], states_b[:, pair])
        for number, job in enumerate(jobs):
            job.impacts = impacts[:, :, pair_of[number]: pair_of[number + 1]]

    def _inputs(self, jobs: list[_Job], table: np.ndarray):
        """Padded ids, masked positions, pooling rows of groups a and b, attention mask of a batch."""
        width = max(len(jobs[number].ids) for number in table[:, 0])
        shape = (len(table), width)
        ids = np.full(shape, self.tokenizer.pad_token_id or 0, dtype=np.int64)
        attention = np.zeros(shape, dtype=np.int64)
        pool_a, pool_b = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
        for r, (number, a, b, _) in enumerate(table):
            job = jobs[number]
            length = len(job.ids)
            ids[r, :length], attention[r, :length] = job.ids, 1
            pool_a[r, :length], pool_b[r, :length] = job.masks[a], job.masks[b]
        return ids, pool_a | pool_b, pool_a, pool_b, attention

    def _states(self, ids: np.ndarray, masked: np.ndarray, pool_a: np.ndarray, pool_b: np.ndarray,
                attention: np.ndarray, layers: list[int]):
        """Hidden states at ``layers`` of the masked inputs, mean-pooled over ``pool_a`` (and ``pool_b``).

        Returns float32 tensors of shape ``(len(layers), batch, hidden)``.
        """
        torch = self.torch
        inputs = np.where(masked, self.tokenizer.mask_token_id, ids)
        with torch.inference_mode():
            output = self.encoder(input_ids=torch.from_numpy(inputs).to(self.device),
                                  attention_mask=torch.from_numpy(attention).to(self.device),
                                  output_hidden_states=True)
            hidden = torch.stack([output.hidden_states[k] for k in layers]).float()
            pooled = []
            for pool in (pool_a, pool_b):
                weights = torch.from_numpy(pool / pool.sum(axis=1, keepdims=True)).float()
                pooled.append(torch.einsum("bt,lbtd->lbd", weights.to(self.device), hidden).cpu())
        self.sequences += len(ids)
        return pooled[0], pooled[1]

    def _distance(self, x, y) -> np.ndarray:
        """``d(x, y)`` along the last axis (tensors), as a numpy array."""
        torch = self.torch
        if self.distance == "euclidean":
            value = torch.linalg.vector_norm(x - y, dim=-1)
        else:
            value = 1.0 - torch.nn.functional.cosine_similarity(x, y, dim=-1)
        return value.numpy()


def _chunks(jobs_per_sentence: list[list[_Job]], limit: int) -> Iterator[list[int]]:
    """Consecutive sentence indices whose jobs hold about ``limit`` sequences in all."""
    chunk, size = [], 0
    for k, jobs in enumerate(jobs_per_sentence):
        chunk.append(k)
        size += sum(len(j.singles) + len(j.pairs) for j in jobs)
        if size >= limit:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _batches(rows: list, lengths: list[int], budget: int) -> Iterator[list]:
    """Consecutive rows (sorted by length) whose padded size ``rows × longest`` fits ``budget``."""
    batch, longest = [], 0
    for row in rows:
        length = lengths[row[0]]
        if batch and (len(batch) + 1) * max(longest, length) > budget:
            yield batch
            batch, longest = [], 0
        batch.append(row)
        longest = max(longest, length)
    if batch:
        yield batch


# -- segmentation -----------------------------------------------------------------
SENTENCE_ENDS = "。！？!?；;…"
"""Characters after which a line is cut into sentences for the model (context stays within one)."""
CALIBRATION_PAIRS = 5000
CHUNK_CHARS = 4000


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the cut of a histogram into two classes of maximal between-class variance.

    With ``w₀, w₁`` the class weights and ``μ₀, μ₁`` their means, the threshold
    maximises ``w₀ w₁ (μ₀ − μ₁)²``. It needs no labels and no scale: used on
    log band values it adapts to any model.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or values.min() == values.max():
        return float(values.mean()) if values.size else 0.0
    hist, edges = np.histogram(values, bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)[:-1]
    w1 = values.size - w0
    m0 = np.cumsum(hist * centres)[:-1] / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)[:-1]) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    best = np.flatnonzero(between == between.max())   # a plateau over empty bins: take its middle
    return float((edges[1 + best[0]] + edges[1 + best[-1]]) / 2)


class BertSegmenter(tokens.WordCutter):
    """Word segmentation from the adjacent band of the impact matrix: no training text needed.

    Only a masked language model; the same interface as
    :class:`zhtext.segment.Segmenter`.

    Two adjacent Han characters stay in one word when they move each other
    strongly: the cut between characters ``t`` and ``t+1`` is made when

        b_t = (F(t, t+1) + F(t+1, t)) / 2  <  θ.

    The scale of ``F`` depends on the model, so ``θ`` is not a constant: unless
    given, it is Otsu's threshold (:func:`otsu_threshold`) of ``log b_t`` over
    the first ``CALIBRATION_PAIRS`` Han-internal pairs of the text (fixed by
    :meth:`calibrate`, or by :meth:`cut_lines` on the text it is given, which
    holds its first lines back until those pairs are seen); the standard
    deviation of those ``log b_t`` is kept as ``spread`` (the unit in which
    :class:`zhtext.vote.VoteSegmenter` weighs the model's evidence). So the
    output depends on the text only, never on how it is chunked. No label is
    used. Everything that is not a Han run (punctuation, Latin words,
    numbers, URLs, whitespace) is cut by the rules of :mod:`zhtext.tokens`, so
    punctuation is always a token of its own. Lines are cut into sentences after
    ``SENTENCE_ENDS`` characters, and each sentence is one model input.

    Parameters
    ----------
    model, device, layer, distance, batch_tokens, window :
        Those of :class:`Probe`, used when no ``probe`` is given.
    threshold : float, optional
        ``θ``, fixed by hand; ``None``: Otsu's threshold, calibrated as above.
    probe : Probe, optional
        A probe already loaded (several segmenters can share one).
    spread : float, optional
        The standard deviation of ``log b_t``, given with ``threshold`` for
        :class:`zhtext.vote.VoteSegmenter`.

    Attributes
    ----------
    threshold, spread : float or None
        ``θ`` and the spread, ``None`` until calibrated.
    calibrated : bool
        Whether ``θ`` is fixed.
    probe : Probe

    Raises
    ------
    InputError, ModelError
        As :class:`Probe`.

    Examples
    --------
    >>> from zhtext import BertSegmenter
    >>> seg = BertSegmenter("models/zhtext-char-bert-small", device="cpu")
    >>> seg.cut("他们在北京大学读书。")               # θ calibrated on this sentence
    ['他们在', '北京', '大学', '读书', '。']
    >>> round(seg.threshold, 2), round(seg.spread, 2)
    (5.26, 0.46)
    """

    def __init__(self, model: str | os.PathLike | None = None, device: str = "auto",
                 threshold: float | None = None, layer: int = -1, distance: str = "euclidean",
                 batch_tokens: int = DEFAULT_BATCH_TOKENS, window: int = DEFAULT_WINDOW,
                 probe: Probe | None = None, spread: float | None = None):
        self.probe = probe or Probe(model, device, layer, distance, batch_tokens, window)
        self.threshold, self.spread = threshold, spread
        self.calibrated = threshold is not None

    def cut_lines(self, lines: Iterable[str], keep_whitespace: bool = False,
                  progress: ProgressFn | None = None) -> Iterator[list[str]]:
        """:meth:`cut` each line, the model batched over chunks of about ``CHUNK_CHARS`` characters.

        Unless calibrated, the first lines are held back until ``θ`` is fixed
        from their first ``CALIBRATION_PAIRS`` pairs (or the text ends), so
        every line is cut with the same ``θ`` whatever the chunking.

        Parameters
        ----------
        lines : iterable of str
        keep_whitespace : bool, default False
            As in :meth:`zhtext.segment.Segmenter.cut`.
        progress : callable, optional
            ``progress(done, total)`` in masked sequences, per chunk.

        Yields
        ------
        list of str
            The words of each line.

        Examples
        --------
        >>> from zhtext import BertSegmenter
        >>> seg = BertSegmenter("models/zhtext-char-bert-small", device="cpu")
        >>> with open("corpora/gsdsimp_dev_sample.txt", encoding="utf-8") as text:
        ...     lines = [next(text), next(text)]
        >>> for words in seg.cut_lines(lines):
        ...     print(" ".join(words))
        大 多数的 加长 型 礼车 则是 租车 公司 的 财产 。
        随后 爱斯 基摩人 和 维京 人 相 继定 居 于此 。
        """
        for chunk, bands in self.calibrated_bands(lines, progress):
            yield from self.cut_bands(chunk, bands, keep_whitespace)

    def calibrated_bands(self, lines: Iterable[str], progress: ProgressFn | None = None,
                         ) -> Iterator[tuple[list[str], list[np.ndarray]]]:
        """``(chunk, bands)`` for consecutive chunks of ``lines``, ``θ`` fixed before the first
        is yielded (from the first ``CALIBRATION_PAIRS`` pairs, unless already calibrated)."""
        held: list[tuple[list[str], list[np.ndarray]]] = []
        pairs = 0
        for chunk in line_chunks(lines):
            bands = self.bands(chunk, progress)
            if self.calibrated:
                yield chunk, bands
                continue
            held.append((chunk, bands))
            pairs += sum(values.size for values in _inside_bands(chunk, bands))
            if pairs >= CALIBRATION_PAIRS:
                self._fix(held)
                yield from held
                held = []
        if held:
            self._fix(held)
            yield from held

    def calibrate(self, lines: Iterable[str], progress: ProgressFn | None = None) -> BertSegmenter:
        """Fix ``θ`` and ``spread`` from the first pairs of ``lines``, before cutting other text.

        The first ``CALIBRATION_PAIRS`` Han-internal pairs of ``lines`` are
        used (the model is run on lines until it has them); returns ``self``.

        ``θ = exp(Otsu(log b))`` and ``spread = std(log b)`` over those pairs:
        no label is used. Calibrate on text like the text to be cut; later
        cuts then use this ``θ``.

        Parameters
        ----------
        lines : iterable of str
        progress : callable, optional
            ``progress(done, total)`` in masked sequences, per chunk.

        Returns
        -------
        BertSegmenter
            ``self``, calibrated.

        Examples
        --------
        >>> from zhtext import BertSegmenter
        >>> seg = BertSegmenter("models/zhtext-char-bert-small", device="cpu")
        >>> with open("corpora/gsdsimp_dev_sample.txt", encoding="utf-8") as text:
        ...     lines = [next(text) for _ in range(3)]
        >>> seg = seg.calibrate(lines)
        >>> round(seg.threshold, 2), round(seg.spread, 2)
        (5.12, 0.39)
        >>> seg.cut("他们在北京大学读书。")
        ['他们在', '北京', '大学', '读书', '。']
        """
        held, pairs = [], 0
        for chunk in line_chunks(lines):
            bands = self.bands(chunk, progress)
            held.append((chunk, bands))
            pairs += sum(values.size for values in _inside_bands(chunk, bands))
            if pairs >= CALIBRATION_PAIRS:
                break
        self._fix(held)
        return self

    def _fix(self, held: list[tuple[list[str], list[np.ndarray]]]) -> None:
        """θ = exp(Otsu(log b)), spread = std(log b) over the first ``CALIBRATION_PAIRS`` pairs."""
        inside = [values for chunk, bands in held for values in _inside_bands(chunk, bands)]
        logs = np.log(np.maximum(np.concatenate(inside), 1e-12))[:CALIBRATION_PAIRS] if inside else np.zeros(0)
        self.threshold = float(np.exp(otsu_threshold(logs))) if logs.size else 0.0
        self.spread = float(logs.std()) if logs.size else 0.0
        self.calibrated = True

    def bands(self, lines: Sequence[str], progress: ProgressFn | None = None) -> list[np.ndarray]:
        """Per line, ``b`` between each character and the next (NaN where the model is not asked).

        Entry ``p`` is the pair of characters ``p`` and ``p+1`` of the line.
        Only the sentences that hold a Han run of two or more characters go to
        the model, and only the pairs inside Han runs are used to cut; a pair
        across whitespace or across two sentences is NaN.

        Parameters
        ----------
        lines : sequence of str
        progress : callable, optional
            ``progress(done, total)`` in masked sequences.

        Returns
        -------
        list of numpy.ndarray
            ``(len(line) − 1,)`` per line.

        Examples
        --------
        >>> from zhtext import BertSegmenter
        >>> seg = BertSegmenter("models/zhtext-char-bert-small", device="cpu", threshold=5.0, spread=0.5)
        >>> bands = seg.bands(["我爱北京。", "他们 在北京"])
        >>> [band.round(1) for band in bands]
        [array([9.1, 5.4, 8.4, 3.9]), array([10.8,  nan,  nan,  4.3, 10.3])]
        >>> list(seg.cut_bands(["我爱北京。", "他们 在北京"], bands))    # cut where b < 5
        [['我爱北京', '。'], ['他们', '在', '北京']]
        """
        sentences, where = [], []
        for k, line in enumerate(lines):
            for start, stop in _sentence_spans(line):
                text = line[start:stop]
                if any(kind == tokens.MODEL and b - a > 1 for a, b, kind in tokens.pretokens(text)):
                    sentences.append(text)
                    where.append((k, start))
        result = [np.full(max(len(line) - 1, 0), np.nan) for line in lines]
        for text, (k, start), band in zip(sentences, where, self.probe.bands(sentences, progress=progress)):
            positions = np.array([start + m.start() for m in re.finditer(r"\S", text)], dtype=np.int64)
            adjacent = positions[1:] == positions[:-1] + 1
            result[k][positions[:-1][adjacent]] = band[adjacent]
        return result

    def cut_bands(self, lines: Sequence[str], bands: Sequence[np.ndarray],
                  keep_whitespace: bool = False) -> Iterator[list[str]]:
        """The words of each line given its :meth:`bands`: Han runs cut where ``b_t < θ``."""
        for line, band in zip(lines, bands):
            yield tokens.split_runs(
                line, lambda a, b: [p + 1 for p in range(a, b - 1) if band[p] < self.threshold], keep_whitespace)

def _inside_bands(lines: Sequence[str], bands: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    """The finite bands of the pairs inside the Han runs of each line, in text order."""
    for line, band in zip(lines, bands):
        for a, b, kind in tokens.pretokens(line):
            if kind == tokens.MODEL:
                values = band[a: b - 1]
                yield values[np.isfinite(values)]


def line_chunks(lines: Iterable[str], chars: int | None = None) -> Iterator[list[str]]:
    """Consecutive lines in lists of about ``chars`` characters (default ``CHUNK_CHARS``; the unit
    of batching)."""
    chars = CHUNK_CHARS if chars is None else chars
    chunk, size = [], 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _sentence_spans(line: str) -> list[tuple[int, int]]:
    """``[start, stop)`` of the sentences of a line: cut after each run of ``SENTENCE_ENDS``."""
    cuts = [m.end() for m in re.finditer(f"[{SENTENCE_ENDS}]+", line)]
    bounds = [0] + [c for c in cuts if c < len(line)] + [len(line)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
