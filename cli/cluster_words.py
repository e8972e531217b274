"""``zhtext cluster-words``: groups of related words from raw text (word graph + InfoMap)."""

from __future__ import annotations

import argparse

import numpy as np

from zhtext.atomic import atomic_open
from zhtext.community import InfomapResult, infomap
from zhtext.errors import InputError
from zhtext.graphs import WordGraph

from . import COMMANDS
from .common import add_input_options, add_quiet_option, say, warn
from .graph import add_graph_options, build_graph

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
central words) as a labelled graph, one colour per module: .svg (text kept as
text, no matplotlib needed) or .png (matplotlib, in a font that covers every
word: --font PATH, $ZHTEXT_FONT or an installed CJK font; without one, an
error says so). See docs/pictures.md.

examples:
  zhtext cluster-words corpora/hongloumeng.txt -o clusters.txt
  zhtext cluster-words corpora/hongloumeng.txt --kind cooc --tokenizer jieba -o clusters.txt --plot clusters.svg
  zhtext segment corpora/hongloumeng.txt -o hlm.seg.txt && zhtext cluster-words hlm.seg.txt --tokenizer whitespace --min-count 3 -o clusters.txt"""

def register(subparsers) -> None:
    parser = subparsers.add_parser("cluster-words", help=COMMANDS["cluster-words"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="CLUSTERS.txt",
                        help="where to write one cluster per line ('-' for stdout)")
    add_graph_options(parser, kind="similar")
    parser.add_argument("--trials", type=int, default=10, help="InfoMap trials (default: 10)")
    parser.add_argument("--min-size", type=int, default=2, help="smallest cluster written (default: 2)")
    parser.add_argument("--plot", metavar="FILE",
                        help="draw the largest clusters, labelled, to this picture (.svg or .png)")
    parser.add_argument("--font", metavar="PATH",
                        help="font file for a .png plot (default: $ZHTEXT_FONT, else an installed CJK "
                             "font that covers every word; .svg needs none)")
    parser.add_argument("--plot-clusters", type=int, default=12, help="clusters drawn (default: 12)")
    parser.add_argument("--plot-words", type=int, default=25, help="words drawn per cluster (default: 25)")
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("corpus", "font"), writes=("output", "plot"))


def run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise InputError("--seed must be >= 0")
    if args.plot:
        from zhtext.plots import picture_format
        picture_format(args.plot)            # a wrong suffix fails before the work
    elif args.font:
        warn(args, "--font is used only with --plot FILE.png: ignored")
    graph = build_graph(args)
    result = infomap(graph, trials=args.trials, seed=args.seed)
    clusters = [module for module in result.ranked_communities() if len(module) >= args.min_size]
    with atomic_open(args.output) as out:
        out.writelines(" ".join(words) + "\n" for words in clusters)
    say(args, f"{result.num_modules:,} modules, {len(clusters):,} clusters of {args.min_size}+ words "
              f"written; codelength {result.codelength:.4f} bits (one module: "
              f"{result.one_level_codelength:.4f}, savings {result.relative_savings:.2%})")
    if args.plot:
        plot(graph, result, clusters[: args.plot_clusters], args)
    return 0


def plot(graph: WordGraph, result: InfomapResult, clusters: list[list[str]], args) -> None:
    """The drawn clusters' words, labelled, with the graph's edges among them (zhtext.plots.draw_clusters)."""
    from zhtext.plots import draw_clusters

    drawn = [cluster[: args.plot_words] for cluster in clusters]
    if not drawn:
        warn(args, "no cluster to plot: nothing drawn")
        return
    index = {word: k for k, word in enumerate(graph.words)}
    keep = np.zeros(len(graph.words), dtype=bool)
    keep[[index[w] for words in drawn for w in words if w in index]] = True
    src, dst, weight = graph.src, graph.dst, graph.weight
    mask = keep[src] & keep[dst]
    edges = [(graph.words[u], graph.words[v], w)
             for u, v, w in zip(src[mask].tolist(), dst[mask].tolist(), weight[mask].tolist())]
    draw_clusters(drawn, args.plot, edges=edges, flow=result.flow, font=args.font,
                  title=f"{len(drawn)} largest word clusters (InfoMap, {args.kind} graph)")
    say(args, f"plot written to {args.plot}")
