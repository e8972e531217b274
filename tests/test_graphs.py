"""Word graphs: PPMI by hand, pruning, similarity links, networkx round trip, the CLI pipeline."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from zhtext.community import infomap
from zhtext.errors import InputError
from zhtext.graphs import WordGraph, cooccurrence_graph, is_content_word, similarity_graph, tokenize

TOPICS = (["苹果", "香蕉", "橘子", "葡萄", "西瓜", "草莓", "柠檬", "芒果"],
          ["足球", "篮球", "排球", "网球", "棒球", "冰球", "手球", "垒球"],
          ["北京", "上海", "广州", "深圳", "天津", "重庆", "南京", "杭州"])


def topic_sentences(n: int = 600, seed: int = 0) -> list[list[str]]:
    """Sentences of eight words drawn from one topic each, with function words mixed in."""
    rng = np.random.default_rng(seed)
    sentences = []
    for i in range(n):
        words = list(rng.choice(TOPICS[i % 3], 8))
        words.insert(int(rng.integers(0, 8)), "我们")  # a stop-word: never a node
        words.insert(int(rng.integers(0, 8)), "，")
        sentences.append(words)
    return sentences


def test_content_words():
    assert is_content_word("北京") and is_content_word("中华人民共和国")
    assert not is_content_word("的") and not is_content_word("我们") and not is_content_word("１９９８")
    assert not is_content_word("，。") and not is_content_word("iPhone")


def test_ppmi_by_hand():
    sentences = [["苹果", "香蕉"], ["苹果", "香蕉"], ["苹果", "足球"], ["香蕉", "排球"]]
    graph = cooccurrence_graph(sentences, window=2, min_count=1, min_pair_count=1)
    # pair counts: 苹果-香蕉 2, 苹果-足球 1, 香蕉-排球 1; D = 4; c(苹果) = c(香蕉) = 3, the others 1
    weights = {frozenset((graph.words[u], graph.words[v])): w
               for u, v, w in zip(graph.src, graph.dst, graph.weight)}
    assert weights[frozenset(("苹果", "足球"))] == pytest.approx(math.log(1 * 4 / (3 * 1)))
    assert frozenset(("苹果", "香蕉")) not in weights  # log(2 * 4 / 9) < 0: not positive
    assert not graph.directed and graph.counts.tolist() == [3, 3, 1, 1]


def test_cooccurrence_graph_topics_and_pruning():
    graph = cooccurrence_graph(topic_sentences(), window=5, min_count=5, top_k=3)
    assert "我们" not in graph.words and "，" not in graph.words and len(graph.words) == 24
    assert np.all(graph.weight > 0)
    degree = np.bincount(np.r_[graph.src, graph.dst], minlength=graph.num_nodes)
    assert degree.min() >= 3  # every word keeps its 3 strongest partners (and may be kept by others)
    topic = {w: t for t, words in enumerate(TOPICS) for w in words}
    assert all(topic[graph.words[u]] == topic[graph.words[v]] for u, v in zip(graph.src, graph.dst))
    clusters = {frozenset(c) for c in infomap(graph, trials=3).communities}
    assert clusters == {frozenset(t) for t in TOPICS}


def test_similarity_graph_links_and_clusters():
    graph = similarity_graph(topic_sentences(900), max_words=20, top_k=5, threshold=0.5, dim=8,
                             min_count=5)
    assert graph.directed and graph.num_nodes == 20
    assert np.all(graph.weight >= 0.5) and np.all(graph.weight <= 1 + 1e-9)
    assert np.bincount(graph.src, minlength=graph.num_nodes).max() <= 5
    assert np.all(graph.src != graph.dst)
    topic = {w: t for t, words in enumerate(TOPICS) for w in words}
    same = [topic[graph.words[u]] == topic[graph.words[v]] for u, v in zip(graph.src, graph.dst)]
    assert np.mean(same) > 0.95
    again = similarity_graph(topic_sentences(900), max_words=20, top_k=5, threshold=0.5, dim=8, min_count=5)
    assert np.array_equal(graph.weight, again.weight)  # seeded: deterministic


def test_networkx_round_trip_and_bad_input():
    graph = cooccurrence_graph(topic_sentences(), min_count=5, top_k=4)
    G = graph.to_networkx()
    assert isinstance(G, nx.Graph) and G.nodes["苹果"]["count"] == graph.counts[graph.words.index("苹果")]
    back = WordGraph.from_networkx(G)
    assert set(back.words) == set(graph.words) and back.weight.sum() == pytest.approx(graph.weight.sum())
    with pytest.raises(InputError, match="lists of words"):
        cooccurrence_graph(["苹果 香蕉"])
    with pytest.raises(InputError, match="window"):
        cooccurrence_graph([["苹果"]], window=1)
    with pytest.raises(InputError, match="tokenizer"):
        tokenize(["x"], tokenizer="nope")
    empty = cooccurrence_graph([], min_count=1)
    assert empty.num_nodes == 0 and infomap(empty).communities == ()


def test_jieba_tokenizer_stand_in():
    words = next(iter(tokenize(["我爱北京天安门"], tokenizer="jieba")))
    assert "北京" in words or "天安门" in words


# -- CLI ----------------------------------------------------------------------

@pytest.fixture
def segmented(tmp_path):
    path = tmp_path / "segmented.txt"
    path.write_text("\n".join(" ".join(s) for s in topic_sentences(600)) + "\n", encoding="utf-8")
    return path


def test_cli_graph_then_communities(cli, segmented, tmp_path):
    graph = tmp_path / "graph.tsv"
    result = cli("graph", str(segmented), "--tokenizer", "whitespace", "--kind", "cooc", "--top-k", "4",
                 "-o", str(graph))
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in graph.read_text(encoding="utf-8").splitlines()]
    assert rows and all(len(r) == 3 and float(r[2]) > 0 for r in rows)
    modules = tmp_path / "modules.tsv"
    assert cli("communities", str(graph), "-o", str(modules), "-q").returncode == 0
    assert len({line.split("\t")[1] for line in modules.read_text(encoding="utf-8").splitlines()}) == 3


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_cli_cluster_words_with_plot(cli, segmented, tmp_path, suffix, request):
    if suffix == "png":
        request.getfixturevalue("cjk_font")   # skips where no font covers Chinese
    out, picture = tmp_path / "clusters.txt", tmp_path / f"clusters.{suffix}"
    result = cli("cluster-words", str(segmented), "--tokenizer", "whitespace", "--kind", "cooc",
                 "-o", str(out), "--plot", str(picture))
    assert result.returncode == 0, result.stderr
    clusters = [set(line.split()) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(map(sorted, clusters)) == sorted(map(sorted, TOPICS))
    if suffix == "png":
        assert picture.read_bytes().startswith(b"\x89PNG")
    else:
        drawn = picture.read_text(encoding="utf-8")
        assert all(word in drawn for topic in TOPICS for word in topic)


@pytest.mark.shared
def test_cli_cluster_words_on_gold_segmented_news(cli, shared, tmp_path):
    out = tmp_path / "clusters.txt"
    result = cli("cluster-words", str(shared / "sighan2005" / "pku_test_gold.utf8"), "--tokenizer",
                 "whitespace", "--kind", "cooc", "--min-count", "3", "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    clusters = [line.split() for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(clusters) >= 20 and all(len(c) >= 2 for c in clusters)
