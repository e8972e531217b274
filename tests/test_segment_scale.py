"""Segmenting in parallel threads and learning in bounded memory: same output, same model."""

from __future__ import annotations

import gzip
import lzma
import math
import random
import subprocess
import sys
from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtext import segment as zs
from zhtext import tokens
from zhtext.encode import encode
from zhtext.ngrams import count_levels
from zhtext.segment import Segmenter

MIXED = [
    "今天天氣很好，我們去公園散步。",                      # traditional characters
    "",
    "iPhone15售价6999元，折扣12.5%，😀👍🏽👨‍👩‍👧好评！",      # Latin, digits, emoji, modifiers, ZWJ
    "网址https://example.com/a?b=1和name@example.org，见www.zhtext.cn。",
    "  \t  ",
    "ABC def 123 ４５６ Ｅｘｃｅｌ表格",
    "紅樓夢第一回甄士隱夢幻識通靈賈雨村風塵懷閨秀" * 40,  # far beyond the piece limit below
    "",
    "e\u0301tude和café，ａｂｃ。",
]


@pytest.fixture(scope="module")
def hongloumeng(bundled) -> str:
    return (bundled / "hongloumeng.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def model(hongloumeng) -> Segmenter:
    return Segmenter.fit([hongloumeng[:200_000]])


def mixed_file(tmp_path, hongloumeng, copies: int = 1):
    """MIXED and a slice of the novel, CRLF line ends on every other line, as a file."""
    lines = (MIXED + hongloumeng[:20_000].split("\n")) * copies
    data = "".join(line + ("\r\n" if k % 2 else "\n") for k, line in enumerate(lines))
    path = tmp_path / "mixed.txt"
    path.write_bytes(data.encode("utf-8"))
    return path, lines


def test_threads_give_the_one_process_output(model, hongloumeng, tmp_path, monkeypatch):
    path, lines = mixed_file(tmp_path, hongloumeng)
    monkeypatch.setattr(zs, "_BATCH_CHARS", 300)  # many batches, most ending inside a line
    serial = "".join(model.segment_corpus(path, sep="|", max_chars=97))
    for jobs in (2, 3):
        assert "".join(model.segment_corpus(path, sep="|", jobs=jobs, max_chars=97)) == serial
    out = serial.split("\n")
    assert out[-1] == "" and len(out) == len(lines) + 1
    for got, line in zip(out, lines):   # every character but whitespace, in order, once
        assert got.replace("|", "") == "".join(line.split())
    assert out[6].replace("|", "") == MIXED[6] and out[6].count("|") >= 10


def test_cli_jobs_output_is_byte_identical(model, hongloumeng, tmp_path):
    path, _ = mixed_file(tmp_path, hongloumeng, copies=110)   # > 2 M characters: several batches
    assert len(path.read_text(encoding="utf-8")) > 2 * zs._BATCH_CHARS
    model.save(tmp_path / "m.npz")
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.txt"
        subprocess.run([sys.executable, "-m", "zhtext", "segment", str(path), "--model",
                        str(tmp_path / "m.npz"), "--jobs", jobs, "-q", "-o", str(out)],
                       check=True, timeout=300)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].decode("utf-8") == "".join(model.segment_corpus(path))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ahtp.:/@w-_ 中，\n😀%", max_size=60))
def test_address_windows_give_the_regex_spans(text):
    whole = []   # the oracle: the regex over the whole text
    for match in tokens.URL_OR_EMAIL.finditer(text):
        start, end = match.span()
        while end - start > 1 and text[end - 1] in tokens._URL_TRAILING:
            end -= 1
        whole.append((start, end))
    assert np.array_equal(tokens.protected_spans(text, tokens.code_points(text)),
                          np.array(whole, dtype=np.int64).reshape(-1, 2))


