"""zhtext: unsupervised Chinese text analysis.

The data path reads left to right::

    text -> Corpus (zhtext.corpus) -> encoded integer arrays (zhtext.encode)
         -> n-gram table (zhtext.ngrams) -> Lexicon (zhtext.discover, zhtext.lexicon)
         -> segmenter / word graph -> communities

Nothing here holds global state: every model is an object you fit and keep.

The main entry points are reachable from this package, imported on first use
(``import zhtext`` loads neither NumPy's kernels nor Numba nor torch)::

    >>> import zhtext
    >>> from pathlib import Path
    >>> seg = zhtext.Segmenter.fit(Path("corpora/hongloumeng.txt"))   # from a checkout
    >>> seg.cut("宝玉笑道：“你们在这里做什么？”")
    ['宝玉', '笑道', '：', '“', '你们', '在这里', '做', '什么', '？', '”']

Every submodule (``zhtext.segment``, ``zhtext.discover``, ``zhtext.ngrams``,
...) is reachable the same way.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_ENTRY_POINTS = {
    "Corpus": "corpus",
    "NgramStats": "ngrams",
    "WordDiscoverer": "discover",
    "Lexicon": "lexicon",
    "Segmenter": "segment",
    "default_base_path": "segment",
    "score": "evaluate",
    "WordGraph": "graphs",
    "cooccurrence_graph": "graphs",
    "similarity_graph": "graphs",
    "infomap": "community",
    "map_equation": "community",
    "Probe": "probe",
    "BertSegmenter": "probe",
    "VoteSegmenter": "vote",
    "dependency_tree": "trees",
    "top_down": "trees",
    "DependencyTree": "trees",
    "ConstituencyTree": "trees",
    "read_conllu": "conllu",
}
_SUBMODULES = ("atomic", "community", "conllu", "corpus", "discover", "encode", "errors", "evaluate",
               "graphs", "integrations", "lexicon", "ngrams", "plots", "pretrain", "probe", "report", "script",
               "segment", "svg", "tokens", "trees", "vote")

__all__ = sorted(_ENTRY_POINTS) + ["__version__"]


def __getattr__(name: str):
    """Import an entry point or a submodule when it is first used."""
    if name in _ENTRY_POINTS:
        value = getattr(importlib.import_module(f".{_ENTRY_POINTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'zhtext' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ENTRY_POINTS) | set(_SUBMODULES))
