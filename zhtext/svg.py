"""Pictures as SVG, written by hand: the text stays text, so any browser shows Chinese.

displaCy's habit (spaCy): a picture is markup whose words are ``<text>``
elements, set in the reader's own CJK fonts, not glyphs baked into pixels.
Every builder here returns one ``<svg>`` element as a string with
``xml:lang="zh"`` and the font stack :data:`FONT_FAMILY` (from
:data:`CJK_FAMILIES`, the one list of CJK families in zhtext, which
:mod:`zhtext.plots` also searches for PNG). Everything that comes from a
corpus is XML-escaped, and characters XML cannot hold (C0 controls, lone
surrogates) become U+FFFD, so the result always parses.

* :func:`dependency_svg`: words on a baseline, an arc from each head to its
  dependent with the arrowhead at the dependent, the root marked ``ROOT``;
* :func:`constituency_svg`: a bracketing drawn as a tree, leaves = words;
* :func:`heatmap_svg`: a matrix as a grid of coloured cells (viridis) with the
  words on both axes and a colour scale;
* :func:`cluster_svg`: word clusters as a graph, modules on a circle, each
  module's words on rings around its centre (:func:`cluster_layout`);
* :func:`lexicon_html`: a :class:`zhtext.lexicon.Lexicon` as an HTML table
  (for a notebook's ``_repr_html_``).

Layout needs text widths without a font at hand: a character that Unicode
calls wide (East Asian Width W or F: ideographs, kana, most emoji) counts one
em, a combining or format character none, any other 0.6 em.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from html import escape as _html_escape
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from .atomic import atomic_open
from .errors import InputError

if TYPE_CHECKING:
    from .trees import Tree

__all__ = ["CJK_FAMILIES", "FONT_FAMILY", "dependency_svg", "constituency_svg", "heatmap_svg",
           "cluster_svg", "cluster_layout", "lexicon_html", "write_svg", "text_width"]

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "SimHei", "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback")
"""Font families that cover simplified Chinese, most wanted first (SVG font stack, PNG search)."""

FONT_FAMILY = ", ".join([f"'{family}'" for family in CJK_FAMILIES] + ["sans-serif"])
"""The CSS ``font-family`` of every picture: :data:`CJK_FAMILIES`, then the browser's sans-serif."""

ARC = "#4682b4"        # steelblue: arcs and tree lines
ROOT = "#b22222"       # firebrick: the root
MUTED = "#888888"      # indices, captions
_VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30",
            "#fde725")
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
            "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")   # tab20, the dark shades first
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


# -- text -------------------------------------------------------------------------------
def _clean(text) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def _text(text) -> str:
    """Character data: ``& < >`` escaped, characters XML cannot hold replaced."""
    return _html_escape(_clean(text), quote=False)


