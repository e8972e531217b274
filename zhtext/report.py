r"""One self-contained HTML page about a corpus: figures, lexicon, contexts, clusters, trees.

:func:`build_report` reads a corpus and gathers, in this order:

1. **Figures** (one streaming pass, which also encodes the text for step 2):
   UTF-8 bytes, characters, lines, Han characters (ideographs: kana and
   bopomofo are not counted) and the script. A Han character is
   *traditional* when folding to simplified (:func:`zhtext.script.fold_table`,
   OpenCC's table) changes it, *simplified* when it is the simplified form of
   some other character and not itself folded (们, 这, 说); the rest are
   shared by both scripts (人, 中).
2. **Lexicon**: :class:`zhtext.discover.WordDiscoverer` on the encoded text
   (exactly what ``zhtext discover`` finds, with its keyness against the
   shipped base model or another background), each word marked *new*, *known*
   (its simplified form is in jieba's dictionary), a *collocation* of
   known words or a *fragment* of a known word
   (:meth:`~zhtext.discover.WordDiscoverer.statuses`). The ``top``
   best words are kept for the table.
3. **Contexts**: a keyword-in-context concordance of the first ``contexts``
   occurrences of every kept word, ``width`` characters each side within the
   line. The occurrences are found on the encoded corpus: for every position,
   the ids of the next 2..L characters are packed into one key, extended by
   one character at a time, and looked up in an open-addressing index of the
   kept words (the n-gram keys and index of :mod:`zhtext.ngrams`), so the cost
   is ``O(T L)`` for ``T`` characters and words of at most ``L`` characters,
   whatever the number of words; the scan stops once every word has its
   occurrences. A second pass over the text then cuts the contexts out, and
   stops at the last occurrence needed.
4. **Sample** (kept during the first pass): every ``s``-th line, ``s``
   doubling whenever the kept lines pass ``sample_chars`` characters (each
   doubling drops every other kept line), so the sample spreads over the
   whole corpus. From it: the statistical segmenter
   (:class:`zhtext.segment.Segmenter`, pooled with the shipped base model),
   a few segmented lines, the word clusters (``zhtext cluster-words``' recipe
   on the segmented sample: similarity graph, InfoMap; 50-dimensional vectors
   to keep it fast) and the sentence whose dependency tree is drawn (the
   shipped dependency model, :mod:`zhtext.dmv`, as ``zhtext parse`` does; with
   ``model``, combined with that masked LM probed by Perturbed Masking, when
   torch is there; otherwise the page says why).

:class:`Report` holds it all; :meth:`Report.html` writes the page: inline CSS
and a small inline script (sortable and filterable table, contexts on click,
ticked words exported as a jieba user dictionary through a Blob download), no
network at view time. Everything from the corpus is HTML-escaped; the table's
data is JSON inside ``<script type="application/json">`` with ``<``, ``>``
and ``&`` written as ``\u003c``, ``\u003e``, ``\u0026``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from numba import njit

from . import __version__
from .atomic import atomic_open
from .corpus import ProgressFn, as_corpus
from .discover import COLLOCATION, FRAGMENT, KNOWN, NEW, STATUS_NAMES
from .encode import EncodedCorpus, encode
from .errors import InputError, ZhtextError
from .keyness import load_background
from .lexicon import RANKINGS, Lexicon, jieba_safe
from .ngrams import KeyLayout, _build_index, _find, _pack
from .svg import FONT_FAMILY, _clean, _text, cluster_svg, dependency_svg

__all__ = ["CorpusFigures", "Report", "build_report", "concordance", "NEW", "KNOWN", "COLLOCATION",
           "FRAGMENT"]


DEFAULT_TOP = 2000
DEFAULT_NEW_TOP = 500
DEFAULT_CONTEXTS = 5
DEFAULT_WIDTH = 15
DEFAULT_SAMPLE_CHARS = 4_000_000
SAMPLE_LINE_CHARS = 5000          # a sampled line is cut after this many characters
SHOWN_LINES = 12                  # segmented lines shown
SHOWN_LINE_CHARS = 120
CLUSTERS_LISTED, WORDS_LISTED = 12, 30
CLUSTERS_DRAWN, WORDS_DRAWN = 8, 12
PARSE_MAX_WORDS = 40
_SENTENCE = re.compile(r"(?<![^。！？；])([^。！？；]{8,30})[。！？]")


# ----------------------------------------------------------------------------- figures
@functools.lru_cache(maxsize=1)
def _char_kinds() -> np.ndarray:
    """``uint8`` over all code points: 0 not Han, 1 Han of both scripts, 2 traditional, 3 simplified."""
    from .script import fold_table
    from .tokens import HAN, class_table

    han = class_table() == HAN
    for lo, hi in ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F), (0x3100, 0x312F),
                   (0x31A0, 0x31BF), (0x30FC, 0x30FC)):
        han[lo: hi + 1] = False                      # kana and bopomofo are no Han characters
    han[[ord(c) for c in "ー〻"]] = False
    fold = fold_table()
    points = np.arange(len(fold), dtype=np.int32)
    traditional = han & (fold != points)
    simplified = np.zeros(len(fold), dtype=bool)
    simplified[np.unique(fold[traditional])] = True
    simplified &= han & ~traditional
    kinds = han.astype(np.uint8)
    kinds[traditional] = 2
    kinds[simplified] = 3
    kinds.setflags(write=False)
    return kinds


@dataclass(frozen=True)
class CorpusFigures:
    """Size and script of a corpus (see the module docstring for the script rule)."""

    sources: tuple[str, ...]
    disk_bytes: int          # bytes of the files on disk (compressed, if they are)
    text_bytes: int          # bytes of the text as UTF-8
    chars: int
    lines: int
    han: int
    traditional: int
    simplified: int
    replacements: int = 0    # undecodable byte sequences replaced by U+FFFD

    @property
    def script(self) -> str:
        """``simplified``, ``traditional``, ``mixed`` or ``undetermined`` (no script-specific character)."""
        t, s = self.traditional, self.simplified
        if t == s == 0:
            return "undetermined"
        if min(t, s) >= 0.25 * max(t, s):
            return "mixed"
        return "traditional" if t > s else "simplified"


class _Figures:
    """Counts the figures block by block."""

    def __init__(self):
        self.text_bytes = self.chars = self.lines = 0
        self.kinds = np.zeros(4, np.int64)

    def add(self, text: str) -> None:
        data = text.encode("utf-32-le", "surrogatepass")
        points = np.frombuffer(data, dtype="<u4")
        self.chars += len(points)
        self.lines += text.count("\n")
        self.text_bytes += len(text.encode("utf-8", "surrogatepass"))
        self.kinds += np.bincount(_char_kinds()[points], minlength=4)


class _Sampler:
    """Every ``stride``-th line, the stride doubling to stay under ``budget`` characters.

    Line ``g`` (counting from 0) is kept while ``g % stride == 0``; a doubling
    keeps every other kept line, which are exactly the lines at multiples of
    the new stride, so the sample stays evenly spread over the text read.
    """

    def __init__(self, budget: int):
        self.budget = max(int(budget), 1)
        self.lines: list[str] = []
        self.size = 0
        self.stride = 1
        self.seen = 0            # lines offered so far
        self.tail = ""           # the start of the unfinished line
        self.skipping = False    # inside a line longer than SAMPLE_LINE_CHARS

    def add(self, text: str) -> None:
        if self.skipping:
            cut = text.find("\n")
            if cut < 0:
                return
            text, self.skipping = text[cut:], False
        parts = (self.tail + text).split("\n")
        last = parts.pop()
        self.tail, self.skipping = last[:SAMPLE_LINE_CHARS], len(last) >= SAMPLE_LINE_CHARS
        self._take(parts)

    def finish(self) -> list[str]:
        if self.tail:
            self._take([self.tail])
            self.tail = ""
        return self.lines

    def _take(self, parts: list[str]) -> None:
        base = self.seen
        self.seen += len(parts)
        k = (-base) % self.stride
        while k < len(parts):
            line = parts[k][:SAMPLE_LINE_CHARS]
            self.lines.append(line)
            self.size += len(line)
            if self.size > self.budget:
                self.lines = self.lines[::2]
                self.size = sum(map(len, self.lines))
                self.stride *= 2
                k = ((base + k) // self.stride + 1) * self.stride - base
            else:
                k += self.stride


def _first_pass(corpus, sample_chars: int, progress: ProgressFn | None):
    """Encode ``corpus`` (:func:`zhtext.encode.encode`), counting the figures and keeping the
    sample in the same pass."""
    figures = _Figures()
    sampler = _Sampler(sample_chars)

    def observe(block: str) -> None:
        figures.add(block)
        sampler.add(block)

    return encode(corpus, progress=progress, observe=observe), figures, sampler.finish()


# ----------------------------------------------------------------------------- contexts
@njit(cache=True)
def _occurrences(codes, keys, slots, lengths, bits, per_word, longest, wanted):
    """The first ``wanted`` start positions (code indices) of each word, -1 where fewer.

    At each position the key of the next 1, 2, ... characters is extended one
    character at a time (the packing of :func:`zhtext.ngrams._pack`) and looked
    up; stops early once every word has ``wanted`` positions. Returns the
    positions and the index the scan reached.
    """
    words = keys.shape[0]
    found = np.full((words, wanted), -1, np.int64)
    have = np.zeros(words, np.int64)
    missing = words
    key = np.zeros(keys.shape[1], np.uint64)
    n = codes.shape[0]
    i = 0
    while i < n and missing > 0:
        if codes[i] != 0:
            key[:] = 0
            for j in range(longest):
                c = codes[i + j]        # codes end with 0: never past the end
                if c == 0:
                    break
                key[j // per_word] |= np.uint64(c) << np.uint64((j % per_word) * bits)
                if j >= 1:
                    row = _find(slots, keys, key)
                    if row >= 0 and lengths[row] == j + 1 and have[row] < wanted:
                        found[row, have[row]] = i
                        have[row] += 1
                        if have[row] == wanted:
                            missing -= 1
        i += 1
    return found, i


def concordance(corpus, encoded: EncodedCorpus, words: Sequence[str], contexts: int = DEFAULT_CONTEXTS,
                width: int = DEFAULT_WIDTH, progress: ProgressFn | None = None
                ) -> list[list[tuple[str, str, str]]]:
    """``(left, word, right)`` for the first ``contexts`` occurrences of each word.

    ``encoded`` must be the encoding of ``corpus`` read by ``corpus.blocks()``
    (as :func:`build_report` makes it: code index ``k`` is character ``k - 1``
    of that text). ``left`` and ``right`` hold at most ``width`` characters and
    stop at the line's ends. Words of one character, or holding a character the
    corpus lacks, get no contexts.
    """
    result: list[list[tuple[str, str, str]]] = [[] for _ in words]
    if not words or contexts < 1:
        return result
    vocab = encoded.vocab
    ids = [[vocab.id(c) for c in word] for word in words]
    usable = [k for k, w in enumerate(ids) if len(w) >= 2 and min(w) > 0]
    if not usable:
        return result
    longest = max(len(ids[k]) for k in usable)
    layout = KeyLayout.for_vocabulary(len(vocab), longest)
    keys = np.zeros((len(usable), layout.words), np.uint64)
    for row, k in enumerate(usable):
        _pack(np.asarray(ids[k], np.int32), 0, len(ids[k]), layout.bits, layout.per_word, keys[row])
    lengths = np.array([len(ids[k]) for k in usable], np.int64)
    found, _ = _occurrences(encoded.codes, keys, _build_index(keys), lengths, layout.bits,
                            layout.per_word, longest, int(contexts))
    requests = sorted((int(p) - 1, usable[row], int(lengths[row]))           # (text offset, word, length)
                      for row, positions in enumerate(found) for p in positions if p >= 0)
    _cut_contexts(corpus, requests, width, longest, result, progress)
    return result


def _cut_contexts(corpus, requests: list[tuple[int, int, int]], width: int, longest: int,
                  result: list, progress: ProgressFn | None) -> None:
    """Read the text again up to the last request and cut each context out of it."""
    keep = longest + 2 * width + 1
    buffer, start, r = "", 0, 0                # buffer holds text[start : start + len(buffer)]
    blocks = corpus.blocks(progress)
    try:
        for block in blocks:
            if r == len(requests):
                break
            trim = max(len(buffer) - keep, 0)
            buffer, start = buffer[trim:] + block, start + trim
            end = start + len(buffer)
            while r < len(requests) and requests[r][0] + requests[r][2] + width <= end:
                _one_context(buffer, start, requests[r], width, result)
                r += 1
        while r < len(requests):                 # the text ended: contexts reach its end
            _one_context(buffer, start, requests[r], width, result)
            r += 1
    finally:
        close = getattr(blocks, "close", None)
        if close:
            close()


def _one_context(buffer: str, start: int, request: tuple[int, int, int], width: int, result: list) -> None:
    offset, word, length = request
    at = offset - start
    left = buffer[max(at - width, 0): at]
    left = left[left.rfind("\n") + 1:]
    right = buffer[at + length: at + length + width]
    right = right.split("\n", 1)[0]
    result[word].append((left, buffer[at: at + length], right))


# ----------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class Report:
    """Everything the page shows (built by :func:`build_report`; :meth:`html` renders it)."""

    title: str
    figures: CorpusFigures
    lexicon: Lexicon                             # the words of the table, in rank order
    status: tuple[int, ...]                      # NEW, KNOWN, COLLOCATION or FRAGMENT per word
    contexts: tuple                              # per word: ((left, word, right), ...)
    discovered: int                              # words discovered (before --top)
    new_words: int                               # of which new
    min_count: int
    settings: dict
    segmented: tuple = ()                        # sample lines as word lists
    segment_note: str = ""
    clusters: tuple = ()                         # word lists, most central word first (cut short)
    cluster_sizes: tuple = ()                    # the number of words of each cluster
    clusters_svg: str = ""
    clusters_note: str = ""
    parse_words: tuple = ()
    parse_heads: tuple = ()
    parse_svg: str = ""
    parse_note: str = ""
    timings: dict = field(default_factory=dict)

    def html(self) -> str:
        """The page as one string (see the module docstring)."""
        return _render(self)

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`html` to ``path`` atomically (``"-"``: standard output)."""
        page = self.html()
        with atomic_open(path) as out:
            out.write(page)