def test_low_memory_counting_is_identical():
    encoded = encode(["中文分词中文工具", "分词工具中文，工具分词", "中文中文分词"] * 7)
    for entropy in (True, False):
        fast = list(count_levels(encoded, 4, 2, entropy))
        lean = list(count_levels(encoded, 4, 2, entropy, low_memory=True))
        assert len(fast) == len(lean)
        for (a, _), (b, _) in zip(fast, lean):
            assert np.array_equal(a.keys, b.keys) and np.array_equal(a.counts, b.counts)
            assert np.array_equal(a.left_sum, b.left_sum) and np.array_equal(a.right_sum, b.right_sum)


# -- the learned model, against a brute force ------------------------------------
def planted_runs(seed: int = 7) -> list[str]:
    """Lines of short Han runs (at most 7 characters) over 8 characters, separated by breaks."""
    rng = random.Random(seed)
    chars = "天地玄黄宇宙洪荒"
    words = ["天地", "玄黄", "宇宙", "洪荒", "天", "黄宇", "地玄黄"]
    lines = []
    for _ in range(40):
        runs = []
        for _ in range(rng.randint(1, 3)):
            run = "".join(rng.choice(words) for _ in range(3))[: rng.randint(1, 7)]
            runs.append(run + rng.choice(chars) if rng.random() < 0.2 else run)
        lines.append(rng.choice(["，", "。", "12"]).join(r[:7] for r in runs))
    return lines


def brute_force(lines: list[str], max_n: int, min_count: int) -> dict[str, tuple[float, float]]:
    """Every string of the model -> (nvbe score a(x)·|x|, joint score), from first principles."""
    runs = "".join(c if tokens.char_class(c) == tokens.HAN else " " for c in "\n".join(lines)).split()
    counts = Counter(run[i:i + n] for run in runs for n in range(1, max_n + 1)
                     for i in range(len(run) - n + 1))

    def entropy(values) -> float:
        seen = Counter(values).values()
        return math.log(sum(seen)) - sum(c * math.log(c) for c in seen) / sum(seen)

    def neighbours(gram: str, side: str) -> list:   # a run edge is a new symbol each time
        out = []
        for k, run in enumerate(runs):
            for at in (i for i in range(len(run)) if run.startswith(gram, i)):
                inside = at > 0 if side == "left" else at + len(gram) < len(run)
                out.append((run[at - 1] if side == "left" else run[at + len(gram)]) if inside else (k, at))
        return out

    def h(gram: str, side: str) -> float:   # 0 for a character seen fewer than min_count times
        return entropy(neighbours(gram, side)) if counts[gram] >= min_count else 0.0

    h0 = entropy(c for run in runs for c in run)
    autonomy = {}
    for n in range(1, max_n + 1):
        level = [g for g in counts if len(g) == n and (n == 1 or counts[g] >= min_count)]
        if not level:
            break
        vbe = {g: (h(g, "left") - (h0 if n == 1 else h(g[1:], "left")),
                   h(g, "right") - (h0 if n == 1 else h(g[:-1], "right"))) for g in level}
        mean_l, mean_r = (sum(v[i] for v in vbe.values()) / len(level) for i in (0, 1))
        autonomy.update({g: vbe[g][0] - mean_l + vbe[g][1] - mean_r for g in level})
    joint = em(runs, autonomy, counts)
    return {g: (a * len(g), score) for (g, a), score in zip(autonomy.items(), joint)}


