"""Every example in README.md and docs/*.md runs as written from a source checkout (issue 14).

The fenced code blocks of each page run in order, in one temporary folder per page that holds
the checkout's ``corpora/`` and ``models/`` (symlinks) and, beside it, ``../shared/corpora``
where that exists; later blocks of a page may use the names and files of earlier ones.
``docs/benchmarks.md`` is left out: its blocks measure, over ``../shared``, they do not teach.

- ```` ```python ```` blocks run statement by statement in one namespace per page; ``>>>``
  blocks run with :mod:`doctest`. An expression whose comment (at the end of its line, or
  alone on the next line) starts with a Python literal, ``seg.cut("宝玉笑道")  # ['宝玉', '笑道']``,
  must equal it; other comments are prose.
- Shell blocks (```` ```sh ````, ``bash``, ``console``, none): each line that starts with
  ``zhtext `` or pipes into ``zhtext`` (``echo ... | zhtext ...``) runs with
  ``bash -e -o pipefail``, the ``zhtext`` console script of this Python first on PATH, and must
  exit 0 with no traceback. In a block with ``$`` prompts every ``$`` line is a command and the
  other lines are its output; ``$ cat FILE`` of a file no earlier line wrote shows the
  example's input, so the test writes the lines below it into FILE (and checks them against
  FILE when it exists). Other lines (output, formulas, ``pip install``) are not run.
- Blocks whose lines use ``../shared`` or ``$S/`` run only where ``../shared/corpora`` exists
  (``$S`` is set to it).
- ``<!-- no-test: REASON -->`` on the line before a block (blank lines between allowed) leaves
  the block out, e.g. a synopsis with placeholders or a run of more than a minute; the page
  says why. Such blocks are reported as skipped with their reason.
"""

from __future__ import annotations

import ast
import doctest
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO, SHARED

os.environ.setdefault("MPLBACKEND", "Agg")

PAGES = [REPO / "README.md"] + sorted(p for p in (REPO / "docs").glob("*.md") if p.name != "benchmarks.md")
SHELL_LANGS = {"", "sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$")
NO_TEST = re.compile(r"<!--\s*no-test\b:?\s*(.*?)\s*-->")
COMMAND = re.compile(r"^((echo|cat|head|printf)\s.*\|\s*)?zhtext\s+(-\S*|[a-z][a-z-]*)(\s|$)")
NEEDS_SHARED = re.compile(r"\.\./shared|\$S/|\$\{S\}/")
SLOW = re.compile(r"pretrain|parse|bert|vote|Probe|report|cluster-words|spacy|datasets|\.\./shared")


@dataclass
class Block:
    page: Path
    index: int
    line: int            # 1-based line of the first code line
    lang: str
    code: str
    skip: str | None     # the no-test reason

    @property
    def kind(self) -> str | None:
        if self.lang == "python":
            return "doctest" if any(l.lstrip().startswith(">>>") for l in self.code.splitlines()) else "python"
        if self.lang in SHELL_LANGS and commands(self.code):
            return "shell"
        return None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, with the no-test reason of each."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        j = i + 1
        while j < len(lines) and not (lines[j].strip().startswith(fence[0] * len(fence))
                                      and not lines[j].strip().strip(fence[0])):
            j += 1
        body = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in lines[i + 1:j]]
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marker = NO_TEST.search(lines[k]) if k >= 0 else None
        skip = (marker.group(1) or "marked no-test") if marker else None
        found.append(Block(page, len(found), i + 2, lang.lower(), "\n".join(body) + "\n", skip))
        i = j + 1
    return found


def commands(code: str) -> list[tuple[str, list[str]]]:
    """The shell commands of a block, each with the output lines shown after it."""
    lines = code.splitlines()
    prompted = any(l.startswith("$ ") for l in lines)
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if prompted:
            if line.startswith("$ "):
                out.append((line[2:].strip(), []))
            elif out:
                out[-1][1].append(line)
        elif COMMAND.match(line.strip()):
            out.append((line.strip(), []))
    return out


ALL = [b for page in PAGES for b in blocks(page)]
RUNNABLE = [b for b in ALL if b.kind]


def _params():
    for b in RUNNABLE:
        marks = []
        if SLOW.search(b.code):
            marks.append(pytest.mark.slow)
        if NEEDS_SHARED.search(b.code):
            marks.append(pytest.mark.shared)
        yield pytest.param(b, id=b.id, marks=marks)


# --- running --------------------------------------------------------------------------------

@dataclass
class PageState:
    folder: Path
    namespace: dict = field(default_factory=lambda: {"__name__": "__doc_example__"})
    done: dict = field(default_factory=dict)    # block index -> None (passed) or the failure


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    states: dict[Path, PageState] = {}

    def state(page: Path) -> PageState:
        if page not in states:
            root = tmp_path_factory.mktemp(page.stem)
            folder = root / "work"
            folder.mkdir()
            for name in ("corpora", "models"):
                (folder / name).symlink_to(REPO / name)
            if SHARED.is_dir():
                (root / "shared").mkdir()
                (root / "shared" / "corpora").symlink_to(SHARED)
            states[page] = PageState(folder)
        return states[page]

    return state