def build_report(corpus, *, top: int = DEFAULT_TOP, rank: str = "count", new_top: int = DEFAULT_NEW_TOP,
                 contexts: int = DEFAULT_CONTEXTS, width: int = DEFAULT_WIDTH, max_n: int = 4,
                 min_count: int | None = None, sample_chars: int = DEFAULT_SAMPLE_CHARS,
                 base="default", reference=None, background="default", clusters: bool = True,
                 parse: bool = True,
                 sentence: str | None = None, model=None, device: str = "auto",
                 title: str | None = None, progress: ProgressFn | None = None,
                 on_stage: Callable[[str], None] | None = None, **corpus_options) -> Report:
    """Read ``corpus`` (anything :func:`zhtext.corpus.as_corpus` accepts, read twice: files or
    a list, not a generator) and gather the report.

    Parameters
    ----------
    top, rank : the table keeps the ``top`` best words by ``count``, ``score`` or ``keyness``...
    new_top : ... and the ``new_top`` best new words by score (rarer than the others, as a
        rule), in the order of ``rank``.
    contexts, width : occurrences shown per word, characters each side.
    max_n, min_count : discovery's (``zhtext discover``'s defaults).
    sample_chars : the most characters of the line sample (segmenter, clusters, tree).
    base : the segmenter's base model: ``"default"`` (the shipped one, when present),
        a :class:`~zhtext.segment.Segmenter`, a path, or None.
    reference : dictionary files for new words (default: jieba's ``dict.txt``).
    background : the general text of the keyness column (:func:`zhtext.keyness.load_background`;
        default: the shipped base model; None or ``"none"``: no keyness).
    clusters, parse : build the clusters and the tree (``False``: the page says they were skipped).
    sentence : the sentence to parse (default: one chosen from the sample).
    model, device : a masked LM for the tree and its device (default: none, the tree of the
        shipped dependency model alone; with one, the combined tree of ``zhtext parse``).
    progress, on_stage : ``progress(done, total)`` for the two reading passes (bytes);
        ``on_stage(name)`` announces each stage.

    Raises :class:`InputError` when the corpus holds no Han character.
    """
    if top < 1 or sample_chars < 1 or min(contexts, width, new_top) < 0:
        raise InputError("top and sample_chars must be at least 1, new_top, contexts and width "
                         "at least 0")
    if rank not in RANKINGS:
        raise InputError(f"rank by {', '.join(map(repr, RANKINGS))}, not {rank!r}")
    background = load_background(background)
    if rank == "keyness" and background is None:
        raise InputError("ranking by keyness needs a background (general text, a lexicon or a model)")
    stage = on_stage or (lambda name: None)
    corpus = as_corpus(corpus, **corpus_options)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    stage("reading")
    encoded, counts, sample = _first_pass(corpus, sample_chars, progress)
    sources = tuple(str(s) for s in corpus.sources) or ("<text>",)
    figures = CorpusFigures(sources, corpus.total_bytes(), counts.text_bytes, counts.chars, counts.lines,
                            int(counts.kinds[1:].sum()), int(counts.kinds[2]), int(counts.kinds[3]),
                            corpus.replacements)
    if figures.han == 0:
        raise InputError(f"{', '.join(sources)}: no Chinese (Han) characters in {figures.chars:,} "
                         f"characters: nothing to report")
    lap("reading")

    from .discover import WordDiscoverer
    finder = WordDiscoverer(max_n=max_n, min_count=min_count, background=background).fit(encoded,
                                                                                      on_stage=stage)
    lexicon = finder.lexicon_.with_min_length(2).ranked(rank)
    lap("discovery")
    stage("marking new words")
    status_of = _statuses(finder, reference)
    best_new = lexicon.select(np.array([status_of[w] == NEW for w in lexicon.words], bool))
    chosen = set(lexicon.words[:top]) | set(best_new.ranked("score").words[:new_top])
    table = lexicon.select(np.array([w in chosen for w in lexicon.words], bool))
    status = tuple(status_of[w] for w in table.words)
    lap("new words")

    stage("gathering contexts")
    found = concordance(corpus, encoded, table.words, contexts, width, progress)
    del encoded
    lap("contexts")

    segmenter, segment_note = _segmenter(sample, base, stage)
    segmented = _segmented_sample(segmenter, sample) if segmenter is not None else ()
    lap("segmenter")

    cluster_words, sizes, picture, clusters_note = (), (), "", "skipped (--no-clusters)"
    if clusters:
        stage("clustering words")
        cluster_words, sizes, picture, clusters_note = _clusters(segmenter, sample, segment_note)
    lap("clusters")

    words, heads, tree, parse_note = (), (), "", "skipped (--no-parse)"
    if parse:
        stage("parsing a sentence")
        words, heads, tree, parse_note = _parse(segmenter, sample, sentence, model, device)
    lap("parse")

    settings = {"top": top, "new_top": new_top, "rank": rank, "contexts": contexts, "width": width,
                "max_n": max_n, "min_count": finder.min_count_, "sample_chars": sample_chars,
                "sample_lines": len(sample), "sampled": sum(map(len, sample))}
    return Report(title or "zhtext report: " + ", ".join(Path(s).name for s in sources), figures, table,
                  status, tuple(tuple(c) for c in found), len(lexicon),
                  sum(1 for s in status_of.values() if s == NEW), finder.min_count_, settings,
                  segmented, segment_note, cluster_words, sizes, picture, clusters_note, words, heads, tree,
                  parse_note, timings)


