"""Tree decoders against brute force, the top-down splitter on hand-made matrices, output."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from zhtext.trees import (arc_scores, brackets, chu_liu_edmonds, eisner, normalised, split_cost,
                          top_down)


def is_tree(heads: tuple[int, ...]) -> bool:
    """One root child and every token reaches the root."""
    if sum(h == 0 for h in heads) != 1:
        return False
    for start in range(1, len(heads) + 1):
        node, steps = start, 0
        while node != 0:
            node = heads[node - 1]
            steps += 1
            if steps > len(heads):
                return False
    return True


def is_projective(heads: tuple[int, ...]) -> bool:
    """No two arcs cross (the root arc included, spanning from position 0)."""
    arcs = [tuple(sorted((h, d))) for d, h in enumerate(heads, 1)]
    return not any(a < c < b < e for (a, b), (c, e) in itertools.permutations(arcs, 2))


def brute_force(scores: np.ndarray, projective: bool) -> float:
    n = scores.shape[0] - 1
    best = -np.inf
    for heads in itertools.product(range(n + 1), repeat=n):
        if any(h == d for d, h in enumerate(heads, 1)) or not is_tree(heads):
            continue
        if projective and not is_projective(heads):
            continue
        best = max(best, sum(scores[h, d] for d, h in enumerate(heads, 1)))
    return best


def total(scores: np.ndarray, heads: list[int]) -> float:
    return sum(scores[h, d] for d, h in enumerate(heads, 1))


@pytest.mark.parametrize("seed", range(40))
def test_decoders_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    scores = rng.normal(size=(n + 1, n + 1))
    for decoder, projective in ((eisner, True), (chu_liu_edmonds, False)):
        heads = decoder(scores)
        assert is_tree(tuple(heads)), (decoder.__name__, heads)
        if projective:
            assert is_projective(tuple(heads))
        assert total(scores, heads) == pytest.approx(brute_force(scores, projective))


def test_chu_liu_edmonds_finds_non_projective_tree():
    # 1 -> 3 and 2 -> 4 cross; both arcs are worth far more than anything else
    scores = np.zeros((5, 5))
    scores[0, 1] = scores[1, 3] = scores[3, 2] = scores[2, 4] = 10.0
    assert chu_liu_edmonds(scores) == [0, 3, 1, 2]
    assert is_projective(tuple(eisner(scores)))


def test_arc_scores_follow_the_largest_impact():
    impact = np.array([[0, 5, 0.0], [5, 0, 1.0], [0, 4, 0.0]])
    scores = arc_scores(impact)
    assert scores.shape == (4, 4)
    np.testing.assert_allclose(scores[1:, 1:].sum(axis=0), 1.0)   # each dependent: a distribution
    heads = chu_liu_edmonds(scores)
    assert heads[0] == 2 and heads[2] == 2 and heads[1] == 0       # token 2 moves both others


def test_normalised_rows_sum_to_one_without_diagonal():
    p = normalised(np.arange(9.0).reshape(3, 3))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.all(np.diag(p) == 0)


def block_matrix(sizes: list[int], inside: float = 3.0, across: float = 0.0) -> np.ndarray:
    n = sum(sizes)
    matrix = np.full((n, n), across)
    start = 0
    for size in sizes:
        matrix[start:start + size, start:start + size] = inside
        start += size
    np.fill_diagonal(matrix, 0.0)
    return matrix


def test_top_down_splits_between_blocks():
    tree = top_down(block_matrix([2, 3]))
    assert tree[0] == (0, 1)
    assert set(_leaves(tree[1])) == {2, 3, 4}


def test_top_down_nested_blocks():
    matrix = block_matrix([2, 2], inside=4.0, across=1.0)          # ((0 1) (2 3))
    assert top_down(matrix) == ((0, 1), (2, 3))
    p = normalised(matrix)
    assert split_cost(p, 2) < min(split_cost(p, 1), split_cost(p, 3))


def test_top_down_single_token():
    assert top_down(np.zeros((1, 1))) == 0


def _leaves(tree):
    return [tree] if isinstance(tree, int) else _leaves(tree[0]) + _leaves(tree[1])


def test_brackets():
    assert brackets(((0, 1), 2), ["我", "爱", "北京"]) == "((我 爱) 北京)"
    assert brackets(0, ["好"]) == "(好)"
    assert brackets((0, 1), ["(", "a)"]) == "(-LRB- a-RRB-)"


def test_tree_pictures(tmp_path, cjk_font):
    from zhtext.plots import draw_constituency, draw_dependency
    tokens = ["我", "爱", "北京", "。"]
    draw_dependency(tokens, [2, 0, 2, 2], tmp_path / "dep.svg")
    draw_constituency(((0, 1), (2, 3)), tokens, tmp_path / "con.png")
    assert "北京" in (tmp_path / "dep.svg").read_text(encoding="utf-8")
    assert (tmp_path / "con.png").read_bytes().startswith(b"\x89PNG")


def test_dependency_tree_by_name():
    from zhtext.errors import InputError
    from zhtext.trees import dependency_tree
    impact = np.array([[0, 5, 0.0], [5, 0, 1.0], [0, 4, 0.0]])
    assert dependency_tree(impact, "eisner") == dependency_tree(impact, "cle") == [2, 0, 2]
    with pytest.raises(InputError):
        dependency_tree(impact, "greedy")


def test_centred_columns_remove_general_salience():
    from zhtext.trees import centred
    # masking token 1 moves tokens 2 and 3 by 9 alike: no preference is left for it as their head
    salient = np.array([[0, 1, 0.0], [9, 0, 2.0], [9, 3, 0.0]])
    result = centred(salient)
    assert result[1, 0] == result[2, 0] == 0
    assert np.all(np.diag(result) == 0)
    np.testing.assert_allclose(result.sum(axis=0), 0.0)
