"""Interrupting a writing command at any moment loses nothing and leaves nothing behind.

For each command that writes a file, the real console script is started and
sent SIGINT or SIGTERM at 12 random moments spread over an uninterrupted
run's duration. Each time: no traceback; either the run had finished (status
0), or it says ``zhtext COMMAND: interrupted`` with status 130 / 143, or the
signal came before zhtext's handlers were installed (interpreter start-up) or
after they left (exit) and killed it (status -signal); the target
is absent or equal to the uninterrupted run's; no temporary file is left in
the output folder or in ``$TMPDIR`` (where standard input is spooled).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

MOMENTS = 12
_TIMED = ("training_report.json", "checkpoint.pt")
TINY_LM = ["--max-steps", "3", "--layers", "1", "--hidden", "16", "--heads", "2", "--intermediate", "16",
           "--batch-size", "4", "--seq-len", "32", "--threads", "1", "--checkpoint-every", "1"]

# command -> (arguments after the input, the target, whether the input comes on stdin)
COMMANDS = {
    "ngrams": (["-o", "{out}/stats.tsv"], "stats.tsv", False),
    "discover": (["-o", "{out}/lexicon.tsv"], "lexicon.tsv", False),
    "segment": (["-o", "{out}/text.seg"], "text.seg", True),
    "segment --jobs": (["--model", "{inputs}/model.npz", "--jobs", "2", "-o", "{out}/text.seg"],
                       "text.seg", False),
    "fit": (["-o", "{out}/model.npz"], "model.npz", False),
    "graph": (["-o", "{out}/graph.tsv", "--min-count", "2"], "graph.tsv", True),
    "cluster-words": (["-o", "{out}/clusters.txt", "--kind", "cooc", "--min-count", "2"], "clusters.txt", False),
    "communities": (["-o", "{out}/modules.tsv"], "modules.tsv", False),
    "parse": (["-o", "{out}/trees.conllu"], "trees.conllu", False),
    "pretrain": (["-o", "{out}/lm"] + TINY_LM, "lm", False),
    "report": (["-o", "{out}/report.html", "--no-parse", "--no-clusters"], "report.html", False),
}


def command_line(command: str, folder: Path, corpus: Path) -> tuple[list[str], bool]:
    rest, _, stdin = COMMANDS[command]
    source = corpus
    if command == "communities":
        source = corpus.parent / "edges.tsv"
    elif command == "parse":
        source = corpus.parent / "short.txt"
    exe = Path(sys.executable).with_name("zhtext")
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "zhtext"]
    return head + [command.split()[0], "-" if stdin else str(source)] + \
        [a.format(out=folder, inputs=corpus.parent) for a in rest], stdin


def run(command: str, folder: Path, corpus: Path, delay: float | None = None, sig=signal.SIGINT):
    """Run once, interrupted after ``delay`` seconds if given; returns (status, stderr, seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    argv, stdin = command_line(command, folder, corpus)
    env = {**os.environ, "TMPDIR": str(corpus.parent / "tmp")}
    start = time.monotonic()
    process = subprocess.Popen(argv, stdin=open(corpus, "rb") if stdin else subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if delay is not None:
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(sig)
    stderr = process.communicate(timeout=300)[1].decode("utf-8", "replace")
    return process.returncode, stderr, time.monotonic() - start


def content(path: Path) -> dict[str, bytes] | None:
    """A file's bytes, or a folder's files' bytes (None if absent)."""
    if not path.exists():
        return None
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())}
    return {"": path.read_bytes()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    lines = (REPO / "corpora" / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:300]
    (folder / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "short.txt").write_text("我们在北京上学。\n他说今天的天气很好。\n", encoding="utf-8")
    words = "宝玉 黛玉 宝钗 袭人 晴雯 凤姐 贾母 王夫人 平儿 鸳鸯 香菱 探春".split()
    rng = random.Random(1)
    (folder / "edges.tsv").write_text("".join(f"{rng.choice(words)} {rng.choice(words)} {rng.randint(1, 5)}\n"
                                              for _ in range(3000)), encoding="utf-8")
    (folder / "tmp").mkdir()
    subprocess.run([sys.executable, "-m", "zhtext", "fit", str(folder / "corpus.txt"), "-o",
                    str(folder / "model.npz"), "-q"], check=True)
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_interrupted_at_random_moments(command, inputs, tmp_path):
    corpus = inputs / "corpus.txt"
    target_name = COMMANDS[command][1]
    status, stderr, seconds = run(command, tmp_path / "reference", corpus)
    assert status == 0, stderr
    reference = content(tmp_path / "reference" / target_name)
    if command == "pretrain":   # the report and the checkpoint hold timings: compare the model
        reference = {k: v for k, v in reference.items() if k not in _TIMED}
    rng = random.Random(f"interrupt-{command}")
    for moment in range(MOMENTS):
        folder = tmp_path / f"run{moment}"
        sig = (signal.SIGINT, signal.SIGTERM)[moment % 2]
        status, stderr, _ = run(command, folder, corpus, delay=rng.uniform(0.05, seconds * 1.1), sig=sig)
        where = f"{command}, moment {moment}, {sig.name}: {stderr[-1500:]}"
        assert "Traceback" not in stderr, where
        # -sig: the signal came outside zhtext's handlers, while the interpreter started (nothing
        # written yet) or as the finished process exited; the target is absent or whole (below)
        if status not in (0, -sig):
            assert status == 128 + sig, where
            last = stderr.rstrip().splitlines()[-1]
            assert last.endswith(f"zhtext {command.split()[0]}: interrupted"), where
        left = sorted(p.name for p in folder.iterdir() if p.name != target_name)
        assert not left, f"debris {left}: {where}"
        assert not list((inputs / "tmp").glob("zhtext-*")), f"spooled input left: {where}"
        got = content(folder / target_name)
        if command == "pretrain" and got is not None:
            if set(got) == {"checkpoint.pt"}:   # interrupted while training: a resumable checkpoint
                continue
            assert not [name for name in got if name.startswith(".")], f"temporary in the folder: {where}"
            got = {k: v for k, v in got.items() if k not in _TIMED}
        assert got is None or got == reference, f"target differs from the uninterrupted run: {where}"