def _statuses(finder, reference) -> dict[str, int]:
    """NEW, KNOWN, COLLOCATION or FRAGMENT for every word the finder discovered."""
    from .lexicon import jieba_dictionary

    known_words = [w for path in (reference or [jieba_dictionary()]) for w in Lexicon.load(path).words]
    return dict(zip(finder.lexicon_.words, finder.statuses(known_words).tolist()))


def _segmenter(sample: list[str], base, stage):
    """The statistical segmenter learned from the sample (pooled with ``base``), and a note."""
    from .corpus import Corpus
    from .segment import Segmenter, default_base_path, load_base

    named_default = isinstance(base, str) and base == "default"
    stage("learning the segmenter")
    try:
        base = load_base(base)
        model = Segmenter.fit(Corpus.from_texts(sample), base=base)
    except ZhtextError as err:
        return None, f"could not be learned: {err}"
    pooled = (f"pooled with the base model ({base.info.get('chars', 0):,} characters, weighted as "
              f"{model.info.get('base', {}).get('weight', 0):,})") if base is not None else \
        "with no base model" + (f" (no base model at {default_base_path()})" if named_default else "")
    return model, (f"learned from the sample of {sum(map(len, sample)):,} characters, {pooled}; "
                   f"{model.info['words']:,} words")


