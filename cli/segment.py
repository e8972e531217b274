"""``zhtext segment``: split raw Chinese text into words, one output line per input line."""

from __future__ import annotations

import argparse
import collections

from zhtext.atomic import atomic_open
from zhtext.errors import InputError
from zhtext.segment import Segmenter

from . import COMMANDS
from .common import add_input_options, add_quiet_option, open_corpus, rereadable, say
from .fit import add_model_options, learn
from .progress import ProgressBar

DESCRIPTION = """\
Segment Chinese text into words, without any labelled data.

Without --model, a segmenter is first learned from INPUT itself (plus the
--corpus files: more raw text of the same kind helps), pooled with the
general model shipped with zhtext (--base; it carries a small INPUT and fades
before a large one), then INPUT is segmented. Traditional and simplified
characters share their statistics; the output keeps the input's.

Each input line gives one output line (empty lines too), words separated by
one space (--sep). Letters and digits (12.5%, iPhone15), numbers with
their magnitude, separators or ordinal prefix (20万, 16,250, 第6), URLs and
e-mail addresses stay one word; each punctuation mark is a word; whitespace
separates words and is not copied. No character is dropped, added or changed.

examples:
  zhtext segment corpora/hongloumeng.txt -o hongloumeng.seg.txt
  cat corpora/hongloumeng.txt | zhtext segment - > hongloumeng.seg.txt
  zhtext segment corpora/gsdsimp_dev_sample.txt --corpus corpora/hongloumeng.txt --save hlm.npz -o sample.seg.txt
  zhtext segment corpora/hongloumeng.txt --model hlm.npz --jobs 2 -o hongloumeng.seg.txt
  zhtext segment corpora/hongloumeng.txt --base none -o hongloumeng.seg.txt
  echo 宝玉在2001年买了iPhone。 | zhtext segment - --model hlm.npz
  zhtext segment corpora/gsdsimp_dev_sample.txt --method vote --corpus corpora/hongloumeng.txt -o sample.seg.txt
  head -3 corpora/gsdsimp_dev_sample.txt | zhtext segment - --method bert --bert models/zhtext-char-bert-small

methods:
  stats  the statistical segmenter learned from the raw text (default; fast)
  bert   cuts where a masked language model's characters barely move each other
         (Perturbed Masking; slow on a CPU, finds more new words)
  vote   both: the statistical cut stands unless the language model disagrees
         by more than one standard deviation of its own evidence (the most
         accurate; as slow as bert). See docs/segmentation.md."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("segment", help=COMMANDS["segment"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser, name="input",
                      help="text files to segment (.gz/.bz2/.xz read transparently); '-' is stdin")
    parser.add_argument("-o", "--output", default="-", metavar="OUT",
                        help="output file (default: stdout); written atomically")
    parser.add_argument("--corpus", nargs="+", default=[], metavar="RAW",
                        help="more raw text to learn from (not segmented)")
    parser.add_argument("--model", metavar="FILE",
                        help="a statistical model saved by 'zhtext fit' or --save: nothing is learned")
    parser.add_argument("--save", metavar="FILE", help="also save the learned model")
    parser.add_argument("--sep", default=" ", help="word separator (default: one space)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="threads segmenting in parallel, output identical and in input "
                             "order; more than the CPU cores do not help, 2 on 2 cores are about "
                             "1.7x as fast (default: 1)")
    parser.add_argument("--method", choices=("stats", "bert", "vote"), default="stats",
                        help="stats (default), bert or vote (see methods above); bert and vote "
                             "need torch (pip install 'zhtext[bert]')")
    parser.add_argument("--bert", metavar="DIR",
                        help="--method bert/vote: masked-LM folder, e.g. from 'zhtext pretrain' "
                             "(default: the model shipped with zhtext)")
    parser.add_argument("--device", default="auto",
                        help="--method bert/vote: cpu, cuda, ... (default: auto)")
    add_model_options(parser)
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("input", "corpus", "model", "lexicon", "base", "bert"),
                        writes=("output", "save"))


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise InputError("--jobs must be at least 1")
    if "\n" in args.sep or not args.sep:
        raise InputError("--sep must be a non-empty string without a line feed")
    if args.method != "stats":
        return _run_masked_lm(args)
    if args.bert:
        raise InputError("--bert names the masked LM of --method bert or vote")
    model = _model(args)
    corpus = open_corpus(args, args.input)
    with atomic_open(args.output) as out, ProgressBar("segmenting", enabled=False if args.quiet else None) as bar:
        for chunk in model.segment_corpus(corpus, sep=args.sep, jobs=args.jobs, progress=bar):
            out.write(chunk)
    return 0


def _model(args: argparse.Namespace) -> Segmenter:
    """The saved model, or one learned from INPUT plus --corpus."""
    if args.model:
        if args.save or args.base:
            raise InputError(f"--{'save' if args.save else 'base'} needs a model learned here, not --model")
        model = Segmenter.load(args.model)
        if args.lexicon:
            model.add_words(args.lexicon)
        return model
    rereadable(args, "input")   # learned from, then segmented
    model = learn(args, list(args.input) + list(args.corpus))
    if args.save:
        model.save(args.save)
        say(args, f"model saved to {args.save}")
    return model


def _run_masked_lm(args: argparse.Namespace) -> int:
    """Segment with :class:`zhtext.probe.BertSegmenter` or :class:`zhtext.vote.VoteSegmenter` (torch imported here)."""
    if args.method == "bert" and (args.corpus or args.save or args.lexicon or args.model):
        raise InputError("--method bert learns nothing: --model, --corpus, --save and --lexicon do not apply "
                         "(the masked LM is --bert DIR)")
    if args.jobs > 1:
        raise InputError(f"--method {args.method} runs the language model in one process: drop --jobs "
                         "(the model is batched; use --device cuda for speed)")
    from zhtext.probe import BertSegmenter
    from zhtext.vote import VoteSegmenter

    bert = BertSegmenter(model=args.bert, device=args.device)
    segmenter = bert if args.method == "bert" else VoteSegmenter(_model(args), bert)
    corpus = open_corpus(args, args.input)
    ends: collections.deque[bool] = collections.deque()  # does each piece end its line?

    with atomic_open(args.output) as out, ProgressBar("segmenting", enabled=False if args.quiet else None) as bar:
        def texts():
            for piece in corpus.pieces(bar):
                ends.append(piece.ends_line)
                yield piece.text

        for words in segmenter.cut_lines(texts()):
            out.write(args.sep.join(words) + ("\n" if ends.popleft() else args.sep if words else ""))
    return 0
