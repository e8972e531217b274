"""``zhtext discover``: a ranked lexicon of the words of raw text."""

from __future__ import annotations

import argparse
import sys
import time

from zhtext.discover import WordDiscoverer
from zhtext.errors import InputError
from zhtext.keyness import load_background
from zhtext.lexicon import RANKINGS, Lexicon, jieba_dictionary

from . import COMMANDS
from .common import (add_background_option, add_input_options, add_quiet_option, open_corpus, say,
                     warn, warn_replacements)
from .engine import add_engine_options, blocksize, cluster_client
from .progress import ProgressBar

NEW_ONLY_RANK = "score"
"""Measured against keyness and count on PKU and GSDSimp (docs/benchmarks.md, New words)."""
DESCRIPTION = """\
Discover the words of raw Chinese text, with no dictionary and no labels.

N-grams that stick together (cohesion = the weakest split's PMI, above 2, 4, 6
nats for lengths 2, 3, 4) cover the gaps inside them; the text is cut at every
uncovered gap, the pieces are counted, and long pieces are back-checked.
min-count grows with the corpus (2 at 0.4 M characters, 20 at 45 M).
keyness = Dunning's G² = 2 Σ O ln(O/E) of each word's count against general
text (--background; by default the shipped base model), signed: + where the
corpus over-represents the word. See docs/discovery.md.

examples:
  zhtext discover corpora/hongloumeng.txt --top 20
  zhtext discover corpora/hongloumeng.txt --rank score -o lexicon.tsv
  zhtext discover corpora/hongloumeng.txt --new-only --rank keyness --top 20
  tail -n 1300 corpora/hongloumeng.txt > late.txt
  head -n 1300 corpora/hongloumeng.txt | zhtext discover - --rank keyness --background late.txt --top 20
  zhtext discover corpora/hongloumeng.txt --new-only --format jieba -o userdict.txt
  python -c 'import jieba; jieba.load_userdict("userdict.txt"); print(jieba.lcut("宝玉笑道"))'
  zhtext discover corpora/hongloumeng.txt --engine dask --workers 2 --blocksize 1MiB -o lexicon.tsv"""


def register(subparsers) -> None:
    p = subparsers.add_parser("discover", help=COMMANDS["discover"],
                              description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(p)
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", default="-",
                     help="output file, written atomically (default: standard output)")
    out.add_argument("--format", choices=("tsv", "jieba"), default="tsv",
                     help="tsv: word, count, cohesion, left/right entropy, score, keyness with a "
                          "header (default); jieba: 'word count' lines, a dictionary of its own, "
                          "or with --new-only 'word frequency' lines for jieba.load_userdict, the "
                          "frequency calibrated against jieba's dict.txt so an entry only fills "
                          "what jieba would cut into single characters (docs/discovery.md)")
    out.add_argument("--top", type=int, metavar="K", help="keep the K best words")
    out.add_argument("--min-length", type=int, default=2, metavar="L",
                     help="shortest word to report (default: 2)")
    out.add_argument("--rank", choices=tuple(RANKINGS),
                     help="order by count (the default for all words), by score = cohesion + "
                          "min(H_L, H_R) (the default with --new-only: rare but strongly bound "
                          "strings first, which is where new words are), or by keyness = G² "
                          "against the background, signed: what the corpus over-represents first")
    out.add_argument("--new-only", action="store_true",
                     help="drop words already in a reference dictionary (jieba's dict.txt "
                          "unless --reference is given), traditional forms of known words "
                          "included (問題 is known when 问题 is), collocations of known "
                          "words that each occur mostly elsewhere (这一, 也是, 他还说), and "
                          "fragments seen mostly inside a known word (力以赴 of 全力以赴)")
    out.add_argument("--reference", metavar="FILE", action="append",
                     help="a dictionary for --new-only: a word list, jieba dictionary or "
                          "zhtext lexicon (repeat for several)")
    add_background_option(out)
    out.add_argument("--mixed", action="store_true",
                     help="also keep terms holding letters, as whole runs (iPhone15, B超, DDR3); "
                          "by default entries are Chinese characters only, never numbers or "
                          "Latin words")
    algo = p.add_argument_group("algorithm")
    algo.add_argument("-n", "--max-n", type=int, default=4, metavar="N",
                      help="longest n-gram counted (default: 4)")
    algo.add_argument("--min-count", type=int, metavar="C",
                      help="least count of an n-gram and of a word "
                           "(default: max(2, round(3*sqrt(chars/1e6))))")
    algo.add_argument("--thresholds", metavar="T2,T3,...",
                      help="cohesion thresholds in nats for lengths 2..N (default: 2,4,6,...)")
    algo.add_argument("--min-entropy", type=float, metavar="H",
                      help="also require min(left, right) branching entropy >= H nats")
    add_engine_options(p)
    add_quiet_option(p)
    p.set_defaults(func=run, reads=("corpus", "reference", "background"), writes=("output",))


