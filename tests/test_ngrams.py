"""N-gram statistics: exact counts (against brute force), measures by hand, persistence."""

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtext.encode import encode, is_break
from zhtext.errors import ModelError
from zhtext.ngrams import NgramStats


def fragments(lines):
    """Brute-force fragmenting: runs of word characters."""
    for line in lines:
        run = []
        for ch in line:
            if is_break(ch):
                if run:
                    yield "".join(run)
                run = []
            else:
                run.append(ch)
        if run:
            yield "".join(run)


def brute_counts(lines, max_n):
    counts = Counter()
    for frag in fragments(lines):
        for n in range(1, max_n + 1):
            for i in range(len(frag) - n + 1):
                counts[frag[i:i + n]] += 1
    return counts


def brute_entropy(lines, word, side):
    """Branching entropy with every fragment edge a distinct neighbour."""
    neighbours, edges = Counter(), 0
    for frag in fragments(lines):
        start = frag.find(word)
        while start >= 0:
            pos = start - 1 if side == "left" else start + len(word)
            if 0 <= pos < len(frag):
                neighbours[frag[pos]] += 1
            else:
                edges += 1
            start = frag.find(word, start + 1)
    total = sum(neighbours.values()) + edges
    probs = [c / total for c in neighbours.values()] + [1 / total] * edges
    return -sum(p * math.log(p) for p in probs)


alphabet = st.sampled_from("甲乙丙丁，。 a")
lines = st.lists(st.text(alphabet, max_size=40), min_size=0, max_size=8)


@settings(max_examples=150, deadline=None)
@given(lines=lines, max_n=st.integers(1, 5), min_count=st.integers(1, 3))
def test_counts_equal_brute_force(lines, max_n, min_count):
    stats = NgramStats.fit(lines, max_n=max_n, min_count=min_count)
    expected = {g: c for g, c in brute_counts(lines, max_n).items() if c >= min_count}
    got = dict(zip(stats.strings(), stats.counts.tolist()))
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(lines=lines)
def test_entropy_equals_brute_force(lines):
    stats = NgramStats.fit(lines, max_n=3, min_count=1)
    for gram in stats.strings():
        assert stats.left_entropy(gram) == pytest.approx(brute_entropy(lines, gram, "left"))
        assert stats.right_entropy(gram) == pytest.approx(brute_entropy(lines, gram, "right"))


def test_measures_by_hand():
    stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
    total = 15
    assert stats.total == total
    assert stats.count("银行") == 3 and stats.count("中国") == 2
    assert stats.probability("银行") == pytest.approx(3 / total)
    # cohesion of 银行: log(P(银行) / (P(银) P(行))) = log(3*15 / (3*3))
    assert stats.cohesion("银行") == pytest.approx(math.log(3 * 15 / 9))
    # 人民银: splits 人|民银 -> log(2*15/(2*2)), 人民|银 -> log(2*15/(2*3)); min is the latter
    assert stats.cohesion("人民银") == pytest.approx(math.log(2 * 15 / 6))
    # right of 银行: edge, 和, edge -> three distinct neighbours
    assert stats.right_entropy("银行") == pytest.approx(math.log(3))
    # left of 银行: 民, 民, 国
    assert stats.left_entropy("银行") == pytest.approx(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)))
    assert stats.score("银行") == pytest.approx(stats.cohesion("银行") + stats.left_entropy("银行"))
    assert math.isnan(stats.cohesion("银")) and stats.count("不在") == 0


def test_fragments_never_cross_breaks():
    stats = NgramStats.fit(["甲乙，丙丁", "戊 己"], max_n=2, min_count=1)
    assert stats.count("乙丙") == 0 and stats.count("戊己") == 0 and stats.count("甲乙") == 1


def test_long_line_pieces_are_joined():
    text = "甲乙" * 3000
    stats = NgramStats.fit(encode([text], max_chars=7), max_n=2, min_count=1)
    assert stats.count("甲乙") == 3000 and stats.count("乙甲") == 2999


def test_no_entropy_mode_keeps_counts():
    lines = ["中国人民银行", "人民银行和中国银行"] * 3
    full = NgramStats.fit(lines, max_n=3, min_count=2)
    fast = NgramStats.fit(lines, max_n=3, min_count=2, entropy=False)
    assert dict(zip(full.strings(), full.counts)) == dict(zip(fast.strings(), fast.counts))
    assert np.isnan(fast.left_entropies).all()


def test_save_load_and_tsv(tmp_path):
    stats = NgramStats.fit(["中国人民银行", "人民银行和中国银行"], max_n=3, min_count=1)
    stats.save(tmp_path / "s.npz")
    again = NgramStats.load(tmp_path / "s.npz")
    assert again.strings() == stats.strings()
    assert again.cohesion("银行") == stats.cohesion("银行")
    stats.to_tsv(tmp_path / "s.tsv")
    rows = (tmp_path / "s.tsv").read_text(encoding="utf-8").splitlines()
    assert rows[0].split("\t")[:3] == ["ngram", "length", "count"]
    assert len(rows) == len(stats) + 1


def test_load_rejects_corrupt_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelError):
        NgramStats.load(bad)
    with pytest.raises(ModelError, match="no such n-gram statistics file"):
        NgramStats.load(tmp_path / "missing.npz")


def test_empty_corpus():
    stats = NgramStats.fit([], max_n=4, min_count=1)
    assert len(stats) == 0 and stats.total == 0 and stats.count("中") == 0