def em(runs: list[str], autonomy: dict[str, float], counts: Counter) -> list[float]:
    """Joint scores by EM whose E-step enumerates every segmentation of every run; NaN for
    a word pruned at the end (expected count below `MIN_EXPECTED`)."""
    grams = list(autonomy)
    bonus = {g: autonomy[g] * len(g) for g in grams}
    keep = [g for g in grams if len(g) == 1 or autonomy[g] > 0]
    total = sum(counts[g] for g in keep)
    logp = {g: math.log(counts[g]) - math.log(total) for g in keep}
    last = -math.inf
    for _ in range(zs.EM_MAX_ITERATIONS):
        expected, loglik = Counter(), 0.0
        for run in runs:
            segmentations = []
            for cuts in (c for k in range(len(run)) for c in combinations(range(1, len(run)), k)):
                bounds = [0, *cuts, len(run)]
                words = [run[a:b] for a, b in zip(bounds, bounds[1:])]
                if all(w in logp for w in words):
                    segmentations.append((words, math.exp(sum(logp[w] + bonus[w] for w in words))))
            z = sum(weight for _, weight in segmentations)
            for words, weight in segmentations:
                for w in words:
                    expected[w] += weight / z
            loglik += math.log(z)
        mass = sum(expected.values())
        logp = {g: math.log(c) - math.log(mass) for g, c in expected.items() if c > 0}
        kept = {g for g, c in expected.items() if len(g) == 1 or c >= zs.MIN_EXPECTED}
        if abs(loglik - last) <= zs.EM_TOLERANCE * abs(loglik):
            break
        last = loglik
    return [logp[g] + bonus[g] if g in logp and g in kept else math.nan for g in grams]


@pytest.mark.parametrize("method", ["nvbe", "joint"])
def test_learned_model_matches_brute_force(method):
    lines = planted_runs()
    model = Segmenter.fit(lines, scorer=method, max_n=4, min_count=2)
    expected = brute_force(lines, 4, 2)
    want = {g: (nvbe if method == "nvbe" else joint) for g, (nvbe, joint) in expected.items()}
    assert len(model) == sum(not math.isnan(v) for v in want.values())
    for gram, value in want.items():
        got = model.score(gram)
        assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value, rel=1e-5, abs=1e-5), gram


# -- projected learning memory -----------------------------------------------------
def test_learning_memory_projection(tmp_path):
    text = "今天天氣很好，我們去公園散步。\n" * 2000
    plain = tmp_path / "a.txt"
    plain.write_text(text, encoding="utf-8")
    size = len(text.encode("utf-8"))
    expected = zs.LEARNING_BASE_BYTES + zs.LEARNING_BYTES_PER_BYTE * size
    assert zs.learning_memory(size) == zs.learning_memory(plain) == zs.learning_memory([text]) == expected
    assert zs.learning_memory(2 * size) - zs.learning_memory(size) == zs.LEARNING_BYTES_PER_BYTE * size
    packed = tmp_path / "a.txt.gz"       # gzip records the uncompressed size
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    assert zs.learning_memory(packed) == expected
    xz = tmp_path / "a.xz"               # xz does not (cheaply): the documented ratio
    xz.write_bytes(lzma.compress(text.encode("utf-8")))
    assert zs.learning_memory(xz) == (zs.LEARNING_BASE_BYTES + zs.LEARNING_BYTES_PER_BYTE
                                      * zs.COMPRESSION_RATIO * xz.stat().st_size)
    wide = tmp_path / "b.txt"            # two bytes per Chinese character
    wide.write_bytes(text.encode("gb18030"))
    assert zs.learning_memory(wide, encoding="gb18030") == int(
        zs.LEARNING_BASE_BYTES + zs.LEARNING_BYTES_PER_BYTE * 1.5 * wide.stat().st_size)
    assert zs.learning_memory([plain, packed]) == expected + zs.LEARNING_BYTES_PER_BYTE * size
    assert zs.learning_memory("-") == zs.learning_memory(0) == zs.LEARNING_BASE_BYTES
    assert zs.available_memory() is None or zs.available_memory() > 0


def test_fit_warns_when_the_projection_exceeds_available_memory(tmp_path, monkeypatch, capsys):
    import argparse

    from zhtext_cli import fit
    from zhtext_cli.fit import learn

    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(planted_runs()) + "\n", encoding="utf-8")
    args = argparse.Namespace(command="fit", quiet=True, scorer="nvbe", max_n=4, min_count=2, base="none",
                              lexicon=None, encoding="utf-8", errors="strict")
    learn(args, [str(raw)])
    assert "warning" not in capsys.readouterr().err
    monkeypatch.setattr(fit, "available_memory", lambda: 1_000_000)
    learn(args, [str(raw)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "GB" in lines[0] and "0.0 GB" in lines[0]