def _attr(text) -> str:
    """An attribute value (to go between double quotes)."""
    return _html_escape(_clean(text), quote=False).replace('"', "&quot;")


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` at font size ``size`` (module docstring)."""
    width = 0.0
    for char in str(text):
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.6
    return width * size


def _n(x: float) -> str:
    """A coordinate, one decimal at most."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(width: float, height: float, body: Iterable[str], title: str, kind: str) -> str:
    """The root element: size, language, font stack, a white background, a title."""
    width, height = math.ceil(width), math.ceil(height)
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" xml:lang="zh" lang="zh" class="zhtext-{kind}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{_attr(FONT_FAMILY)}">',
        f"<title>{_text(title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        *body,
        "</svg>"])


def write_svg(svg: str, path: str | os.PathLike) -> None:
    """Write an SVG string as a UTF-8 file (atomically), with its XML declaration."""
    with atomic_open(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")


def _columns(forms: Sequence[str], size: float, least: float, pad: float, margin: float):
    """x centres of words set side by side, each column at least ``least`` wide; total width."""
    centres, x = [], margin
    for form in forms:
        width = max(least, text_width(form, size) + pad)
        centres.append(x + width / 2)
        x += width
    return centres, x + margin


def _forms(forms) -> list[str]:
    if isinstance(forms, str):
        raise InputError("pass the words as a list (e.g. text.split() or list(text)), not one string")
    forms = [str(f) for f in forms]
    if not forms:
        raise InputError("nothing to draw: the sentence has no words")
    return forms


# -- dependency tree ----------------------------------------------------------------------
def dependency_svg(forms: Sequence[str], heads: Sequence[int], deprels: Sequence[str] | None = None,
                   title: str | None = None) -> str:
    """A dependency tree as arcs over the words (displaCy's picture).

    Parameters
    ----------
    forms : the words, in order.
    heads : CoNLL-U heads, one per word: 1-based, 0 for the root.
    deprels : optional relation labels, written at the top of each arc.

    Returns
    -------
    One ``<svg>`` element. An arc goes from the head to the dependent, with
    its arrowhead at the dependent; arcs over longer spans sit higher
    (displaCy's levels: one per distinct span length); the root gets a red
    vertical arrow labelled ``ROOT``.
    """
    forms = _forms(forms)
    n = len(forms)
    heads = [int(h) for h in heads]
    if len(heads) != n or any(not 0 <= h <= n for h in heads):
        raise InputError(f"heads must be {n} numbers from 0 (root) to {n}, one per word")
    if deprels is not None and len(deprels) != n:
        raise InputError(f"deprels must be {n} labels, one per word")
    size, small = 16, 11
    xs, width = _columns(forms, size, 56, 22, 16)
    spans = sorted({abs(h - d) for d, h in enumerate(heads, 1) if h})
    level = {span: k for k, span in enumerate(spans, 1)}
    unit = max(8.0, min(30.0, 480.0 / max(len(spans), 1)))
    label_room = 16 if deprels is not None else 0
    arcs_top = 34 + label_room                                       # ROOT label above
    y_arc = arcs_top + unit * (len(spans) + 1)                        # where arcs land
    y_word = y_arc + 24
    body = ['<g class="arcs" fill="none" stroke-width="1.6">']
    labels = []
    for d, h in enumerate(heads, 1):
        x2 = xs[d - 1]
        if h == 0:
            body.append(f'<path class="root" d="M{_n(x2)},{_n(arcs_top)} V{_n(y_arc)}" stroke="{ROOT}"/>')
            body.append(_arrowhead(x2, y_arc, ROOT))
            labels.append(f'<text class="root-label" x="{_n(x2)}" y="{_n(arcs_top - 6)}" '
                          f'text-anchor="middle" font-size="{small}" fill="{ROOT}">ROOT</text>')
            top = arcs_top
        else:
            x1 = xs[h - 1] + (4 if d > h else -4)
            rise = unit * level[abs(h - d)] / 0.75          # a cubic's peak is 3/4 of its control height
            body.append(f'<path class="arc" d="M{_n(x1)},{_n(y_arc)} C{_n(x1)},{_n(y_arc - rise)} '
                        f'{_n(x2)},{_n(y_arc - rise)} {_n(x2)},{_n(y_arc)}" stroke="{ARC}">'
                        f"<title>{_text(forms[h - 1])} → {_text(forms[d - 1])}</title></path>")
            body.append(_arrowhead(x2, y_arc, ARC))
            top = y_arc - 0.75 * rise
        if deprels is not None and deprels[d - 1] and h:
            x_label = (x1 + x2) / 2
            labels.append(f'<text class="deprel" x="{_n(x_label)}" y="{_n(top - 4)}" text-anchor="middle" '
                          f'font-size="{small}" fill="#333" stroke="white" stroke-width="3" '
                          f'paint-order="stroke">{_text(deprels[d - 1])}</text>')
    body.append("</g>")
    body.extend(labels)
    body.append(f'<g class="words" font-size="{size}" text-anchor="middle" fill="#111">')
    body.extend(f'<text class="word" x="{_n(x)}" y="{_n(y_word)}">{_text(form)}</text>'
                for x, form in zip(xs, forms))
    body.append("</g>")
    body.append(f'<g class="indices" font-size="10" text-anchor="middle" fill="{MUTED}">')
    body.extend(f'<text x="{_n(x)}" y="{_n(y_word + 16)}">{k}</text>' for k, x in enumerate(xs, 1))
    body.append("</g>")
    return _svg(width, y_word + 26, body, title or "dependency tree: " + " ".join(forms), "dependency")


def _arrowhead(x: float, y: float, colour: str) -> str:
    """A small triangle pointing down onto ``(x, y)``."""
    return (f'<path class="arrow" d="M{_n(x - 4)},{_n(y - 8)} L{_n(x + 4)},{_n(y - 8)} L{_n(x)},{_n(y)} Z" '
            f'fill="{colour}" stroke="none"/>')


# -- constituency tree ---------------------------------------------------------------------
def constituency_svg(tree: Tree, forms: Sequence[str], title: str | None = None) -> str:
    """A constituency tree (:data:`zhtext.trees.Tree`: a leaf index or a tuple of subtrees).

    Leaves are the words on a baseline; each bracket is a node drawn above its
    children at a height of one step per level above its tallest child, joined
    to them by a horizontal bar and vertical drops (a dendrogram).
    """
    forms = _forms(forms)
    n = len(forms)
    size = 16
    xs, width = _columns(forms, size, 44, 18, 16)
    # post-order without recursion (a 1,000-word chain is 1,000 levels deep)
    place: dict[int, tuple[float, int]] = {}      # id(node) -> (x, height)
    internal = []                                  # (x, height, [(child x, child height)])
    stack = [(tree, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, tuple):
            if not node:
                raise InputError("a constituency tree has an empty bracket")
            if done:
                kids = [place[id(child)] for child in node]
                x, height = (kids[0][0] + kids[-1][0]) / 2, max(h for _, h in kids) + 1
                place[id(node)] = (x, height)
                internal.append((x, height, kids))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node))
        else:
            if isinstance(node, bool) or not isinstance(node, (int, np.integer)) or not 0 <= node < n:
                raise InputError(f"a constituency tree leaf must be a word index 0..{n - 1}, not {node!r}")
            place[id(node)] = (xs[int(node)], 0)
    height = place[id(tree)][1]
    unit = max(8.0, min(34.0, 560.0 / max(height, 1)))
    y_leaf = 20 + unit * height + 8                  # top of the leaves' stubs

    def y(h: int) -> float:
        return y_leaf - unit * h if h else y_leaf

    body = [f'<g class="brackets" fill="none" stroke="{ARC}" stroke-width="1.4">']
    for x, h, kids in internal:
        xs_kids = [kx for kx, _ in kids]
        body.append(f'<path d="M{_n(min(xs_kids))},{_n(y(h))} H{_n(max(xs_kids))}"/>')
        body.extend(f'<path d="M{_n(kx)},{_n(y(h))} V{_n(y(kh))}"/>' for kx, kh in kids)
    body.append("</g>")
    body.append(f'<g class="nodes" fill="{ARC}">')
    body.extend(f'<circle cx="{_n(x)}" cy="{_n(y(h))}" r="2.5"/>' for x, h, _ in internal)
    if not internal:
        body.append(f'<circle cx="{_n(xs[0])}" cy="{_n(y_leaf)}" r="2.5"/>')
    body.append("</g>")
    y_word = y_leaf + 22
    body.append(f'<g class="words" font-size="{size}" text-anchor="middle" fill="#111">')
    body.extend(f'<text class="word" x="{_n(x)}" y="{_n(y_word)}">{_text(form)}</text>'
                for x, form in zip(xs, forms))
    body.append("</g>")
    return _svg(width, y_word + 12, body, title or "constituency tree: " + " ".join(forms),
                "constituency")


# -- heat map ---------------------------------------------------------------------------------
def viridis(t: float) -> str:
    """The colour of ``t`` in [0, 1] on viridis (linear between nine anchors)."""
    t = min(max(float(t), 0.0), 1.0) * (len(_VIRIDIS) - 1)
    k = min(int(t), len(_VIRIDIS) - 2)
    a, b = _VIRIDIS[k], _VIRIDIS[k + 1]
    mix = [round(int(a[i:i + 2], 16) + (t - k) * (int(b[i:i + 2], 16) - int(a[i:i + 2], 16)))
           for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def heatmap_svg(matrix, rows: Sequence[str], columns: Sequence[str] | None = None,
                row_caption: str = "probed: i", column_caption: str = "masked as well: j",
                scale_caption: str = "F(i, j)", title: str | None = None) -> str:
    """A matrix as a grid of coloured cells, labelled on both axes, with a colour scale.

    Parameters
    ----------
    matrix : shape ``(len(rows), len(columns))``; NaN cells are grey.
    rows, columns : the labels (``columns`` defaults to ``rows``); column
        labels are turned a quarter left, so words of any length fit.

    The colour runs over viridis from the smallest finite value to the largest.
    """
    rows = _forms(rows)
    columns = rows if columns is None else _forms(columns)
    values = np.asarray(matrix, dtype=np.float64)
    if values.shape != (len(rows), len(columns)):
        raise InputError(f"the matrix is {values.shape}, but there are {len(rows)} row and "
                         f"{len(columns)} column labels")
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    spread = high - low if high > low else 1.0
    n = max(len(rows), len(columns))
    cell = max(10.0, min(26.0, 900.0 / n))
    size = max(8.0, min(13.0, cell * 0.75))
    left = 34 + max(text_width(r, size) for r in rows) + 8
    top = 30 + max(text_width(c, size) for c in columns) + 8
    grid_w, grid_h = cell * len(columns), cell * len(rows)
    tips = values.size <= 2500
    body = ['<g class="cells">']
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            v = values[i, j]
            colour = viridis((v - low) / spread) if math.isfinite(v) else "#dddddd"
            rect = (f'<rect x="{_n(left + j * cell)}" y="{_n(top + i * cell)}" width="{_n(cell)}" '
                    f'height="{_n(cell)}" fill="{colour}"')
            body.append(f"{rect}><title>{_text(row)} · {_text(column)}: {v:.4g}</title></rect>"
                        if tips else rect + "/>")
    body.append("</g>")
    body.append(f'<g class="labels" font-size="{_n(size)}" fill="#111">')
    body.extend(f'<text class="row" x="{_n(left - 6)}" y="{_n(top + (i + 0.5) * cell)}" text-anchor="end" '
                f'dominant-baseline="central">{_text(r)}</text>' for i, r in enumerate(rows))
    for j, c in enumerate(columns):
        x, y0 = left + (j + 0.5) * cell, top - 6
        body.append(f'<text class="column" x="{_n(x)}" y="{_n(y0)}" transform="rotate(-90 {_n(x)} {_n(y0)})" '
                    f'dominant-baseline="central">{_text(c)}</text>')
    body.append("</g>")
    body.append(f'<text class="caption" x="{_n(left + grid_w / 2)}" y="18" text-anchor="middle" '
                f'font-size="12" fill="{MUTED}">{_text(column_caption)}</text>')
    yc = top + grid_h / 2
    body.append(f'<text class="caption" x="16" y="{_n(yc)}" text-anchor="middle" font-size="12" '
                f'fill="{MUTED}" transform="rotate(-90 16 {_n(yc)})">{_text(row_caption)}</text>')
    # the colour scale: a gradient bar, low at the bottom
    bar_x, bar_h = left + grid_w + 24, max(120.0, min(grid_h, 320.0))
    stops = "".join(f'<stop offset="{k / (len(_VIRIDIS) - 1):.3f}" stop-color="{c}"/>'
                    for k, c in enumerate(reversed(_VIRIDIS)))
    body.append(f'<defs><linearGradient id="zhtext-scale" x1="0" y1="0" x2="0" y2="1">{stops}'
                f"</linearGradient></defs>")
    body.append(f'<g class="scale" font-size="11" fill="#111"><rect x="{_n(bar_x)}" y="{_n(top)}" width="14" '
                f'height="{_n(bar_h)}" fill="url(#zhtext-scale)" stroke="#999" stroke-width="0.5"/>')
    for frac in (0.0, 0.5, 1.0):
        value = high - frac * (high - low)
        body.append(f'<text x="{_n(bar_x + 20)}" y="{_n(top + frac * bar_h)}" '
                    f'dominant-baseline="central">{value:.3g}</text>')
    body.append(f'<text class="caption" x="{_n(bar_x)}" y="{_n(top - 10)}" fill="{MUTED}">'
                f"{_text(scale_caption)}</text></g>")
    width = bar_x + 20 + max(text_width(f"{v:.3g}", 11) for v in (low, high, (low + high) / 2)) + 16
    width = max(width, bar_x + text_width(scale_caption, 11) + 10)
    height = max(top + grid_h, top + bar_h) + 16
    return _svg(width, height, body, title or "impact heat map: " + " ".join(rows), "heatmap")


# -- word clusters ----------------------------------------------------------------------------
_RING = 58.0       # px between a module's rings of words


def cluster_layout(clusters: Sequence[Sequence[str]]) -> tuple[dict, list]:
    """Deterministic positions for drawn clusters: ``({word: (x, y)}, [(cx, cy, radius)])``.

    Module ``k`` of ``m`` sits on a circle (clockwise from the top, in the
    order given); inside a module the first word (the most central) is at
    the centre and the others fill rings of 6, 12, 18, ... places. The circle
    is just wide enough that neighbouring modules do not overlap. Coordinates
    are px around (0, 0), y down; a word in two clusters keeps its first place.
    """
    local, radii = [], []
    for words in clusters:
        spots, ring, taken = [], 0, 0
        for k, _ in enumerate(words):
            if k == 0:
                spots.append((0.0, 0.0))
                continue
            if taken == 6 * ring:
                ring, taken = ring + 1, 0
            places = 6 * ring
            angle = 2 * math.pi * taken / places + 0.4 * ring
            spots.append((ring * _RING * math.cos(angle), ring * _RING * math.sin(angle)))
            taken += 1
        local.append(spots)
        radii.append(ring * _RING + 34)
    m = len(clusters)
    widest = max(radii, default=0.0)
    big = 0.0 if m <= 1 else (2 * widest + 20) / (2 * math.sin(math.pi / m))
    positions, centres = {}, []
    for k, (words, spots) in enumerate(zip(clusters, local)):
        angle = -math.pi / 2 + 2 * math.pi * k / max(m, 1)
        cx, cy = big * math.cos(angle), big * math.sin(angle)
        centres.append((cx, cy, radii[k]))
        for word, (dx, dy) in zip(words, spots):
            positions.setdefault(word, (cx + dx, cy + dy))
    return positions, centres


def cluster_svg(clusters: Sequence[Sequence[str]], edges: Iterable[tuple[str, str, float]] = (),
                flow: Mapping[str, float] | None = None, title: str | None = None) -> str:
    """Word clusters as a labelled graph (:func:`cluster_layout`), one colour per module.

    Parameters
    ----------
    clusters : the words of each cluster, the most central first.
    edges : ``(word, word, weight)``; edges to words not drawn are left out;
        darker for heavier.
    flow : optional node weights (e.g. InfoMap flow): bigger dots for more.
    """
    clusters = [[str(w) for w in words] for words in clusters if len(words)]
    if not clusters:
        raise InputError("nothing to draw: no cluster has a word")
    positions, centres = cluster_layout(clusters)
    module = {}
    for k, words in enumerate(clusters):
        for word in words:
            module.setdefault(word, k)
    size = 13
    top_flow = max((flow.get(w, 0.0) for w in positions), default=0.0) if flow else 0.0

    def radius(word: str) -> float:
        return 4 + 10 * math.sqrt(flow.get(word, 0.0) / top_flow) if top_flow > 0 else 6.0

    drawn = [(u, v, float(w)) for u, v, w in edges if u in positions and v in positions and u != v]
    heaviest = max((w for *_, w in drawn), default=1.0) or 1.0
    xs = [x for x, _ in positions.values()] + [cx + s * r for cx, _, r in centres for s in (-1, 1)]
    ys = [y for _, y in positions.values()] + [cy + s * r for _, cy, r in centres for s in (-1, 1)]
    widest = max(text_width(w, size) for w in positions)
    pad_x, pad_top = 20 + widest / 2, 50
    dx, dy = pad_x - min(xs), pad_top - min(ys)
    width, height = max(xs) - min(xs) + 2 * pad_x, max(ys) - min(ys) + pad_top + 40
    body = ['<g class="modules" stroke="none">']
    body.extend(f'<circle cx="{_n(cx + dx)}" cy="{_n(cy + dy)}" r="{_n(r)}" '
                f'fill="{_PALETTE[k % len(_PALETTE)]}" fill-opacity="0.07"/>'
                for k, (cx, cy, r) in enumerate(centres))
    body.append('</g><g class="edges" stroke="#666" stroke-width="0.8">')
    for u, v, w in drawn:
        (x1, y1), (x2, y2) = positions[u], positions[v]
        body.append(f'<line x1="{_n(x1 + dx)}" y1="{_n(y1 + dy)}" x2="{_n(x2 + dx)}" y2="{_n(y2 + dy)}" '
                    f'stroke-opacity="{0.08 + 0.35 * max(w, 0) / heaviest:.2f}"/>')
    body.append('</g><g class="nodes" stroke="white" stroke-width="1">')
    body.extend(f'<circle cx="{_n(x + dx)}" cy="{_n(y + dy)}" r="{_n(radius(word))}" '
                f'fill="{_PALETTE[module[word] % len(_PALETTE)]}"/>' for word, (x, y) in positions.items())
    body.append(f'</g><g class="labels" font-size="{size}" text-anchor="middle" fill="#111" '
                f'stroke="white" stroke-width="3" paint-order="stroke">')
    body.extend(f'<text class="word" x="{_n(x + dx)}" y="{_n(y + dy + radius(word) + size)}">'
                f"{_text(word)}</text>" for word, (x, y) in positions.items())
    body.append("</g>")
    heading = title or f"{len(clusters)} word clusters"
    body.append(f'<text class="caption" x="{_n(width / 2)}" y="26" text-anchor="middle" font-size="15" '
                f'fill="#333">{_text(heading)}</text>')
    return _svg(max(width, text_width(heading, 15) + 40), height, body, heading, "clusters")


# -- lexicon ------------------------------------------------------------------------------------
def lexicon_html(lexicon, limit: int = 50) -> str:
    """The first ``limit`` entries of a :class:`~zhtext.lexicon.Lexicon` as an HTML table.

    Columns: rank, word, count, cohesion, left and right entropy, score, and
    keyness when the lexicon has it (NaN shown as an empty cell); words are
    HTML-escaped. For ``_repr_html_``.
    """
    total = len(lexicon.words)
    shown = min(max(int(limit), 0), total)
    names = ["cohesion", "left_entropy", "right_entropy", "score"]
    if total and not np.isnan(lexicon.keyness).all():
        names.append("keyness")
    head = "".join(f"<th>{h}</th>" for h in ("#", "word", "count", *(n.replace("_", " ") for n in names)))
    rows = []
    for i in range(shown):
        stats = "".join(f'<td style="text-align:right">{_number(getattr(lexicon, name)[i])}</td>'
                        for name in names)
        rows.append(f'<tr><td style="text-align:right">{i + 1}</td><td>{_html(lexicon.words[i])}</td>'
                    f'<td style="text-align:right">{int(lexicon.counts[i]):,}</td>{stats}</tr>')
    caption = f"Lexicon: {total:,} words" + (f", the first {shown:,} shown" if shown < total else "")
    return (f'<table class="zhtext-lexicon" lang="zh" style="font-family:{_html(FONT_FAMILY)}">'
            f"<caption>{_html(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _html(text) -> str:
    return _html_escape(_clean(text), quote=True)


def _number(value) -> str:
    value = float(value)
    return "" if math.isnan(value) else f"{value:.4f}"