def _segmented_sample(segmenter, sample: list[str]) -> tuple:
    """A few sample lines holding Han text, evenly spread, cut short and segmented."""
    kinds = _char_kinds()
    chosen = [line for line in sample if sum(kinds[ord(c)] > 0 for c in line[:SHOWN_LINE_CHARS]) >= 8]
    if not chosen:
        chosen = [line for line in sample if any(kinds[ord(c)] > 0 for c in line)]
    step = max(len(chosen) // SHOWN_LINES, 1)
    lines = [line.strip()[:SHOWN_LINE_CHARS] for line in chosen[::step][:SHOWN_LINES]]
    return tuple(tuple(segmenter.cut(line)) for line in lines if line)


def _clusters(segmenter, sample: list[str], segment_note: str):
    """``(clusters, svg, note)``: cluster-words' recipe on the segmented sample."""
    from collections import Counter

    from .community import infomap
    from .graphs import is_content_word, similarity_graph

    if segmenter is None:
        return (), (), "", f"absent: the segmenter {segment_note}"
    sentences = list(segmenter.cut_lines(sample))
    frequent = Counter(w for s in sentences for w in s if is_content_word(w))
    if sum(1 for c in frequent.values() if c >= 5) < 20:
        return (), (), "", ("absent: the sample has fewer than 20 content words seen 5 times or more: "
                        "too little text for word clusters")
    try:
        graph = similarity_graph(sentences, max_words=5000, top_k=50, threshold=0.6, dim=50,
                                 min_count=5, seed=0)
        if graph.src.size == 0:
            return (), (), "", "absent: no two words are similar enough (cosine >= 0.6)"
        result = infomap(graph, trials=10, seed=0)
    except ZhtextError as err:
        return (), (), "", f"absent: {err}"
    ranked = [m for m in result.ranked_communities() if len(m) >= 2]
    listed = tuple(tuple(words) for words in ranked[:CLUSTERS_LISTED])
    sizes = tuple(len(words) for words in listed)
    note = (f"{graph.num_nodes:,} words, {graph.src.size:,} links; {result.num_modules:,} modules, "
            f"{len(ranked):,} of 2+ words; codelength savings {result.relative_savings:.1%}")
    if not listed:
        return (), (), "", "absent: InfoMap found no cluster of two or more words"
    drawn = [list(words[:WORDS_DRAWN]) for words in listed[:CLUSTERS_DRAWN]]
    index = {w: k for k, w in enumerate(graph.words)}
    keep = np.zeros(len(graph.words), bool)
    keep[[index[w] for words in drawn for w in words]] = True
    mask = keep[graph.src] & keep[graph.dst]
    edges = [(graph.words[u], graph.words[v], w) for u, v, w in
             zip(graph.src[mask].tolist(), graph.dst[mask].tolist(), graph.weight[mask].tolist())]
    picture = cluster_svg(drawn, edges, flow=result.flow,
                          title=f"{len(drawn)} largest word clusters (InfoMap, similarity graph)")
    return tuple(words[:WORDS_LISTED] for words in listed), sizes, picture, note


def _pick_sentence(sample: list[str]) -> str | None:
    """A sentence of the sample: 8..30 Han characters (commas allowed) ended by 。！？, the one
    nearest 16 characters, searched from the sample's middle on; else the start of a line."""
    kinds = _char_kinds()
    best, best_cost = None, None
    middle = len(sample) // 2
    for line in sample[middle:] + sample[:middle]:
        for match in _SENTENCE.finditer(line):
            piece = match.group(1)
            if piece[0] != "，" and all(kinds[ord(c)] > 0 or c == "，" for c in piece):
                cost = abs(len(piece) - 16)
                if best_cost is None or cost < best_cost:
                    best, best_cost = piece, cost
                    if cost == 0:
                        return best
    if best is None:
        for line in sample:
            if any(kinds[ord(c)] > 0 for c in line):
                return line.strip()[:24]
    return best


def _parse(segmenter, sample: list[str], sentence: str | None, model, device: str):
    """``(words, heads, svg, note)`` of the sample sentence's dependency tree, or a note saying why not."""
    text = sentence if sentence is not None else _pick_sentence(sample)
    if not text or not text.strip():
        return (), (), "", "absent: no sentence to parse"
    words = segmenter.cut(text) if segmenter is not None else [c for c in text if not c.isspace()]
    if not words:
        return (), (), "", "absent: the sentence has no words"
    note = ""
    if len(words) > PARSE_MAX_WORDS:
        words, note = words[:PARSE_MAX_WORDS], f"its first {PARSE_MAX_WORDS} words; "
    try:
        from .dmv import DependencyModel, combined_tree, default_model_path

        dmv = DependencyModel.load(default_model_path())
        if model is None:
            heads = dmv.parse(words)
            how = ("the shipped Dependency Model with Valence (zhtext parse's default), "
                   "function words as leaves")
        else:
            from .probe import Probe

            probe = Probe(model, device=device)
            heads = combined_tree(dmv, words, probe.matrices([words])[0])
            how = (f"the shipped Dependency Model with Valence and Perturbed Masking with "
                   f"{Path(str(model)).name} on {probe.device}, layer {probe.layer} of {probe.num_layers} "
                   f"(zhtext parse --method combined); Eisner's projective decoder")
    except ZhtextError as err:
        return tuple(words), (), "", f"absent: {err}"
    except (RuntimeError, OSError, ValueError) as err:     # torch or the model failed
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        return tuple(words), (), "", f"absent: the masked language model failed ({first})"
    svg = dependency_svg(words, heads, title="dependency tree: " + " ".join(words))
    note += how
    return tuple(words), tuple(heads), svg, note


# ----------------------------------------------------------------------------- HTML
def _json_script(value) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>``, ``&``, U+2028 or U+2029 left as is."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _round(value: float, digits: int = 3):
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else round(value, digits)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _table_data(report: Report) -> dict:
    """What the page's script reads: the status names and one record per table row (``x``: the
    contexts as ``[left, right]``, the word between them)."""
    lex = report.lexicon
    rows = []
    for i, word in enumerate(lex.words):
        rows.append({"w": _clean(word), "c": int(lex.counts[i]), "coh": _round(lex.cohesion[i]),
                     "hl": _round(lex.left_entropy[i]), "hr": _round(lex.right_entropy[i]),
                     "s": _round(lex.score[i]), "k": _round(lex.keyness[i], 1), "st": report.status[i],
                     "j": jieba_safe(word),
                     "x": [[_clean(left), _clean(right)] for left, _, right in report.contexts[i]]})
    return {"status": STATUS_NAMES, "rows": rows}


def _render(report: Report) -> str:
    f = report.figures
    lex = report.lexicon
    parts = ["<!DOCTYPE html>", '<html lang="zh"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_text(report.title)}</title>",
             f"<style>{_CSS.replace('FONTS', FONT_FAMILY)}</style></head><body>",
             f'<header><h1>{_text(report.title)}</h1><p class="muted">made by zhtext {__version__}; '
             f"the page needs no network.</p>",
             '<nav><a href="#corpus">corpus</a> · <a href="#lexicon">lexicon</a> · '
             '<a href="#clusters">clusters</a> · <a href="#segmentation">segmentation</a> · '
             '<a href="#tree">tree</a></nav></header>']

    # corpus figures
    rows = [("files", ", ".join(f.sources)), ("bytes on disk", f"{f.disk_bytes:,}"),
            ("text (UTF-8 bytes)", f"{f.text_bytes:,}"), ("characters", f"{f.chars:,}"),
            ("lines", f"{f.lines:,}"), ("Han characters", f"{f.han:,} ({_share(f.han, f.chars)})"),
            ("script", f"{f.script}: traditional {_share(f.traditional, f.han)} "
                       f"({f.traditional:,}), simplified {_share(f.simplified, f.han)} "
                       f"({f.simplified:,}) of the Han characters; the rest are shared by both")]
    if f.replacements:
        rows.append(("replaced bytes", f"{f.replacements:,} undecodable sequences became U+FFFD"))
    parts.append('<section id="corpus"><h2>Corpus</h2><table class="figures">')
    parts.extend(f"<tr><th>{_text(k)}</th><td>{_text(v)}</td></tr>" for k, v in rows)
    parts.append('</table><p class="muted">Traditional: characters that folding to simplified '
                 "(OpenCC's table) changes; simplified: characters that are the simplified form of "
                 "another and not folded themselves (们, 这, 说).</p></section>")

    # lexicon
    counts = [sum(1 for s in report.status if s == k) for k in range(len(STATUS_NAMES))]
    parts.append('<section id="lexicon"><h2>Lexicon</h2>')
    parts.append(f"<p>{report.discovered:,} words of two or more characters discovered "
                 f"(min count {report.min_count}), {report.new_words:,} of them new against jieba's "
                 f"dictionary. The table holds {len(lex):,} words, the {report.settings['top']:,} best by "
                 f"{report.settings['rank']} and the {report.settings['new_top']:,} best new words by score: "
                 f'<span class="st-new">{counts[0]:,} new</span>, {counts[1]:,} known, '
                 f"{counts[2]:,} collocations of known words, {counts[3]:,} fragments of a known "
                 "word. Click a word for its contexts "
                 f"(the first {report.settings['contexts']} occurrences), a column head to sort; "
                 f"tick words to export them as a jieba user dictionary.</p>")
    parts.append('<div class="controls"><input id="q" type="search" placeholder="filter words" '
                 'aria-label="filter words"> <select id="status" aria-label="status">'
                 '<option value="">all words</option><option value="0">new</option>'
                 '<option value="1">known</option><option value="2">collocation</option><option value="3">fragment</option></select> '
                 '<label>min count <input id="mincount" type="number" min="0" value="0"></label> '
                 '<button id="tick-new" type="button">tick all new words</button> '
                 '<button id="untick" type="button">untick all</button> '
                 '<button id="export" type="button">export ticked as jieba dictionary</button> '
                 '<span id="ticked" class="muted">0 ticked</span> <span id="shown" class="muted"></span></div>')
    head = "".join(f'<th data-key="{k}" class="{c}">{h}</th>' for k, h, c in (
        ("i", "#", "num"), ("w", "word", ""), ("c", "count", "num"), ("coh", "cohesion", "num"),
        ("hl", "left entropy", "num"), ("hr", "right entropy", "num"), ("s", "score", "num"),
        ("k", "keyness", "num"), ("st", "status", "")))
    parts.append(f'<table id="words" class="words"><thead><tr><th class="tick">✓</th>{head}</tr></thead>'
                 '<tbody></tbody></table><div class="pager"><button id="prev" type="button">previous</button> '
                 '<span id="page" class="muted"></span> <button id="next" type="button">next</button> '
                 '<label class="muted">rows per page <select id="size"><option>100</option><option>500</option>'
                 '<option value="0">all</option></select></label></div>')
    parts.append("<noscript><p>The table needs JavaScript. Its first 100 words: "
                 + "、".join(f"{_text(w)} ({int(c):,})" for w, c in zip(lex.words[:100], lex.counts.tolist()))
                 + "</p></noscript>")
    if not len(lex):
        parts.append(f'<p class="note">No word reached the min count ({report.min_count}): the corpus '
                     f"is too small for discovery, or give a lower --min-count.</p>")
    parts.append(f'<script type="application/json" id="zhtext-data">{_json_script(_table_data(report))}</script>'
                 "</section>")

    # clusters
    parts.append('<section id="clusters"><h2>Word clusters</h2>')
    parts.append(f'<p class="muted">{_text(report.clusters_note)}</p>')
    if report.clusters:
        parts.append("<ol class=\"clusters\">")
        for words, size in zip(report.clusters, report.cluster_sizes):
            shown = f", the first {len(words)}" if size > len(words) else ""
            parts.append(f'<li><span class="muted">({size:,} words{shown})</span> '
                         + " ".join(f'<span class="w">{_text(w)}</span>' for w in words) + "</li>")
        parts.append("</ol>")
        parts.append(f'<div class="picture">{report.clusters_svg}</div>')
    parts.append("</section>")

    # segmentation
    parts.append('<section id="segmentation"><h2>Segmentation sample</h2>')
    parts.append(f'<p class="muted">The statistical segmenter {_text(report.segment_note)}.</p>')
    if report.segmented:
        parts.append('<ol class="segmented">')
        parts.extend("<li>" + " ".join(f'<span class="w">{_text(w)}</span>' for w in words) + "</li>"
                     for words in report.segmented)
        parts.append("</ol>")
    parts.append("</section>")

    # tree
    parts.append('<section id="tree"><h2>Dependency tree of a sample sentence</h2>')
    if report.parse_words:
        parts.append("<p>" + " ".join(f'<span class="w">{_text(w)}</span>' for w in report.parse_words)
                     + "</p>")
    parts.append(f'<p class="muted">{_text(report.parse_note)}</p>')
    if report.parse_svg:
        parts.append(f'<div class="picture">{report.parse_svg}</div>')
    parts.append("</section>")

    settings = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                         for k, v in report.settings.items())
    parts.append(f'<footer class="muted"><p>Settings: {_text(settings)}.</p></footer>')
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts) + "\n"


