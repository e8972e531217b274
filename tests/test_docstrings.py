"""The examples in the docstrings of the public API run and print what they show.

Every entry point of ``zhtext`` (``zhtext._ENTRY_POINTS``) and the methods users call
on them carry numpydoc docstrings whose ``Examples`` are doctests. Each object is one
case: its examples run with :mod:`doctest` in a fresh namespace (they import what they
use), from the repository root (they read ``corpora/`` and ``models/``), and must print
exactly what the docstring shows. The masked-LM examples are skipped where torch or
transformers is not installed.
"""

from __future__ import annotations

import contextlib
import doctest
import inspect
import io
from pathlib import Path

import pytest

import zhtext

REPO = Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

DOCUMENTED = {
    "Corpus": ["from_files", "from_texts", "total_bytes", "pieces", "blocks"],
    "NgramStats": ["fit", "count", "probability", "cohesion", "left_entropy", "right_entropy", "score",
                   "scores", "rows", "strings", "records", "to_tsv", "save", "load"],
    "WordDiscoverer": ["fit", "new_words"],
    "Lexicon": ["from_columns", "load", "save", "ranked", "top", "select", "with_min_length", "without",
                "to_dict"],
    "Segmenter": ["fit", "load", "save", "cut", "cut_lines", "tokenize", "spans", "render",
                  "segment_corpus", "add_words", "score", "words", "average"],
    "default_base_path": [],
    "score": [],
    "WordGraph": ["from_networkx", "to_networkx", "lines"],
    "cooccurrence_graph": [],
    "similarity_graph": [],
    "infomap": [],
    "map_equation": [],
    "Probe": ["matrices", "bands", "matrix_naive", "layer_index"],
    "BertSegmenter": ["calibrate", "cut", "cut_lines", "bands"],
    "VoteSegmenter": ["cut_lines", "votes"],
    "dependency_tree": [],
    "top_down": [],
    "DependencyTree": ["draw"],
    "ConstituencyTree": ["draw"],
    "read_conllu": [],
}
"""Each entry point, and its methods whose docstrings have examples."""

MODULE_FUNCTIONS = ["discover.discover", "graphs.tokenize"]
"""Functions outside ``_ENTRY_POINTS`` whose examples are run too (``module.name``)."""

NEEDS_BERT = {"Probe", "BertSegmenter", "VoteSegmenter"}
DATA_CLASSES = {"Lexicon", "WordGraph", "DependencyTree", "ConstituencyTree", "NgramStats", "Segmenter"}
"""Entry points documented by ``Attributes``: data, or models made by ``fit``/``load``, not by hand."""


def _cases() -> list[tuple[str, object]]:
    cases = []
    for name, methods in DOCUMENTED.items():
        owner = getattr(zhtext, name)
        cases.append((name, owner))
        cases += [(f"{name}.{method}", inspect.getattr_static(owner, method)) for method in methods]
    for dotted in MODULE_FUNCTIONS:
        module, name = dotted.split(".")
        cases.append((dotted, getattr(getattr(zhtext, module), name)))
    return cases


CASES = _cases()


def _function(obj):
    """The function behind a method, classmethod, staticmethod or property."""
    if isinstance(obj, property):
        return obj.fget
    return getattr(obj, "__func__", obj)


@pytest.fixture
def at_repo(monkeypatch):
    """The repository root as working directory, and no environment variable that would choose
    another shipped model than the examples show."""
    monkeypatch.chdir(REPO)
    for variable in ("ZHTEXT_BASE", "ZHTEXT_MODEL", "ZHTEXT_ALLOW_DOWNLOAD"):
        monkeypatch.delenv(variable, raising=False)


def _one_blas_thread():
    """BLAS in one thread while the examples run, where threadpoolctl is installed: on a busy
    machine OpenBLAS threads spinning against other work made each ``numpy.linalg.qr`` of
    :func:`zhtext.similarity_graph` take 0.4 s instead of 1 ms. The outputs are the same."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run_examples(name: str, obj) -> tuple[int, int, str]:
    """``(attempted, failed, report)`` of the doctests of ``obj``'s own docstring (not its members')."""
    target = _function(obj)
    finder = doctest.DocTestFinder(recurse=False)
    tests = finder.find(target, name, module=inspect.getmodule(target), globs={})
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    with _one_blas_thread():
        for test in tests:
            runner.run(test, out=report.write)
    results = runner.summarize(verbose=False)
    return results.attempted, results.failed, report.getvalue()


@pytest.mark.parametrize("name,obj", CASES, ids=[name for name, _ in CASES])
def test_examples_run(name, obj, at_repo):
    if name.split(".")[0] in NEEDS_BERT:
        pytest.importorskip("torch")
        pytest.importorskip("transformers")
    attempted, failed, report = run_examples(name, obj)
    assert attempted, f"{name}: no example in its docstring"
    assert not failed, report


@pytest.mark.parametrize("name", sorted(zhtext._ENTRY_POINTS))
def test_entry_point_has_numpydoc_sections(name):
    obj = getattr(zhtext, name)
    doc = inspect.getdoc(obj) or ""
    described = "Attributes" if name in DATA_CLASSES else "Parameters"
    if described == "Attributes" or inspect.signature(obj).parameters:   # none for default_base_path()
        assert f"\n{described}\n" in doc, f"{name}: no {described} section"
    assert "\nExamples\n" in doc, f"{name}: no Examples section"
    if not inspect.isclass(obj):
        assert "\nReturns\n" in doc or "\nYields\n" in doc, f"{name}: no Returns section"


def test_every_entry_point_is_run():
    assert set(DOCUMENTED) == set(zhtext._ENTRY_POINTS)


def test_a_wrong_output_fails(at_repo):
    """The runner sees a wrong output: the same example with its output changed fails."""
    def example():
        """
        >>> from zhtext import Corpus
        >>> next(iter(Corpus.from_files("corpora/hongloumeng.txt")))
        '《红楼梦》曹雪芹'
        """

    assert run_examples("example", example)[:2] == (2, 0)
    example.__doc__ = example.__doc__.replace("曹雪芹'", "高鹗'")
    attempted, failed, report = run_examples("example", example)
    assert (attempted, failed) == (2, 1) and "高鹗" in report
