"""Pictures of a sentence (its dependency or constituency tree, its impact heat map) and of word clusters.

The format follows the file name:

* ``.svg`` (the default in the CLI's examples): drawn by :mod:`zhtext.svg`,
  pure Python, no matplotlib; the words stay text, so a browser shows any
  script with its own fonts.
* ``.png``: rendered with matplotlib (the optional extra ``zhtext[plot]``,
  imported only here) in **one font that has a glyph for every character of
  every label**, so a PNG never shows boxes. The font is, in this order, the
  ``font`` argument (the CLI's ``--font PATH``), the file named by the
  environment variable ``ZHTEXT_FONT``, or the first installed family of
  :data:`zhtext.svg.CJK_FAMILIES` (then DejaVu Sans, matplotlib's own, for
  labels without Chinese) that covers the labels; the optional extra
  ``zhtext[fonts]`` installs Noto Sans CJK SC for this (:data:`FONT_EXTRA`); coverage is read from the
  font's character map (matplotlib's ``FT2Font.get_charmap``). With no such
  font, :func:`png_font` raises :class:`~zhtext.errors.InputError` saying how
  to get one.

Files are written atomically (:mod:`zhtext.atomic`).
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from . import svg
from .atomic import atomic_open
from .errors import InputError
from .svg import CJK_FAMILIES
from .trees import Tree

__all__ = ["FORMATS", "FONT_ENV", "picture_format", "png_font", "cjk_font", "draw_dependency",
           "draw_constituency", "draw_heatmap", "draw_clusters"]

FORMATS = ("svg", "png")
FONT_ENV = "ZHTEXT_FONT"
FALLBACK_FAMILY = "DejaVu Sans"     # ships with matplotlib: enough for labels without Chinese
# the fixed text of the PNG pictures, checked along with the labels
_CAPTIONS = ("ROOT", "masked as well: j", "probed: i", "F(i, j)", "0123456789.-e+")
_FIX = ("pip install 'zhtext[fonts]' (Noto Sans CJK SC), or pass a font file that has them with --font "
        "PATH or ZHTEXT_FONT=PATH, or write .svg, which the browser draws with its own fonts")


def picture_format(path: str | os.PathLike) -> str:
    """``"svg"`` or ``"png"`` from the file name; an :class:`InputError` for anything else."""
    kind = Path(path).suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise InputError(f"{path}: a picture must end in .svg or .png")
    return kind


# -- fonts for PNG ----------------------------------------------------------------------
@dataclass(frozen=True)
class Font:
    """The font a PNG is drawn in: a file, and the family entry matplotlib knows it by (if any)."""

    path: str
    family: str | None = None
    weight: object = "normal"
    style: str = "normal"

    def properties(self):
        """matplotlib ``FontProperties`` that select exactly this font."""
        from matplotlib.font_manager import FontProperties
        if self.family is None:
            return FontProperties(fname=self.path)
        return FontProperties(family=self.family, weight=self.weight, style=self.style)


@functools.lru_cache(maxsize=64)
def _charmap(path: str, face: int = 0) -> frozenset:
    """Code points with a glyph in face ``face`` of a font file."""
    from matplotlib.ft2font import FT2Font
    try:
        font = FT2Font(path, face_index=face) if face else FT2Font(path)
    except (OSError, RuntimeError, ValueError, TypeError) as err:
        raise InputError(f"{path}: not a font file matplotlib can read ({err})") from None
    return frozenset(font.get_charmap())


def _missing(chars: Iterable[str], path: str, face: int = 0) -> list[str]:
    have = _charmap(path, face)
    return [c for c in chars if ord(c) not in have]


def _show(chars: Sequence[str]) -> str:
    shown = ", ".join(f"{c if c.isprintable() else ''} U+{ord(c):04X}".strip() for c in chars[:5])
    return shown + (f" and {len(chars) - 5} more" if len(chars) > 5 else "")


FONT_EXTRA = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf")
"""The font of the ``zhtext[fonts]`` extra: Noto Sans CJK SC (SIL Open Font Licence) as the
PyPI package ``mplfonts`` carries it."""


@functools.lru_cache(maxsize=1)
def _register_extra_font() -> None:
    """Make matplotlib know the font of :data:`FONT_EXTRA` when that package is installed: added
    to its font manager in memory (``addfont``), nothing written into matplotlib's folders, the
    package itself not imported."""
    import importlib.util

    from matplotlib import font_manager
    spec = importlib.util.find_spec(FONT_EXTRA[0])
    path = Path(spec.origin).parent / FONT_EXTRA[1] if spec is not None and spec.origin else None
    if path is not None and path.is_file():
        font_manager.fontManager.addfont(str(path))


def _installed() -> list:
    """matplotlib's font entries of :data:`CJK_FAMILIES` (in that order), then DejaVu Sans; the
    font of the ``zhtext[fonts]`` extra included."""
    from matplotlib import font_manager
    _register_extra_font()
    entries = font_manager.fontManager.ttflist
    order = {family: k for k, family in enumerate(CJK_FAMILIES + (FALLBACK_FAMILY,))}
    regular = [e for e in entries if e.name in order and e.style == "normal"]
    return sorted(regular, key=lambda e: (order[e.name], abs(_weight(e.weight) - 400)))


def _weight(weight) -> int:
    names = {"ultralight": 100, "light": 300, "normal": 400, "regular": 400, "book": 400,
             "medium": 500, "semibold": 600, "demibold": 600, "bold": 700, "heavy": 800, "black": 900}
    return int(weight) if isinstance(weight, (int, float)) else names.get(str(weight).lower(), 400)


def png_font(texts: Iterable[str], font: str | os.PathLike | None = None) -> Font:
    """The font to draw ``texts`` in a PNG: one with a glyph for every character (module docstring).

    Raises :class:`InputError` (one line: which characters, and how to get a
    font) when the named font, or every installed candidate, lacks one.
    """
    chars = sorted({c for text in list(texts) + list(_CAPTIONS) for c in str(text)})
    named = font if font is not None else (os.environ.get(FONT_ENV) or None)
    if named is not None:
        source = "--font" if font is not None else FONT_ENV
        path = os.fspath(named)
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such font file (from {source})")
        missing = _missing(chars, path)
        if missing:
            raise InputError(f"{path}: the font has no glyph for {_show(missing)}; {_FIX}")
        return Font(path)
    best: list[str] | None = None
    for entry in _installed():
        try:
            missing = _missing(chars, entry.fname, getattr(entry, "index", 0))
        except InputError:
            continue
        if not missing:
            return Font(entry.fname, entry.name, entry.weight, entry.style)
        best = missing if best is None or len(missing) < len(best) else best
    best = best if best is not None else ([c for c in chars if ord(c) > 0x7F] or chars)
    raise InputError(f"no installed font has a glyph for {_show(best)}: {_FIX}")


def cjk_font() -> str | None:
    """The first installed font family of :data:`CJK_FAMILIES`, or None."""
    try:
        from matplotlib import font_manager
    except ImportError:
        return None
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def _matplotlib():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise InputError("PNG pictures need matplotlib: pip install 'zhtext[plot]' (or write .svg)") from None
    return matplotlib, Figure


@contextlib.contextmanager
def _figure(path: str | os.PathLike, width: float, height: float, font: Font, dpi: float = 100):
    """A matplotlib Figure, saved as PNG to ``path`` when the block ends; text in ``font``."""
    matplotlib, Figure = _matplotlib()
    properties = font.properties()
    style = {"axes.unicode_minus": False}       # U+2212 is missing from many CJK fonts
    if font.family is not None:                 # a font by path is passed to every text instead
        style.update({"font.family": properties.get_family(), "font.weight": properties.get_weight()})
    with matplotlib.rc_context(style):
        figure = Figure(figsize=(width, height), dpi=dpi)
        yield figure, properties
        with atomic_open(path, "wb") as handle:
            figure.savefig(handle, format="png", bbox_inches="tight")


# -- the pictures -------------------------------------------------------------------------
def draw_dependency(tokens: Sequence[str], heads: Sequence[int], path: str | os.PathLike, *,
                    deprels: Sequence[str] | None = None, font: str | os.PathLike | None = None) -> None:
    """Arcs above the sentence from each head to its dependents (arrowheads at the dependent).

    ``heads`` as in CoNLL-U: 1-based, 0 for the root, which gets a vertical
    arrow. ``.svg``: :func:`zhtext.svg.dependency_svg`; ``.png``: matplotlib
    in :func:`png_font` (``font``: a font file to use instead).
    """
    kind = picture_format(path)
    drawn = svg.dependency_svg(tokens, heads, deprels)   # checks the input for the PNG too
    if kind == "svg":
        svg.write_svg(drawn, path)
        return
    chosen = png_font(list(tokens) + list(deprels or ()), font)
    n = len(tokens)
    # an arc3 curve with rad r between points a distance D apart peaks r·D/2 above them
    top = 0.5 + max([0.25 * abs(h - d) for d, h in enumerate(heads, 1) if h] + [0.5])
    with _figure(path, min(max(3.0, 0.6 * n), 200.0), 1.0 + 0.4 * top, chosen) as (figure, fp):
        axes = figure.add_subplot()
        for d, h in enumerate(heads, 1):
            if h == 0:
                axes.annotate("", xy=(d, 0.1), xytext=(d, top),
                              arrowprops={"arrowstyle": "->", "color": svg.ROOT})
                axes.text(d, top, "ROOT", ha="center", va="bottom", fontsize=8, fontproperties=fp, parse_math=False)
            else:
                axes.annotate("", xy=(d, 0.1), xytext=(h, 0.1),
                              arrowprops={"arrowstyle": "->", "color": svg.ARC,
                                          "connectionstyle": f"arc3,rad={-0.5 if h < d else 0.5}"})
                if deprels and deprels[d - 1]:
                    axes.text((d + h) / 2, 0.1 + 0.25 * abs(h - d), deprels[d - 1], ha="center",
                              va="bottom", fontsize=7, fontproperties=fp, parse_math=False)
        for k, token in enumerate(tokens, 1):
            axes.text(k, 0, token, ha="center", va="top", fontsize=11, fontproperties=fp, parse_math=False)
        axes.set_xlim(0.3, n + 0.7)
        axes.set_ylim(-0.6, top + 0.4)
        axes.axis("off")


def draw_constituency(tree: Tree, tokens: Sequence[str], path: str | os.PathLike, *,
                      font: str | os.PathLike | None = None) -> None:
    """A constituency tree drawn top-down: each node above the middle of its children.

    ``.svg``: :func:`zhtext.svg.constituency_svg`; ``.png``: matplotlib in :func:`png_font`.
    """
    kind = picture_format(path)
    drawn = svg.constituency_svg(tree, tokens)   # checks the input for the PNG too
    if kind == "svg":
        svg.write_svg(drawn, path)
        return
    chosen = png_font(tokens, font)
    lines, nodes = [], []

    def place(node: Tree) -> tuple[float, int]:
        """``(x, depth from the leaves)`` of a node; collects the edges."""
        if not isinstance(node, tuple):
            return float(node), 0
        kids = [place(child) for child in node]
        x, h = (kids[0][0] + kids[-1][0]) / 2, max(k[1] for k in kids) + 1
        lines.extend(((x, h), kid) for kid in kids)
        nodes.append((x, h))
        return x, h

    _, height = place(tree)
    with _figure(path, min(max(3.0, 0.6 * len(tokens)), 200.0), max(2.0, 0.45 * height + 1),
                 chosen) as (figure, fp):
        axes = figure.add_subplot()
        for (xa, ya), (xb, yb) in lines:
            axes.plot([xa, xb], [ya, yb], color=svg.ARC, linewidth=1)
        if nodes:
            axes.scatter(*zip(*nodes), s=8, color=svg.ARC)
        for k, token in enumerate(tokens):
            axes.text(k, -0.15, token, ha="center", va="top", fontsize=11, fontproperties=fp, parse_math=False)
        axes.set_xlim(-0.7, len(tokens) - 0.3)
        axes.set_ylim(-1.0, height + 0.3)
        axes.axis("off")


def draw_heatmap(matrix: np.ndarray, tokens: Sequence[str], path: str | os.PathLike, *,
                 font: str | os.PathLike | None = None) -> None:
    """The impact matrix: row i, column j is F(i, j), the impact of token j on token i.

    ``.svg``: :func:`zhtext.svg.heatmap_svg`; ``.png``: matplotlib in :func:`png_font`.
    """
    kind = picture_format(path)
    drawn = svg.heatmap_svg(matrix, tokens)   # checks the input for the PNG too
    if kind == "svg":
        svg.write_svg(drawn, path)
        return
    chosen = png_font(tokens, font)
    n = len(tokens)
    side = min(max(3.0, 0.35 * n + 1.5), 120.0)
    with _figure(path, side + 1, side, chosen) as (figure, fp):
        axes = figure.add_subplot()
        image = axes.imshow(np.asarray(matrix, dtype=np.float64), cmap="viridis")
        axes.set_xticks(range(n))
        axes.set_xticklabels(tokens, fontproperties=fp, parse_math=False, fontsize=8)
        axes.set_yticks(range(n))
        axes.set_yticklabels(tokens, fontproperties=fp, parse_math=False, fontsize=8)
        axes.set_xlabel("masked as well: j", fontproperties=fp, parse_math=False)
        axes.set_ylabel("probed: i", fontproperties=fp, parse_math=False)
        bar = figure.colorbar(image, ax=axes)
        bar.set_label("F(i, j)", fontproperties=fp, parse_math=False)


def draw_clusters(clusters: Sequence[Sequence[str]], path: str | os.PathLike, *,
                  edges: Iterable[tuple[str, str, float]] = (), flow: Mapping[str, float] | None = None,
                  title: str | None = None, font: str | os.PathLike | None = None) -> None:
    """Word clusters as a labelled graph, one colour per module (``zhtext cluster-words --plot``).

    Both formats use :func:`zhtext.svg.cluster_layout`, so the SVG and the PNG
    of the same clusters agree. ``edges``: ``(word, word, weight)``; ``flow``:
    node weights for the dot sizes; every word keeps its label.
    """
    edges = list(edges)
    if picture_format(path) == "svg":
        svg.write_svg(svg.cluster_svg(clusters, edges, flow, title), path)
        return
    clusters = [[str(w) for w in words] for words in clusters if len(words)]
    svg.cluster_svg(clusters, (), None, title)      # the same checks of the input
    heading = title or f"{len(clusters)} word clusters"
    chosen = png_font([w for words in clusters for w in words] + [heading], font)
    positions, centres = svg.cluster_layout(clusters)
    module = {}
    for k, words in enumerate(clusters):
        for word in words:
            module.setdefault(word, k)
    top_flow = max((flow.get(w, 0.0) for w in positions), default=0.0) if flow else 0.0
    xs = [cx + s * r for cx, _, r in centres for s in (-1, 1)]
    ys = [cy + s * r for _, cy, r in centres for s in (-1, 1)]
    span_x, span_y = max(xs) - min(xs) + 120, max(ys) - min(ys) + 120
    scale = min(1.0, 40.0 / max(span_x / 72, span_y / 72))     # at most 40 inches a side
    with _figure(path, span_x / 72 * scale, span_y / 72 * scale, chosen, dpi=120) as (figure, fp):
        axes = figure.add_axes((0, 0, 1, 1))
        drawn = [(u, v, float(w)) for u, v, w in edges if u in positions and v in positions and u != v]
        heaviest = max((w for *_, w in drawn), default=1.0) or 1.0
        for u, v, w in drawn:
            (x1, y1), (x2, y2) = positions[u], positions[v]
            axes.plot([x1, x2], [-y1, -y2], color="#666666", linewidth=0.6,
                      alpha=0.08 + 0.35 * max(w, 0) / heaviest, zorder=1)
        palette = svg._PALETTE
        words = list(positions)
        sizes = [(4 + 10 * np.sqrt(flow.get(w, 0.0) / top_flow) if top_flow > 0 else 6.0) for w in words]
        axes.scatter([positions[w][0] for w in words], [-positions[w][1] for w in words],
                     s=[(2 * r * 0.75 * scale) ** 2 for r in sizes],
                     c=[palette[module[w] % len(palette)] for w in words], zorder=2,
                     edgecolors="white", linewidths=0.5)
        for word, r in zip(words, sizes):
            x, y = positions[word]
            axes.text(x, -y - r - 4, word, ha="center", va="top", fontsize=max(5.0, 10 * scale),
                      fontproperties=fp, parse_math=False, zorder=3)
        axes.set_title(heading, fontproperties=fp, parse_math=False)
        axes.set_xlim(min(xs) - 60, max(xs) + 60)
        axes.set_ylim(-max(ys) - 60, -min(ys) + 60)
        axes.set_aspect("equal")
        axes.axis("off")
