"""InfoMap: the map equation against hand computation and the official package, the search, bad input, CLI."""

from __future__ import annotations

import json
import warnings

import networkx as nx
import numpy as np
import pytest

from zhtext.community import as_links, infomap, map_equation, read_edges
from zhtext.errors import InputError


def plogp(x: float) -> float:
    return x * np.log2(x) if x > 0 else 0.0


def official_codelength(links, partition, **options) -> float:
    """The official package's codelength of a given partition (no search)."""
    infomap_pkg = pytest.importorskip("infomap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = infomap_pkg.Infomap(two_level=True, silent=True, directed=links.directed,
                                 no_infomap=True, **options)
        im.add_nodes(range(links.num_nodes))
        im.add_links(zip(links.src.tolist(), links.dst.tolist(), links.weight.tolist()))
        im.run(initial_partition={i: int(m) for i, m in enumerate(partition)})
        return im.codelength


def random_links(rng, n: int, m: int, directed: bool, self_loops: bool):
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    if not self_loops:
        src, dst = src[src != dst], dst[src != dst]
    return as_links((src, dst, rng.random(src.size) + 0.1), directed=directed)


# -- the map equation by hand ------------------------------------------------

def test_two_cliques_joined_by_an_edge():
    G = nx.barbell_graph(4, 0)  # K4 + K4 and one bridge: 13 links, strengths 3 (x6) and 4 (x2)
    exit_ = 1 / 26  # the bridge carries 1/26 each way
    nodes = 6 * plogp(3 / 26) + 2 * plogp(4 / 26)
    expected = plogp(2 * exit_) - 4 * plogp(exit_) + 2 * plogp(exit_ + 0.5) - nodes
    assert map_equation(G, [set(range(4)), set(range(4, 8))]) == pytest.approx(expected, abs=1e-12)
    one_level = -nodes
    assert map_equation(G, {n: 0 for n in G}) == pytest.approx(one_level, abs=1e-12)
    result = infomap(G, trials=3)
    assert set(result.communities) == {frozenset(range(4)), frozenset(range(4, 8))}
    assert result.codelength == pytest.approx(expected, abs=1e-12)
    assert result.one_level_codelength == pytest.approx(one_level, abs=1e-12)


def test_directed_cycle():
    G = nx.cycle_graph(6, create_using=nx.DiGraph)  # uniform flow 1/6, every link 1/6
    expected = plogp(2 / 6) - 4 * plogp(1 / 6) + 2 * plogp(1 / 6 + 1 / 2) + np.log2(6)
    assert map_equation(G, [{0, 1, 2}, {3, 4, 5}]) == pytest.approx(expected, abs=1e-12)
    result = infomap(G, trials=2)
    assert result.flow[0] == pytest.approx(1 / 6)
    assert result.one_level_codelength == pytest.approx(np.log2(6))
    assert result.codelength <= result.one_level_codelength + 1e-12


# -- agreement with the official package ---------------------------------------

@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("self_loops", [False, True])
def test_codelength_matches_official_package(directed, self_loops):
    rng = np.random.default_rng(7 + directed + 2 * self_loops)
    for _ in range(4):
        n = int(rng.integers(5, 60))
        links = random_links(rng, n, int(rng.integers(n, 5 * n)), directed, self_loops)
        partition = rng.integers(0, 4, links.num_nodes)
        ours = map_equation(links, dict(enumerate(partition)))
        assert ours == pytest.approx(official_codelength(links, partition), abs=1e-9)


def test_teleportation_to_nodes_matches_official_package():
    rng = np.random.default_rng(3)
    links = random_links(rng, 30, 80, True, False)
    partition = rng.integers(0, 3, links.num_nodes)
    ours = map_equation(links, dict(enumerate(partition)), teleport_to="nodes")
    assert ours == pytest.approx(official_codelength(links, partition, to_nodes=True), abs=1e-9)


