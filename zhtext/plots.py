"""Pictures of a sentence: its dependency or constituency tree, and its impact heat map.

The format follows the file name: ``.svg`` (text kept as text, so any browser
shows Chinese with its own fonts) or ``.png`` (rendered with the first CJK
font matplotlib finds; see :func:`cjk_font`). Files are written atomically.
matplotlib is the optional extra ``zhtext[plot]``, imported only here.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from .atomic import atomic_open
from .errors import InputError
from .trees import Tree

FORMATS = ("svg", "png")
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
                "AR PL UMing CN", "Droid Sans Fallback")


def _matplotlib():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise InputError("pictures need matplotlib: pip install 'zhtext[plot]'") from None
    return matplotlib, Figure


def cjk_font() -> str | None:
    """The first installed font family of :data:`CJK_FAMILIES`, or None (PNG text then shows boxes)."""
    from matplotlib import font_manager
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def picture_format(path: str | os.PathLike) -> str:
    """``"svg"`` or ``"png"`` from the file name; an :class:`InputError` for anything else."""
    kind = Path(path).suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise InputError(f"{path}: a picture must end in .svg or .png")
    return kind


@contextlib.contextmanager
def _figure(path: str | os.PathLike, width: float, height: float):
    """A matplotlib Figure saved to ``path`` (format from the suffix) when the block ends."""
    kind = picture_format(path)
    matplotlib, Figure = _matplotlib()
    family = cjk_font()
    style = {"svg.fonttype": "none",
             "font.family": ["sans-serif"],
             "font.sans-serif": ([family] if family else []) + ["DejaVu Sans"]}
    with matplotlib.rc_context(style), warnings.catch_warnings():
        warnings.simplefilter("ignore")     # missing glyphs in PNG without a CJK font
        figure = Figure(figsize=(width, height))
        yield figure
        with atomic_open(path, "wb") as handle:
            figure.savefig(handle, format=kind, bbox_inches="tight")


def draw_dependency(tokens: Sequence[str], heads: Sequence[int], path: str | os.PathLike) -> None:
    """Arcs above the sentence from each head to its dependents (arrowheads at the dependent).

    ``heads`` as in CoNLL-U: 1-based, 0 for the root, which gets a vertical arrow.
    """
    n = len(tokens)
    # an arc3 curve with rad r between points a distance D apart peaks r·D/2 above them
    top = 0.5 + max([0.25 * abs(h - d) for d, h in enumerate(heads, 1) if h] + [0.5])
    with _figure(path, max(3.0, 0.6 * n), 1.0 + 0.4 * top) as figure:
        axes = figure.add_subplot()
        for d, h in enumerate(heads, 1):
            if h == 0:
                axes.annotate("", xy=(d, 0.1), xytext=(d, top),
                              arrowprops={"arrowstyle": "->", "color": "firebrick"})
                axes.text(d, top, "ROOT", ha="center", va="bottom", fontsize=8)
            else:
                axes.annotate("", xy=(d, 0.1), xytext=(h, 0.1),
                              arrowprops={"arrowstyle": "->", "color": "steelblue",
                                          "connectionstyle": f"arc3,rad={-0.5 if h < d else 0.5}"})
        for k, token in enumerate(tokens, 1):
            axes.text(k, 0, token, ha="center", va="top", fontsize=11)
        axes.set_xlim(0.3, n + 0.7)
        axes.set_ylim(-0.6, top + 0.4)
        axes.axis("off")


def draw_constituency(tree: Tree, tokens: Sequence[str], path: str | os.PathLike) -> None:
    """A binary tree drawn top-down: each node above the middle of its children."""
    lines, nodes = [], []

    def place(node: Tree) -> tuple[float, int]:
        """``(x, depth from the leaves)`` of a node; collects the edges."""
        if not isinstance(node, tuple):
            return float(node), 0
        (x0, h0), (x1, h1) = place(node[0]), place(node[1])
        x, h = (x0 + x1) / 2, max(h0, h1) + 1
        lines.extend([((x, h), (x0, h0)), ((x, h), (x1, h1))])
        nodes.append((x, h))
        return x, h

    _, height = place(tree)
    with _figure(path, max(3.0, 0.6 * len(tokens)), max(2.0, 0.45 * height + 1)) as figure:
        axes = figure.add_subplot()
        for (xa, ya), (xb, yb) in lines:
            axes.plot([xa, xb], [ya, yb], color="steelblue", linewidth=1)
        if nodes:
            axes.scatter(*zip(*nodes), s=8, color="steelblue")
        for k, token in enumerate(tokens):
            axes.text(k, -0.15, token, ha="center", va="top", fontsize=11)
        axes.set_xlim(-0.7, len(tokens) - 0.3)
        axes.set_ylim(-1.0, height + 0.3)
        axes.axis("off")


def draw_heatmap(matrix: np.ndarray, tokens: Sequence[str], path: str | os.PathLike) -> None:
    """The impact matrix: row i, column j is F(i, j), the impact of token j on token i."""
    n = len(tokens)
    side = max(3.0, 0.35 * n + 1.5)
    with _figure(path, side + 1, side) as figure:
        axes = figure.add_subplot()
        image = axes.imshow(np.asarray(matrix), cmap="viridis")
        axes.set_xticks(range(n), tokens, fontsize=8)
        axes.set_yticks(range(n), tokens, fontsize=8)
        axes.set_xlabel("masked as well: j")
        axes.set_ylabel("probed: i")
        figure.colorbar(image, ax=axes, label="F(i, j)")
