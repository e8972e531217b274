"""``zhtext graph``: a word graph (co-occurrence or similarity) learned from raw text."""

from __future__ import annotations

import argparse

from zhtext.atomic import atomic_open
from zhtext.graphs import TOKENIZERS, WordGraph, cooccurrence_graph, similarity_graph, tokenize

from . import COMMANDS
from .common import add_input_options, add_quiet_option, open_corpus, rereadable, say

DESCRIPTION = """\
Build a graph of the words of a corpus, for 'zhtext communities' or any graph tool.

--kind cooc     undirected; words less than --window tokens apart co-occur;
                weight = positive PMI log(c(u,v) D / (c(u) c(v))); pairs seen
                fewer than --min-pair-count times dropped; each word keeps its
                --top-k strongest links (default 20).
--kind similar  directed; word vectors from the PPMI matrix of the --max-words
                most frequent words by truncated SVD (--dim); each word links to
                its --top-k most similar words (default 50) with cosine >=
                --threshold (0.6); weight = cosine.

Words come from --tokenizer: zhtext (the unsupervised segmenter, learned from
the corpus itself), jieba, or whitespace (text already segmented). Only content
words are nodes: 2+ Han characters, not a function word (zhtext.graphs.STOPWORDS),
seen at least --min-count times. Output: 'u<TAB>v<TAB>weight' per line.

examples:
  zhtext graph corpora/hongloumeng.txt --kind similar -o similar.tsv
  zhtext communities similar.tsv --directed -o modules.tsv
  zhtext segment corpora/hongloumeng.txt -o hlm.seg.txt && zhtext graph hlm.seg.txt --tokenizer whitespace --kind cooc --window 3 -o cooc.tsv"""


def add_graph_options(parser: argparse.ArgumentParser, kind: str) -> None:
    """Options shared by 'graph' and 'cluster-words'."""
    parser.add_argument("--kind", choices=("cooc", "similar"), default=kind,
                        help=f"co-occurrence (PPMI) or vector-similarity graph (default: {kind})")
    parser.add_argument("--tokenizer", choices=TOKENIZERS, default="zhtext",
                        help="how raw text becomes words (default: zhtext)")
    parser.add_argument("--window", type=int, default=5, help="co-occurrence window in tokens (default: 5)")
    parser.add_argument("--min-count", type=int, default=5, help="minimum word frequency (default: 5)")
    parser.add_argument("--top-k", type=int, default=None,
                        help="links kept per word (default: 20 for cooc, 50 for similar)")
    parser.add_argument("--max-words", type=int, default=None,
                        help="most frequent words used (default: all for cooc, 10000 for similar)")
    parser.add_argument("--min-pair-count", type=int, default=3,
                        help="cooc: minimum co-occurrence count of a pair (default: 3)")
    parser.add_argument("--threshold", type=float, default=0.6,
                        help="similar: minimum cosine of a link (default: 0.6)")
    parser.add_argument("--dim", type=int, default=100, help="similar: vector dimension (default: 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def build_graph(args: argparse.Namespace) -> WordGraph:
    """The word graph the options describe."""
    if args.tokenizer == "zhtext":
        rereadable(args, "corpus")   # the segmenter is learned from the corpus, then cuts it
    say(args, f"reading and tokenizing ({args.tokenizer}) ...")
    sentences = list(tokenize(open_corpus(args), args.tokenizer))
    say(args, f"{sum(map(len, sentences)):,} tokens in {len(sentences):,} lines; building the "
              f"{args.kind} graph ...")
    if args.kind == "cooc":
        graph = cooccurrence_graph(sentences, window=args.window, min_count=args.min_count,
                                   min_pair_count=args.min_pair_count, top_k=args.top_k or 20,
                                   max_words=args.max_words)
    else:
        graph = similarity_graph(sentences, max_words=args.max_words or 10_000, top_k=args.top_k or 50,
                                 threshold=args.threshold, dim=args.dim, window=args.window,
                                 min_count=args.min_count, seed=args.seed)
    say(args, f"{graph.num_nodes:,} words, {graph.src.size:,} {'directed' if graph.directed else 'undirected'} links")
    return graph


def register(subparsers) -> None:
    parser = subparsers.add_parser("graph", help=COMMANDS["graph"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="GRAPH.tsv",
                        help="where to write 'u<TAB>v<TAB>weight' lines ('-' for stdout)")
    add_graph_options(parser, kind="cooc")
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("corpus",), writes=("output",))


def run(args: argparse.Namespace) -> int:
    graph = build_graph(args)
    with atomic_open(args.output) as out:
        out.writelines(graph.lines())
    return 0
