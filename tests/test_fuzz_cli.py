"""Fuzzing every subcommand: bad input is a one-line error or a result, never a traceback.

A seeded generator makes the inputs (random bytes, random Unicode of every
script, text in the wrong encoding, empty files, one huge line, damaged
models) and runs them through ``zhtext_cli.main.main`` in this process, so
that hundreds of cases take seconds. A case passes when ``main`` returns
(any escaping exception is the traceback a user would see) with status 0, or
with status 2 and exactly one line on stderr, ``zhtext COMMAND: error: ...``.
"""

from __future__ import annotations

import contextlib
import io
import random
import shutil
from pathlib import Path

import pytest

from conftest import REPO
from zhtext_cli.main import main

CASES = {"ngrams": 90, "discover": 90, "segment": 90, "fit": 60, "eval": 60, "graph": 40,
         "communities": 60, "cluster-words": 20, "parse": 15, "pretrain": 10, "model": 40,
         "report": 15}
MODEL = REPO / "models" / "zhtext-char-bert-small"

_SCRIPTS = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x0020, 0x007E), (0x3000, 0x303F),
            (0xFF00, 0xFFEF), (0x0300, 0x036F), (0x1F300, 0x1FAFF), (0x0400, 0x04FF), (0x0600, 0x06FF),
            (0x0000, 0x001F), (0x200B, 0x200F), (0xAC00, 0xD7A3), (0x3040, 0x30FF)]
_TRADITIONAL = "這個問題從來沒有人說過，學習與實踐會讓經驗變得豐富。"


def random_text(rng: random.Random, size: int) -> str:
    """Unicode from a mix of scripts, with newlines, CRs, tabs and repeated words."""
    out = []
    while len(out) < size:
        kind = rng.random()
        if kind < 0.15:
            out.append(rng.choice("\n\n\r\n\t 。，"))
        elif kind < 0.3:
            start = rng.randrange(len(_TRADITIONAL) - 4)
            out.extend(_TRADITIONAL[start: start + rng.randint(2, 4)])
        else:
            lo, hi = rng.choice(_SCRIPTS)
            char = chr(rng.randint(lo, hi))
            if not 0xD800 <= ord(char) <= 0xDFFF:
                out.append(char)
    return "".join(out)


def random_input(rng: random.Random) -> bytes:
    """One input file's bytes, of one of the kinds bad input comes in."""
    kind = rng.randrange(8)
    if kind == 0:
        return b""
    if kind == 1:
        return rng.randbytes(rng.randint(1, 3000))
    if kind == 2:
        return random_text(rng, rng.randint(1, 2000)).encode("utf-8")
    if kind == 3:   # the wrong encoding for the default UTF-8
        return random_text(rng, 500).encode(rng.choice(["gb18030", "utf-16-le", "big5"]), "ignore")
    if kind == 4:   # valid text with one byte damaged
        data = bytearray((_TRADITIONAL * 20 + "\n").encode("utf-8"))
        data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 5:   # one huge line: longer than a piece
        return ("红楼梦" * rng.randint(120_000, 400_000)).encode("utf-8")
    if kind == 6:
        return "\n".join(" ".join(random_text(rng, rng.randint(1, 4)).split()) for _ in range(50)).encode()
    return (REPO / "corpora" / "gsdsimp_dev_sample.txt").read_bytes()[: rng.randint(0, 3402)]


def damaged(data: bytes, rng: random.Random) -> bytes:
    """``data`` truncated, or with a run of flipped bytes."""
    if rng.random() < 0.4:
        return data[: rng.randrange(len(data))]
    out = bytearray(data)
    at = rng.randrange(len(out))
    for k in range(at, min(len(out), at + rng.randint(1, 16))):
        out[k] ^= rng.randrange(1, 256)
    return bytes(out)


def options(rng: random.Random) -> list[str]:
    return (["--encoding", rng.choice(["gb18030", "big5", "utf-16"])] if rng.random() < 0.2 else []) + \
           (["--errors", "replace"] if rng.random() < 0.3 else [])


def argv_for(command: str, rng: random.Random, folder: Path, good_model: Path) -> list[str]:
    """A command line for one random case; input files are written into ``folder``."""
    def file(name: str, data: bytes | None = None) -> str:
        path = folder / name
        path.write_bytes(random_input(rng) if data is None else data)
        return str(path)

    out = str(folder / "out")
    if command == "model":   # a damaged segmenter file, or a masked-LM folder with one file damaged
        if rng.random() < 0.7:
            bad = file("bad.npz", damaged(good_model.read_bytes(), rng))
            return ["segment", file("in.txt"), "--model", bad, "-o", out, "-q"]
        lm = folder / "lm"
        shutil.copytree(MODEL, lm)
        victim = lm / rng.choice(sorted(p.name for p in MODEL.iterdir()))
        if rng.random() < 0.2:
            victim.unlink()
        else:
            victim.write_bytes(damaged(victim.read_bytes(), rng))
        return ["parse", file("in.txt", "我们在北京上学。\n".encode()), "--model", str(lm), "-o", out, "-q"]
    if command == "eval":
        return ["eval", file("gold.txt"), file("pred.txt")] + options(rng)
    if command == "communities":
        return ["communities", file("edges.txt"), "-o", out, "--trials", "2", "-q"] + options(rng)
    if command == "parse":   # short lines: the probe's cost grows with the square of a line
        data = rng.choice([random_input(rng)[:60], random_text(rng, 60).encode(), rng.randbytes(40)])
        return ["parse", file("in.txt", data), "-o", out, "-q"] + (["--pretokenized"] if rng.random() < .5 else [])
    if command == "pretrain":
        return ["pretrain", file("in.txt"), "-o", str(folder / "lm"), "--max-steps", "1", "--layers", "1",
                "--hidden", "16", "--heads", "2", "--intermediate", "16", "--batch-size", "2",
                "--seq-len", "16", "--min-count", "1", "-q", "--overwrite"]
    extra = {"ngrams": ["-n", str(rng.randint(1, 5)), "--min-count", str(rng.randint(1, 3))],
             "discover": ["--min-count", str(rng.randint(1, 3))],
             "segment": [], "fit": [],
             "graph": ["--min-count", "1", "--tokenizer", rng.choice(["zhtext", "whitespace", "jieba"])],
             "cluster-words": ["--min-count", "1", "--kind", "cooc", "--trials", "2"],
             "report": ["--no-parse", "--top", "50"] + (["--no-clusters"] if rng.random() < .7 else [])}[command]
    return [command, file("in.txt"), "-o", out, "-q"] + extra + options(rng)


def run_case(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as exit:   # argparse usage errors
            status = exit.code
    return status, err.getvalue()


@pytest.fixture(scope="module")
def good_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    corpus = REPO / "corpora" / "gsdsimp_dev_sample.txt"
    assert run_case(["fit", str(corpus), "-o", str(folder / "seg.npz"), "-q"])[0] == 0
    return folder / "seg.npz"


def test_case_count():
    assert sum(CASES.values()) >= 500


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(CASES))
def test_fuzz(command, tmp_path, good_model):
    rng = random.Random(f"zhtext-fuzz-{command}")
    for case in range(CASES[command]):
        folder = tmp_path / str(case)
        folder.mkdir()
        argv = argv_for(command, rng, folder, good_model)
        status, stderr = run_case(argv)
        lines = stderr.splitlines()
        assert "Traceback" not in stderr, (argv, stderr)
        assert status in (0, 2), (argv, status, stderr)
        if status == 2:
            assert len(lines) == 1 and lines[0].startswith(f"zhtext {argv[0]}: error: "), (argv, stderr)
