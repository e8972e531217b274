"""InfoMap benchmark: zhtext.community.infomap against the official ``infomap`` package.

For every graph both run with the same number of trials on one thread; the
official package then scores zhtext's partition itself (``no_infomap`` with an
initial partition), so the codelengths compared come from one implementation.
Printed per graph: both codelengths and their relative gap (target: within
0.5%), NMI of each partition against the planted one (target: zhtext no lower
by more than 0.01), wall times and their ratio (target: zhtext <= 2x on the
100,000-node graph). Numba compile time and cache-load time are measured
separately in fresh processes.

    python benchmarks/bench_infomap.py                 # everything (about 3 minutes on 2 cores)
    python benchmarks/bench_infomap.py --quick         # LFR N=1,000 only
    python benchmarks/bench_infomap.py --only planted --trials 3
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import networkx as nx
import numpy as np

warnings.filterwarnings("ignore", message=".*(deprecated|leaves).*")  # 2.16 notes on its legacy API
import infomap as official  # noqa: E402  (the reference: a benchmark dependency only)

from zhtext.community import as_links, infomap  # noqa: E402


def lfr(n: int, mu: float, seed: int) -> tuple[nx.Graph, np.ndarray]:
    """A networkx LFR graph (average degree 20) and its planted communities."""
    G = nx.LFR_benchmark_graph(n, 3, 1.5, mu, average_degree=20, max_degree=50, min_community=20,
                               max_community=100, seed=seed, max_iters=2000)
    G.remove_edges_from(nx.selfloop_edges(G))
    labels = {}
    for node in G:
        labels.setdefault(frozenset(G.nodes[node]["community"]), len(labels))
    truth = np.array([labels[frozenset(G.nodes[node]["community"])] for node in G])
    return G, truth


def planted(n: int = 100_000, block: int = 100, degree: float = 20, mu: float = 0.3,
            seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Planted partition: ``n/block`` groups; each node has on average
    ``degree * (1 - mu)`` links inside its group and ``degree * mu`` to random nodes."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) // block
    inside = int(n * degree * (1 - mu) / 2)
    groups = rng.integers(0, n // block, inside)
    src_in = groups * block + rng.integers(0, block, inside)
    dst_in = groups * block + rng.integers(0, block, inside)
    outside = int(n * degree * mu / 2)
    src = np.concatenate([src_in, rng.integers(0, n, outside)])
    dst = np.concatenate([dst_in, rng.integers(0, n, outside)])
    keep = src != dst
    pairs = np.unique(np.stack([np.minimum(src, dst), np.maximum(src, dst)])[:, keep], axis=1)
    return (pairs[0], pairs[1]), truth


def nmi(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised mutual information ``2 I(a;b) / (H(a) + H(b))`` of two labelings."""
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    joint = np.bincount(a * (b.max() + 1) + b).astype(float)
    joint = joint[joint > 0] / a.size
    pa, pb = np.bincount(a) / a.size, np.bincount(b) / b.size
    ha, hb = -np.sum(pa * np.log(pa)), -np.sum(pb * np.log(pb))
    mutual = ha + hb + np.sum(joint * np.log(joint))
    return 1.0 if ha + hb == 0 else float(2 * mutual / (ha + hb))


def run_official(links, trials: int, seed: int, partition: np.ndarray | None = None):
    """(codelength, modules per node, seconds) from the official package, one thread."""
    im = official.Infomap(two_level=True, silent=True, directed=links.directed, num_trials=trials,
                          seed=seed + 1, no_infomap=partition is not None, num_threads=1)
    im.add_nodes(range(links.num_nodes))
    im.add_links(zip(links.src.tolist(), links.dst.tolist(), links.weight.tolist()))
    start = time.perf_counter()
    if partition is None:
        im.run()
    else:
        im.run(initial_partition=dict(enumerate(partition.tolist())))
    seconds = time.perf_counter() - start
    modules = im.get_modules()
    return im.codelength, np.array([modules[i] for i in range(links.num_nodes)]), seconds


def compare(name: str, graph, truth: np.ndarray, trials: int, seed: int) -> dict:
    links = as_links(graph)
    start = time.perf_counter()
    result = infomap(graph, trials=trials, seed=seed)
    ours_seconds = time.perf_counter() - start
    ours = np.array([result.modules[node] for node in links.nodes])
    ref_length, ref_modules, ref_seconds = run_official(links, trials, seed)
    scored, _, _ = run_official(links, 1, seed, ours)
    row = dict(graph=name, nodes=links.num_nodes, links=links.src.size, trials=trials,
               L_zhtext=scored, L_zhtext_own=result.codelength, L_official=ref_length,
               gap=scored / ref_length - 1, nmi_zhtext=nmi(ours, truth), nmi_official=nmi(ref_modules, truth),
               modules_zhtext=result.num_modules, modules_official=len(set(ref_modules.tolist())),
               t_zhtext=ours_seconds, t_official=ref_seconds)
    print(f"{name:<22} n={row['nodes']:>7,} m={row['links']:>9,} trials={trials:<2} "
          f"L zhtext {scored:.5f} (own {result.codelength:.5f}) official {ref_length:.5f} "
          f"gap {row['gap']:+.3%} | NMI zhtext {row['nmi_zhtext']:.4f} official {row['nmi_official']:.4f} "
          f"| modules {row['modules_zhtext']}/{row['modules_official']} "
          f"| time zhtext {ours_seconds:.2f}s official {ref_seconds:.2f}s ratio {ours_seconds / ref_seconds:.2f}x",
          flush=True)
    return row


def compile_times() -> tuple[float, float]:
    """Seconds for a first call in a fresh process: with an empty Numba cache, then cached."""
    code = ("import time; t = time.perf_counter(); import networkx as nx; "
            "from zhtext.community import infomap; infomap(nx.karate_club_graph(), trials=1); "
            "infomap(nx.DiGraph(nx.karate_club_graph()), trials=1); print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold, warm = (float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                           text=True, check=True).stdout) for _ in range(2))
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="LFR N=1,000 only")
    parser.add_argument("--only", choices=("lfr1k", "lfr10k", "planted"), help="one family of graphs")
    parser.add_argument("--trials", type=int, default=10, help="trials for LFR graphs (default 10)")
    parser.add_argument("--planted-trials", type=int, default=3, help="trials for the 100k graph (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    families = ["lfr1k"] if args.quick else [args.only] if args.only else ["lfr1k", "lfr10k", "planted"]
    cold, warm = compile_times()
    print(f"Numba: first call with an empty cache {cold:.1f}s (compile), with the cache {warm:.1f}s")
    infomap(nx.karate_club_graph(), trials=1)  # load the cache in this process before timing
    rows = []
    for family in families:
        if family == "planted":
            for mu in (0.3, 0.5):
                edges, truth = planted(mu=mu, seed=args.seed)
                rows.append(compare(f"planted 100k mu={mu}", edges, truth, args.planted_trials, args.seed))
            continue
        n = 1000 if family == "lfr1k" else 10_000
        for mu in (0.1, 0.3, 0.5):
            G, truth = lfr(n, mu, seed=10 + args.seed)
            rows.append(compare(f"LFR N={n:,} mu={mu}", G, truth, args.trials, args.seed))
    worst_gap = max(r["gap"] for r in rows)
    worst_nmi = max(r["nmi_official"] - r["nmi_zhtext"] for r in rows)
    print(f"worst codelength gap {worst_gap:+.3%} (target <= +0.5%); "
          f"worst NMI deficit {worst_nmi:+.4f} (target <= 0.01)")


if __name__ == "__main__":
    main()
