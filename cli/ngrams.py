"""``zhtext ngrams``: exact n-gram counts, cohesion and branching entropy of raw text."""

from __future__ import annotations

import argparse
import time

from zhtext.ngrams import NgramStats

from . import COMMANDS
from .common import add_input_options, add_quiet_option, open_corpus, say, warn_replacements
from .engine import add_engine_options, blocksize, cluster_client
from .progress import ProgressBar

DESCRIPTION = """\
Count every character n-gram of length 1..N inside fragments (runs of
characters between punctuation, spaces and symbols), exactly, and measure:
  probability   c(w) / T   (T = number of word characters)
  cohesion      min over splits w = ab of log P(w) / (P(a) P(b))   (nats)
  left/right    branching entropy of the neighbouring characters (nats)
  score         cohesion + min(left, right)
See docs/ngrams.md.

examples:
  zhtext ngrams corpora/hongloumeng.txt -n 4 --min-count 5 -o stats.tsv
  zhtext ngrams corpora/hongloumeng.txt -o stats.npz    # binary: NgramStats.load("stats.npz")
  zhtext ngrams corpora/hongloumeng.txt --length 2 | head
  zhtext ngrams corpora/hongloumeng.txt --engine dask --workers 2 --blocksize 1MiB -o stats.npz"""


def register(subparsers) -> None:
    p = subparsers.add_parser("ngrams", help=COMMANDS["ngrams"],
                              description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(p)
    p.add_argument("-n", "--max-n", type=int, default=4, metavar="N",
                   help="longest n-gram (default: 4, at most 11)")
    p.add_argument("--min-count", type=int, default=5, metavar="C",
                   help="keep n-grams seen at least C times (default: 5)")
    p.add_argument("--length", type=int, metavar="L", help="write only n-grams of length L")
    p.add_argument("--no-entropy", action="store_true",
                   help="skip branching entropies (about twice as fast; columns become nan)")
    p.add_argument("-o", "--output", default="-",
                   help="TSV file (default: standard output) or .npz for the binary format")
    add_engine_options(p)
    add_quiet_option(p)
    p.set_defaults(func=run, reads=("corpus",), writes=("output",))


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    block_bytes = blocksize(args)
    with cluster_client(args) as client, \
            ProgressBar("reading", unit="B" if client is None else "tasks",
                        enabled=None if not args.quiet else False) as bar:
        replaced = []
        corpus, options = (open_corpus(args), {}) if client is None else (args.corpus, {
            "engine": "dask", "client": client, "blocksize": block_bytes,
            "encoding": args.encoding, "errors": args.errors, "on_replacements": replaced.append})
        stats = NgramStats.fit(corpus, max_n=args.max_n, min_count=args.min_count,
                               entropy=not args.no_entropy, progress=bar, on_stage=bar.stage, **options)
    warn_replacements(args, corpus.replacements if client is None else sum(replaced))
    if str(args.output).endswith(".npz"):
        stats.save(args.output)
    else:
        stats.to_tsv(args.output, n=args.length)
    say(args, f"{len(stats):,} n-grams from {stats.total:,} characters in "
              f"{time.perf_counter() - started:.1f} s")
    return 0