def literal_prefix(comment: str):
    """The Python literal a comment starts with (``['宝玉', '笑道']: jieba's offsets``), or a
    sentinel when it starts with none."""
    text = comment.strip()
    if not text or text[0] not in "[({'\"":
        return NOTHING
    for end in range(len(text), 0, -1):
        if text[end - 1] not in ")]}'\"":
            continue
        try:
            return ast.literal_eval(text[:end])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return NOTHING


NOTHING = object()


def expected_output(lines: list[str], stmt: ast.stmt):
    """The literal shown for an expression statement: its line's trailing comment, or a comment
    line right after it."""
    last = lines[stmt.end_lineno - 1]
    tail = last[stmt.end_col_offset:]
    if "#" in tail:
        return literal_prefix(tail.split("#", 1)[1])
    if stmt.end_lineno < len(lines) and lines[stmt.end_lineno].lstrip().startswith("#"):
        return literal_prefix(lines[stmt.end_lineno].lstrip()[1:])
    return NOTHING


def run_python(block: Block, state: PageState) -> None:
    lines = block.code.splitlines()
    tree = ast.parse(block.code, filename=block.id)
    for stmt in tree.body:
        where = f"{block.page.name}:{block.line + stmt.lineno - 1}"
        if isinstance(stmt, ast.Expr):
            value = eval(compile(ast.Expression(stmt.value), where, "eval"), state.namespace)
            want = expected_output(lines, stmt)
            if want is not NOTHING:
                assert value == want, f"{where}: {ast.unparse(stmt)} gives {value!r}, the page shows {want!r}"
        else:
            exec(compile(ast.Module([stmt], type_ignores=[]), where, "exec"), state.namespace)


def run_doctest(block: Block, state: PageState) -> None:
    test = doctest.DocTestParser().get_doctest(block.code, state.namespace, block.id, str(block.page),
                                               block.line - 1)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=report.append, clear_globs=False)
    assert not runner.failures, "".join(report)


def shell_env() -> dict:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    env["S"] = str(SHARED)
    return env


def run_shell(block: Block, state: PageState) -> None:
    env = shell_env()
    for command, shown in commands(block.code):
        cat = re.fullmatch(r"cat\s+(\S+)\s*(#.*)?", command)
        if cat:
            target = state.folder / cat.group(1)
            want = [l for l in shown if l.strip()]
            if not target.exists():
                target.write_text("\n".join(want) + "\n", encoding="utf-8")
            else:
                have = [l for l in target.read_text(encoding="utf-8").splitlines() if l.strip()]
                assert have == want, f"{block.id}: {target.name} holds {have}, the page shows {want}"
            continue
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=state.folder, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{block.id}: {command!r} failed ({result.returncode}):\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, f"{block.id}: {command!r}:\n{result.stderr[-2000:]}"


RUNNERS = {"python": run_python, "doctest": run_doctest, "shell": run_shell}


def run_block(block: Block, state: PageState) -> None:
    if block.index in state.done:
        if state.done[block.index] is not None:
            raise AssertionError(f"{block.id} failed before: {state.done[block.index]}")
        return
    if block.skip:
        pytest.skip(f"{block.id}: no-test: {block.skip}")
    if NEEDS_SHARED.search(block.code) and not SHARED.is_dir():
        pytest.skip(f"{block.id} needs ../shared/corpora")
    for module in ("torch", "transformers", "spacy", "sklearn", "datasets", "matplotlib", "jieba"):
        if re.search(rf"\bimport {module}\b|\bfrom {module}\b", block.code):
            pytest.importorskip(module)
    old = Path.cwd()
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch else None
    os.chdir(state.folder)
    try:
        RUNNERS[block.kind](block, state)
    except BaseException as error:
        state.done[block.index] = f"{type(error).__name__}: {str(error)[:300]}"
        raise
    finally:
        os.chdir(old)
        if threads is not None:        # an example's threads=1 must not slow the tests after it
            torch.set_num_threads(threads)
    state.done[block.index] = None


# --- tests ----------------------------------------------------------------------------------

def test_pages_have_examples():
    assert len(PAGES) > 10
    assert {b.page for b in RUNNABLE} >= {REPO / "README.md", REPO / "docs" / "segmentation.md"}


def test_skipped_blocks_say_why():
    for block in ALL:
        if block.skip is not None:
            assert block.skip != "marked no-test", f"{block.id}: say why after 'no-test:'"


def test_blocks_left_to_the_help_tests_are_help_examples():
    """A block left out as examples of ``zhtext COMMAND --help`` holds only such examples."""
    from test_help_examples import examples

    for block in ALL:
        named = re.search(r"`zhtext ([a-z-]+) --help`", block.skip or "")
        if named:
            helped = set(examples(named.group(1)))
            for command, _ in commands(block.code):
                assert command in helped, f"{block.id}: {command!r} is not in zhtext {named.group(1)} --help"


@pytest.mark.parametrize("block", list(_params()))
def test_doc_example(block, pages):
    state = pages(block.page)
    for earlier in RUNNABLE:           # a block may use what the page's earlier blocks made
        if earlier.page == block.page and earlier.index < block.index and earlier.index not in state.done:
            if earlier.skip or (NEEDS_SHARED.search(earlier.code) and not SHARED.is_dir()):
                continue
            try:
                run_block(earlier, state)
            except AssertionError as error:
                raise AssertionError(f"an earlier block failed: {error}") from error
    run_block(block, state)