def test_search_is_as_good_as_official_package():
    G = nx.planted_partition_graph(10, 20, 0.4, 0.03, seed=2)
    links = as_links(G)
    result = infomap(G, trials=5)
    partition = [result.modules[node] for node in links.nodes]
    assert official_codelength(links, partition) == pytest.approx(result.codelength, abs=1e-9)
    infomap_pkg = pytest.importorskip("infomap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = infomap_pkg.Infomap(two_level=True, silent=True, num_trials=5)
        im.add_links(zip(links.src.tolist(), links.dst.tolist()))
        im.run()
        assert result.codelength <= im.codelength * 1.005


# -- the search ---------------------------------------------------------------

@pytest.mark.parametrize("directed", [False, True])
def test_recovers_planted_partition(directed):
    G = nx.planted_partition_graph(8, 25, 0.5, 0.01, seed=1, directed=directed)
    truth = {frozenset(range(i * 25, (i + 1) * 25)) for i in range(8)}
    assert set(infomap(G, trials=3, seed=5).communities) == truth


def test_seed_determinism():
    G = nx.LFR_benchmark_graph(250, 3, 1.5, 0.4, average_degree=10, min_community=20, seed=4)
    G.remove_edges_from(nx.selfloop_edges(G))
    first, again = infomap(G, trials=2, seed=11), infomap(G, trials=2, seed=11)
    assert first == again


def test_input_kinds_agree():
    G = nx.karate_club_graph()
    scipy = pytest.importorskip("scipy.sparse")
    base = infomap(G, weight=None, trials=2)
    matrix = scipy.csr_matrix(nx.to_numpy_array(G, weight=None))
    edges = np.array(G.edges())
    for other in (infomap(matrix, trials=2), infomap(edges, trials=2),
                  infomap((edges[:, 0], edges[:, 1]), trials=2)):
        assert other.codelength == pytest.approx(base.codelength, abs=1e-12)
        assert not other.directed
    asymmetric = scipy.csr_matrix(np.array([[0, 1.0], [0, 0]]))
    assert as_links(asymmetric).directed


def test_result_is_ordered_and_immutable():
    G = nx.disjoint_union(nx.complete_graph(6), nx.complete_graph(3))
    result = infomap(G, trials=1)
    assert [len(c) for c in result.communities] == [6, 3]  # by decreasing flow
    assert result.modules[0] == 0 and result.modules[8] == 1
    assert sum(result.flow.values()) == pytest.approx(1.0)
    with pytest.raises(TypeError):
        result.modules[0] = 1
    with pytest.raises(AttributeError):
        result.codelength = 0.0
    ranked = result.ranked_communities()
    assert [set(m) for m in ranked] == [set(c) for c in result.communities]
    assert ranked[0] == list(range(6)) and ranked[1] == [6, 7, 8]    # equal flows: the graph's node order


# -- bad and degenerate input ---------------------------------------------------

def test_empty_single_node_and_no_links():
    empty = infomap(nx.Graph())
    assert empty.communities == () and empty.codelength == 0.0
    single = nx.Graph()
    single.add_node("字")
    assert infomap(single).communities == (frozenset({"字"}),)
    loop = nx.Graph([("a", "a")])
    assert infomap(loop).communities == (frozenset({"a"}),)
    isolated = nx.empty_graph(3)
    assert len(infomap(isolated).communities) == 3


def test_disconnected_components_and_isolated_nodes():
    G = nx.disjoint_union(nx.complete_graph(5), nx.complete_graph(5))
    G.add_node("alone")
    result = infomap(G, trials=2)
    assert set(result.communities) == {frozenset(range(5)), frozenset(range(5, 10)), frozenset({"alone"})}
    assert result.flow["alone"] == 0.0
    assert result.modules["alone"] == 2  # a node without flow comes last


def test_weights_zero_negative_duplicates_self_loops():
    assert as_links((np.array([0, 1]), np.array([1, 2]), np.array([1.0, 0.0]))).src.size == 1
    with pytest.raises(InputError, match="negative"):
        infomap((np.array([0]), np.array([1]), np.array([-1.0])))
    with pytest.raises(InputError, match="finite"):
        infomap((np.array([0]), np.array([1]), np.array([np.nan])))
    multi = nx.MultiGraph([(0, 1), (1, 0), (1, 2)])
    links = as_links(multi)
    assert links.weight.tolist() == [2.0, 1.0]  # (0,1) twice, whichever way round
    assert map_equation(multi, {0: 0, 1: 0, 2: 1}) == pytest.approx(
        map_equation(nx.Graph([(0, 1, {"weight": 2}), (1, 2)]), {0: 0, 1: 0, 2: 1}))
    looped = nx.Graph([(0, 0), (0, 1), (1, 2)])
    assert as_links(looped).src.size == 3 and infomap(looped).codelength >= 0


def test_bad_arguments():
    with pytest.raises(InputError, match="trials"):
        infomap(nx.path_graph(3), trials=0)
    with pytest.raises(InputError):
        infomap([1, 2, 3])
    with pytest.raises(InputError, match="no module"):
        map_equation(nx.path_graph(3), {0: 0, 1: 0})


def test_read_edges_names_and_delimiter():
    links = read_edges(["# comment", "北京 上海 2", "上海 广州", "", "孤岛"])
    assert links.nodes == ("北京", "上海", "广州", "孤岛") and links.weight.tolist() == [2.0, 1.0]
    spaced = read_edges(["New York\tBoston\t1.5"], delimiter="\t")
    assert spaced.nodes == ("New York", "Boston")
    with pytest.raises(InputError, match="line 2"):
        read_edges(["a b", "a b c d"])
    with pytest.raises(InputError, match="line 1: weight"):
        read_edges(["a b x"])


# -- CLI ----------------------------------------------------------------------

def test_cli_communities(cli, tmp_path):
    edges = tmp_path / "edges.txt"
    rows = [f"甲{i} 甲{j}" for i in range(5) for j in range(i + 1, 5)]
    rows += [f"乙{i} 乙{j} 2" for i in range(5) for j in range(i + 1, 5)] + ["甲0 乙0 0.5"]
    edges.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "modules.tsv"
    result = cli("communities", str(edges), "-o", str(out), "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["num_modules"] == 2 and report["codelength"] < report["one_level_codelength"]
    assignment = dict(line.split("\t") for line in out.read_text(encoding="utf-8").splitlines())
    assert len(assignment) == 10 and len({assignment[f"甲{i}"] for i in range(5)}) == 1
    assert assignment["甲1"] != assignment["乙1"]
    quiet = cli("communities", str(edges), "-o", "-", "--directed", "--trials", "2")
    assert quiet.returncode == 0 and "codelength" in quiet.stderr and len(quiet.stdout.splitlines()) == 10


def test_cli_communities_output_is_the_same_in_every_process(cli, tmp_path, monkeypatch):
    # 北京 and 上海 have equal flow; their order must not follow the string hashing of the process
    edges = tmp_path / "links.txt"
    edges.write_text("北京 上海 3\n北京 天津\n上海 天津\n广州 深圳 2\n深圳 香港\n广州 香港\n天津 广州 0.5\n",
                     encoding="utf-8")
    outputs = set()
    for hash_seed in ("1", "2", "3", "4"):
        monkeypatch.setenv("PYTHONHASHSEED", hash_seed)
        outputs.add(cli("communities", str(edges), "-o", "-", check=True).stdout)
    assert len(outputs) == 1
    assert outputs.pop().split()[:6] == ["北京", "0", "上海", "0", "天津", "0"]


def test_cli_communities_bad_input(cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("a b -1\n", encoding="utf-8")
    result = cli("communities", str(bad), "-o", str(tmp_path / "m.tsv"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "negative" in result.stderr and not (tmp_path / "m.tsv").exists()
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    ok = cli("communities", str(empty), "-o", str(tmp_path / "e.tsv"))
    assert ok.returncode == 0 and (tmp_path / "e.tsv").read_text() == ""
    spaced = tmp_path / "spaced.tsv"
    spaced.write_text("New York\tBoston\nBoston\tLos Angeles\n", encoding="utf-8")
    out = tmp_path / "s.tsv"
    assert cli("communities", str(spaced), "--delimiter", "\\t", "-o", str(out)).returncode == 0
    assert {line.split("\t")[0] for line in out.read_text().splitlines()} == {"New York", "Boston", "Los Angeles"}