def _thresholds(text: str | None, max_n: int) -> tuple[float, ...] | None:
    if text is None:
        return None
    values = [float(v) for v in text.split(",") if v.strip()]
    if len(values) != max_n - 1:
        raise SystemExit(f"zhtext discover: error: --thresholds needs {max_n - 1} values "
                         f"(lengths 2..{max_n}), got {len(values)}")
    return (0.0, *values)


def _rank(args: argparse.Namespace, background) -> str:
    """The ranking asked for, or the default; keyness needs a background."""
    if args.rank == "keyness" and background is None:
        raise InputError("--rank keyness needs a background: give --background FILE "
                         "(raw text, a lexicon with counts or a model)")
    return args.rank or (NEW_ONLY_RANK if args.new_only else "count")


def run(args: argparse.Namespace) -> int:
    corpus = open_corpus(args) if args.engine == "local" else None
    background = load_background(args.background)
    rank = _rank(args, background)
    finder = WordDiscoverer(max_n=args.max_n, min_count=args.min_count,
                            thresholds=_thresholds(args.thresholds, args.max_n),
                            min_entropy=args.min_entropy, mixed=args.mixed, background=background)
    started = time.perf_counter()
    block_bytes = blocksize(args)
    with cluster_client(args) as client, \
            ProgressBar("reading", unit="B" if client is None else "tasks",
                        enabled=None if not args.quiet else False) as bar:
        replaced = []
        if client is None:
            finder.fit(corpus, progress=bar, on_stage=bar.stage)
        else:
            finder.fit(args.corpus, progress=bar, on_stage=bar.stage, engine="dask", client=client,
                       blocksize=block_bytes, encoding=args.encoding, errors=args.errors,
                       on_replacements=replaced.append)
    if args.new_only:
        known = [w for path in args.reference or [jieba_dictionary()] for w in Lexicon.load(path).words]
        lexicon = finder.new_words(known)
    else:
        lexicon = finder.lexicon_
    lexicon = lexicon.with_min_length(args.min_length).ranked(rank)
    if args.top is not None:
        lexicon = lexicon.top(args.top)
    if finder.stats_.total == 0:
        warn(args, "the input holds no word characters: the lexicon is empty")
    elif not len(finder.lexicon_):
        warn(args, "no Chinese words found (numbers and Latin words are not entries; "
                   "--mixed keeps terms with letters): the lexicon is empty")
    warn_replacements(args, corpus.replacements if corpus is not None else sum(replaced))
    extends = jieba_dictionary() if args.new_only and args.format == "jieba" else None
    lexicon.save(args.output, format=args.format, extends=extends)
    say(args, f"{len(lexicon)} words from {finder.stats_.total:,} characters "
              f"(min count {finder.min_count_}) in {time.perf_counter() - started:.1f} s"
              + ("" if args.output == "-" else f" -> {args.output}"))
    sys.stdout.flush()
    return 0
