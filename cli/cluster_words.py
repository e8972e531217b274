"""``zhtext cluster-words``: groups of related words from raw text (word graph + InfoMap)."""

from __future__ import annotations

import argparse

from zhtext.atomic import atomic_open, atomic_path
from zhtext.community import InfomapResult, infomap
from zhtext.errors import InputError
from zhtext.graphs import WordGraph

from .common import add_input_options, add_quiet_option, say, warn
from .graph import add_graph_options, build_graph

ORDER = 63

DESCRIPTION = """\
Find groups of related words (topics, synonyms, names of one kind) in a corpus,
with no labels: corpus -> words -> word graph -> InfoMap communities.

The graph is built as by 'zhtext graph' (default: --kind similar, the reference
recipe: the 10,000 most frequent content words, each linked to its 50 most
similar words with cosine >= 0.6). InfoMap then finds the modules that best
compress a random walk on it. Output: one cluster per line, words separated by
spaces and ordered by decreasing flow (the most central word first); clusters
ordered by decreasing flow; clusters smaller than --min-size left out.

--plot draws the --plot-clusters largest clusters (their --plot-words most
central words), coloured by module (needs matplotlib; word labels need a CJK
font such as Noto Sans CJK, WenQuanYi or SimHei).

examples:
  zhtext cluster-words corpora/hongloumeng.txt -o clusters.txt
  zhtext cluster-words corpora/hongloumeng.txt --kind cooc --tokenizer jieba -o clusters.txt --plot clusters.png
  zhtext segment corpora/hongloumeng.txt -o hlm.seg.txt && zhtext cluster-words hlm.seg.txt --tokenizer whitespace --min-count 3 -o clusters.txt"""

_CJK_FONTS = ("Noto Sans CJK", "Noto Serif CJK", "Source Han", "WenQuanYi", "SimHei", "Microsoft YaHei",
              "PingFang", "Heiti", "AR PL", "Droid Sans Fallback")


def register(subparsers) -> None:
    parser = subparsers.add_parser("cluster-words", help="clusters of related words (word graph + InfoMap)",
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="CLUSTERS.txt",
                        help="where to write one cluster per line ('-' for stdout)")
    add_graph_options(parser, kind="similar")
    parser.add_argument("--trials", type=int, default=10, help="InfoMap trials (default: 10)")
    parser.add_argument("--min-size", type=int, default=2, help="smallest cluster written (default: 2)")
    parser.add_argument("--plot", metavar="PNG", help="draw the largest clusters to this image")
    parser.add_argument("--plot-clusters", type=int, default=12, help="clusters drawn (default: 12)")
    parser.add_argument("--plot-words", type=int, default=25, help="words drawn per cluster (default: 25)")
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("corpus",), writes=("output", "plot"))


def run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise InputError("--seed must be >= 0")
    graph = build_graph(args)
    result = infomap(graph, trials=args.trials, seed=args.seed)
    clusters = [ranked(module, result) for module in result.communities if len(module) >= args.min_size]
    with atomic_open(args.output) as out:
        out.writelines(" ".join(words) + "\n" for words in clusters)
    say(args, f"{result.num_modules:,} modules, {len(clusters):,} clusters of {args.min_size}+ words "
              f"written; codelength {result.codelength:.4f} bits (one module: "
              f"{result.one_level_codelength:.4f}, savings {result.relative_savings:.2%})")
    if args.plot:
        plot(graph, result, clusters[: args.plot_clusters], args)
    return 0


def ranked(module: frozenset, result: InfomapResult) -> list[str]:
    """The words of a module by decreasing flow (ties: alphabetical)."""
    return sorted(module, key=lambda word: (-result.flow[word], word))


def plot(graph: WordGraph, result: InfomapResult, clusters: list[list[str]], args) -> None:
    """Spring layout of the drawn clusters' words, one colour per module."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import font_manager
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'zhtext[plot]'") from None
    import networkx as nx

    words = [w for cluster in clusters for w in cluster[: args.plot_words]]
    G = graph.to_networkx().subgraph(words).to_undirected()
    fonts = sorted({f.name for f in font_manager.fontManager.ttflist if f.name.startswith(_CJK_FONTS)})
    if not fonts:
        warn(args, "no CJK font found: the plot has no word labels")
    position = nx.spring_layout(G, seed=args.seed, weight="weight")
    colours = [result.modules[w] for w in G]
    figure, axes = plt.subplots(figsize=(14, 11))
    nx.draw_networkx_edges(G, position, ax=axes, alpha=0.15)
    nx.draw_networkx_nodes(G, position, ax=axes, node_color=colours, cmap="tab20", node_size=
                           [3e4 * result.flow[w] + 20 for w in G])
    if fonts:
        nx.draw_networkx_labels(G, position, ax=axes, font_size=8, font_family=fonts[0])
    axes.set_title(f"{len(clusters)} largest word clusters (InfoMap, {args.kind} graph)")
    axes.axis("off")
    with atomic_path(args.plot) as path:
        figure.savefig(path, dpi=120, bbox_inches="tight", format="png")
    plt.close(figure)
    say(args, f"plot written to {args.plot}")