_CSS = """
body{font-family:FONTS;margin:0 auto;max-width:1200px;padding:0 1em 3em;color:#111;line-height:1.45}
h1{font-size:1.5em;margin:.8em 0 .2em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
.muted{color:#666;font-size:.9em}.note{color:#a33}
nav a{color:#2a5d8f}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}
table.figures th{color:#444;font-weight:normal;padding-right:2em}
table.words{width:100%;font-size:.95em}table.words thead th{position:sticky;top:0;background:#eef2f6;cursor:pointer;user-select:none}
table.words tbody tr:nth-child(even){background:#f7f7f7}
table.words td.num,table.words th.num{text-align:right;font-variant-numeric:tabular-nums}
table.words td.word a{color:#1f4e79;text-decoration:none;font-size:1.08em}
table.words tr.st-new td.word a{color:#b8570b;font-weight:bold}
th.sorted-up::after{content:" \\25B2"}th.sorted-down::after{content:" \\25BC"}
tr.ctx td{background:#fffbe8;padding:4px 12px}
.kwic{font-family:FONTS;white-space:pre;margin:1px 0}.kwic .l{display:inline-block;min-width:16em;text-align:right}
.kwic b{color:#b22222;padding:0 .3em}
.controls{margin:.6em 0;display:flex;flex-wrap:wrap;gap:.4em;align-items:center}
.controls input[type=number]{width:5em}
.st-new{color:#b8570b}
span.w{display:inline-block;border:1px solid #c8d3de;border-radius:3px;padding:0 3px;margin:1px 1px;background:#f4f8fb}
ol.segmented li,ol.clusters li{margin:.35em 0}
.pager{margin:.4em 0}
.picture{overflow:auto;max-width:100%;border:1px solid #eee}.picture svg{max-width:100%;height:auto}
"""

