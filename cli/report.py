"""``zhtext report``: one self-contained HTML page about a corpus."""

from __future__ import annotations

import argparse
import time

from zhtext.errors import InputError
from zhtext.lexicon import RANKINGS

from . import COMMANDS
from .common import (add_background_option, add_input_options, add_quiet_option, open_corpus, rereadable,
                     say, warn)
from .progress import ProgressBar

DESCRIPTION = """\
Write one HTML page about a corpus, to open in any browser (no network needed):

  corpus        size in bytes, characters and lines, Han characters, script
                (traditional / simplified share)
  lexicon       the discovered words (as 'zhtext discover'), sortable and
                filterable, each marked new, known (in jieba's dictionary), a
                collocation of known words or a fragment of a known word
                (在话下 of 不在话下); click a word for its contexts
                (keyword in context); tick words and export them as a jieba
                user dictionary ('tick all new words' ticks the new ones)
  clusters      groups of related words (as 'zhtext cluster-words', on a sample)
  segmentation  sample lines cut by the segmenter learned from a sample of the
                corpus, pooled with the shipped base model
  tree          a sample sentence's dependency tree from the shipped dependency
                model, as 'zhtext parse' draws it (with --model DIR, combined with
                that masked LM: needs torch, pip install 'zhtext[bert]')

The lexicon and the contexts come from the whole corpus; the segmenter, the
clusters and the tree from a sample of lines spread over it (--sample-chars).
The corpus is read twice (standard input is spooled). A corpus without any Han
character is refused. See docs/report.md.

examples:
  zhtext report corpora/hongloumeng.txt -o report.html
  zhtext report corpora/hongloumeng.txt --top 500 --new-top 0 --rank score --no-parse -o report.html
  zhtext report corpora/gsdsimp_dev_sample.txt --sentence 我们在北京上学 -o sample.html"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("report", help=COMMANDS["report"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="REPORT.html",
                        help="the page, written atomically ('-' for stdout)")
    parser.add_argument("--title", help="the page's title (default: 'zhtext report: FILES')")
    lexicon = parser.add_argument_group("lexicon")
    lexicon.add_argument("--top", type=int, default=2000, metavar="N",
                         help="words in the table (default: 2000)")
    lexicon.add_argument("--new-top", type=int, default=500, metavar="K",
                         help="also the K best new words by score, often rarer than the --top "
                              "words (default: 500; 0 for none)")
    lexicon.add_argument("--rank", choices=tuple(RANKINGS), default="count",
                         help="which words make the table: the most frequent (default), the "
                              "highest score = cohesion + min(H_L, H_R), or the highest keyness "
                              "(G² against the background, signed)")
    add_background_option(lexicon)
    lexicon.add_argument("--contexts", type=int, default=5, metavar="K",
                         help="occurrences shown per word, the first in the corpus (default: 5)")
    lexicon.add_argument("--width", type=int, default=15, metavar="W",
                         help="characters of context each side, within the line (default: 15)")
    lexicon.add_argument("-n", "--max-n", type=int, default=4, metavar="N",
                         help="discovery: longest n-gram counted (default: 4)")
    lexicon.add_argument("--min-count", type=int, metavar="C",
                         help="discovery: least count of a word (default: grows with the corpus, "
                              "as in 'zhtext discover')")
    lexicon.add_argument("--reference", metavar="FILE", action="append",
                         help="dictionary that makes a word known (default: jieba's; repeat for several)")
    sample = parser.add_argument_group("sample (segmenter, clusters, tree)")
    sample.add_argument("--sample-chars", type=int, default=4_000_000, metavar="N",
                        help="most characters of the sample of lines (default: 4,000,000)")
    sample.add_argument("--base", metavar="FILE",
                        help="the segmenter's base model; 'none' for none (default: the shipped one)")
    sample.add_argument("--no-clusters", action="store_true",
                        help="leave out the word clusters (a few seconds to a minute)")
    sample.add_argument("--no-parse", action="store_true",
                        help="leave out the dependency tree")
    sample.add_argument("--sentence", metavar="TEXT",
                        help="the sentence to parse (default: one chosen from the sample)")
    sample.add_argument("--model", metavar="DIR",
                        help="masked-LM folder whose Perturbed-Masking scores join the dependency "
                             "model's for the tree (default: none, the dependency model alone)")
    sample.add_argument("--device", default="auto",
                        help="device of the masked LM: auto (CUDA if present), cpu, cuda")
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("corpus", "reference", "base", "model", "background"),
                        writes=("output",))


def run(args: argparse.Namespace) -> int:
    if args.top < 1 or args.sample_chars < 1:
        raise InputError("--top and --sample-chars must be at least 1")
    if min(args.contexts, args.width, args.new_top) < 0:
        raise InputError("--new-top, --contexts and --width must be 0 or more")
    if args.sentence is not None and not args.sentence.strip():
        raise InputError("--sentence is empty: give a sentence, or leave it out")
    if args.no_parse and (args.sentence or args.model):
        raise InputError("--sentence and --model choose the tree, which --no-parse leaves out")
    from zhtext.report import build_report

    rereadable(args, "corpus")          # read twice: discovery, then the contexts
    corpus = open_corpus(args)
    started = time.perf_counter()
    base = None if args.base == "none" else (args.base or "default")
    with ProgressBar("reading", enabled=None if not args.quiet else False) as bar:
        def stage(name: str) -> None:
            bar.stage(name)

        report = build_report(corpus, top=args.top, new_top=args.new_top, rank=args.rank, contexts=args.contexts,
                              width=args.width, max_n=args.max_n, min_count=args.min_count,
                              sample_chars=args.sample_chars, base=base, reference=args.reference,
                              background=args.background,
                              clusters=not args.no_clusters, parse=not args.no_parse,
                              sentence=args.sentence, model=args.model, device=args.device,
                              title=args.title, progress=bar, on_stage=stage)
        bar.stage("writing")
        report.save(args.output)
    if report.figures.replacements:
        warn(args, f"{report.figures.replacements} undecodable byte sequences were replaced by U+FFFD")
    if not len(report.lexicon):
        warn(args, f"no word reached the min count ({report.min_count}): the lexicon table is empty")
    for name, note in (("clusters", report.clusters_note), ("tree", report.parse_note)):
        if note.startswith("absent"):
            say(args, f"zhtext report: {name} {note}")
    say(args, f"{len(report.lexicon):,} of {report.discovered:,} words ({report.new_words:,} new), "
              f"{len(report.clusters)} clusters, {'a' if report.parse_svg else 'no'} tree, from "
              f"{report.figures.chars:,} characters in {time.perf_counter() - started:.1f} s ("
              + ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.timings.items()) + ")"
              + ("" if args.output == "-" else f" -> {args.output}"))
    return 0
