"""``zhtext communities``: InfoMap modules of a graph given as an edge list."""

from __future__ import annotations

import argparse
import json
import sys

from zhtext.atomic import atomic_open
from zhtext.community import infomap, read_edges
from zhtext.errors import InputError

from . import COMMANDS
from .common import add_input_options, add_quiet_option, open_corpus, say

DESCRIPTION = """\
Find communities in a graph with InfoMap (the two-level map equation): the
partition of the nodes into modules that gives the shortest description of a
random walk on the graph, in bits per step.

EDGES has one link per line, 'u v [weight]' (weight 1 if absent); node names
may be any words. Duplicate links are summed, zero weights dropped, negative
weights refused; a line with a single name adds a node without links; lines
starting with '#' are comments. Links are undirected unless --directed
(directed flow: PageRank with teleportation 0.15, as the reference software).

MODULES.tsv gets 'node<TAB>module' per line; modules are numbered from 0 by
decreasing flow, and nodes listed by module, then by decreasing flow. The
codelength is reported on stderr (and in --json on stdout).

examples:
  zhtext graph corpora/hongloumeng.txt -o graph.tsv && zhtext communities graph.tsv -o modules.tsv
  zhtext communities graph.tsv --directed --trials 20 --seed 7 -o modules.tsv --json
  printf 'Jia Baoyu\\tLin Daiyu\\t3\\nLin Daiyu\\tXue Baochai\\n' > 'names with spaces.tsv'
  zhtext communities 'names with spaces.tsv' --delimiter '\\t' -o modules.tsv"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("communities", help=COMMANDS["communities"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser, nargs=None, name="edges",
                      help="edge list 'u v [weight]' per line (.gz/.bz2/.xz read transparently; '-' is stdin)")
    parser.add_argument("-o", "--output", required=True, metavar="MODULES.tsv",
                        help="where to write 'node<TAB>module' lines ('-' for stdout)")
    parser.add_argument("--directed", action="store_true", help="links are directed u -> v")
    parser.add_argument("--trials", type=int, default=10,
                        help="independent searches; the shortest code wins (default: 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--delimiter", default=None,
                        help=r"field separator, e.g. '\t' for names holding spaces (default: any whitespace)")
    parser.add_argument("--teleport-to", choices=("links", "nodes"), default="links",
                        help="directed only: teleport in proportion to out-weight (links, the "
                             "reference default) or uniformly (nodes)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("edges",), writes=("output",))


def run(args: argparse.Namespace) -> int:
    if args.json and args.output == "-":
        raise InputError("--json and -o - both write to stdout; name an output file")
    if args.seed < 0:
        raise InputError("--seed must be >= 0")
    delimiter = args.delimiter.encode().decode("unicode_escape") if args.delimiter else None
    links = read_edges(open_corpus(args, [args.edges]), delimiter=delimiter, directed=args.directed)
    result = infomap(links, trials=args.trials, seed=args.seed, teleport_to=args.teleport_to)
    with atomic_open(args.output) as out:
        for index, module in enumerate(result.ranked_communities()):
            for node in module:
                out.write(f"{node}\t{index}\n")
    say(args, f"{links.num_nodes:,} nodes, {links.src.size:,} {'directed' if links.directed else 'undirected'} "
              f"links: {result.num_modules:,} modules, codelength {result.codelength:.6f} bits "
              f"(one module: {result.one_level_codelength:.6f}, savings {result.relative_savings:.2%})")
    if args.json:
        json.dump({"nodes": links.num_nodes, "links": int(links.src.size), "directed": links.directed,
                   "trials": args.trials, "seed": args.seed, "num_modules": result.num_modules,
                   "codelength": result.codelength, "one_level_codelength": result.one_level_codelength,
                   "relative_savings": result.relative_savings, "output": args.output}, sys.stdout)
        sys.stdout.write("\n")
    return 0