_JS = r"""
(function(){
"use strict";
var data=JSON.parse(document.getElementById("zhtext-data").textContent);
var rows=data.rows, names=data.status, table=document.getElementById("words"), tbody=table.tBodies[0];
var ticked=new Set(), view=[], page=0, sortKey="i", sortUp=true;
function $(id){return document.getElementById(id);}
var q=$("q"), st=$("status"), mc=$("mincount"), sizeBox=$("size");
function fixed(v){return v===null||v===undefined?"":v.toFixed(3);}
function cell(tr,text,cls){var td=document.createElement("td"); if(cls)td.className=cls;
  td.textContent=text; tr.appendChild(td); return td;}
function pageSize(){return Number(sizeBox.value)||rows.length||1;}
function render(){
  var size=pageSize(), pages=Math.max(1,Math.ceil(view.length/size));
  page=Math.min(Math.max(page,0),pages-1);
  var frag=document.createDocumentFragment();
  view.slice(page*size,(page+1)*size).forEach(function(i){var r=rows[i], tr=document.createElement("tr");
    tr.dataset.i=i; tr.className="st-"+names[r.st];
    var box=document.createElement("input"); box.type="checkbox"; box.dataset.i=i; box.checked=ticked.has(i);
    box.setAttribute("aria-label","tick"); cell(tr,"","tick").appendChild(box);
    cell(tr,String(i+1),"num");
    var a=document.createElement("a"); a.href="#"; a.dataset.i=i; a.textContent=r.w; cell(tr,"","word").appendChild(a);
    cell(tr,r.c.toLocaleString("en"),"num"); cell(tr,fixed(r.coh),"num"); cell(tr,fixed(r.hl),"num");
    cell(tr,fixed(r.hr),"num"); cell(tr,fixed(r.s),"num");
    cell(tr,r.k===null||r.k===undefined?"":r.k.toFixed(1),"num");
    cell(tr,names[r.st],"");
    frag.appendChild(tr);});
  tbody.textContent=""; tbody.appendChild(frag);
  var first=view.length?page*size+1:0, last=Math.min((page+1)*size,view.length);
  $("page").textContent="rows "+first+"–"+last+" of "+view.length;
  $("shown").textContent=view.length+" of "+rows.length+" words shown";
  $("prev").disabled=page===0; $("next").disabled=page>=pages-1;
}
function value(i,key){var r=rows[i]; if(key==="i")return i; if(key==="w")return r.w;
  var v=r[key]; return v===null||v===undefined?-Infinity:v;}
function rebuild(){
  var text=q.value.trim(), want=st.value, least=Number(mc.value)||0, key=sortKey;
  view=[]; rows.forEach(function(r,i){
    if((!text||r.w.indexOf(text)>=0)&&(want===""||String(r.st)===want)&&r.c>=least)view.push(i);});
  view.sort(function(a,b){var x=value(a,key), y=value(b,key);
    var c=(key==="w")?x.localeCompare(y,"zh"):(x<y?-1:x>y?1:0); if(c===0)c=a-b; return sortUp?c:-c;});
  page=0; render();
}
function sortBy(key){
  if(sortKey===key)sortUp=!sortUp; else{sortKey=key; sortUp=(key==="i"||key==="w"||key==="st");}
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){
    th.classList.remove("sorted-up","sorted-down");
    if(th.dataset.key===key)th.classList.add(sortUp?"sorted-up":"sorted-down");});
  rebuild();
}
function showContexts(tr){
  var next=tr.nextElementSibling;
  if(next&&next.classList.contains("ctx")){next.remove();return;}
  var r=rows[+tr.dataset.i], row=document.createElement("tr"), td=document.createElement("td");
  row.className="ctx"; td.colSpan=tr.cells.length;
  if(!r.x.length){td.textContent="no context found";}
  r.x.forEach(function(c){var line=document.createElement("div"); line.className="kwic";
    var l=document.createElement("span"); l.className="l"; l.textContent=c[0];
    var w=document.createElement("b"); w.textContent=r.w;
    var rt=document.createElement("span"); rt.textContent=c[1];
    line.appendChild(l); line.appendChild(w); line.appendChild(rt); td.appendChild(line);});
  row.appendChild(td); tr.parentNode.insertBefore(row,tr.nextSibling);
}
table.addEventListener("click",function(e){
  var t=e.target;
  if(t.tagName==="A"&&t.dataset.i!==undefined){e.preventDefault(); showContexts(t.closest("tr"));}
  else if(t.tagName==="TH"&&t.dataset.key){sortBy(t.dataset.key);}
});
function count(){$("ticked").textContent=ticked.size+" ticked";}
tbody.addEventListener("change",function(e){var t=e.target; if(t.type!=="checkbox")return;
  if(t.checked)ticked.add(+t.dataset.i); else ticked.delete(+t.dataset.i); count();});
function setTicks(test){rows.forEach(function(r,i){if(test(i))ticked.add(i); else ticked.delete(i);});
  Array.prototype.forEach.call(tbody.querySelectorAll("input[type=checkbox]"),function(box){
    box.checked=ticked.has(+box.dataset.i);}); count();}
$("tick-new").addEventListener("click",function(){setTicks(function(i){return ticked.has(i)||rows[i].st===0;});});
$("untick").addEventListener("click",function(){setTicks(function(){return false;});});
function dictionary(){var lines=[];
  Array.from(ticked).sort(function(a,b){return a-b;}).forEach(function(i){var r=rows[i];
    if(r.j)lines.push(r.w+" "+r.c);});
  return lines.length?lines.join("\n")+"\n":"";}
$("export").addEventListener("click",function(){
  var text=dictionary(); if(!text){alert("tick some words first");return;}
  var blob=new Blob([text],{type:"text/plain;charset=utf-8"}), a=document.createElement("a");
  a.href=URL.createObjectURL(blob); a.download="userdict.txt"; document.body.appendChild(a); a.click();
  setTimeout(function(){URL.revokeObjectURL(a.href); a.remove();},0);});
$("prev").addEventListener("click",function(){page--; render();});
$("next").addEventListener("click",function(){page++; render();});
sizeBox.addEventListener("change",function(){page=0; render();});
[q,st,mc].forEach(function(el){el.addEventListener("input",rebuild);});
window.zhtextReport={dictionary:dictionary,setTicks:setTicks,sortBy:sortBy,rows:rows};
rebuild(); count();
})();
"""
