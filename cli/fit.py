"""``zhtext fit``: learn a segmenter model from raw text and save it."""

from __future__ import annotations

import argparse
import contextlib
import time

from zhtext.errors import InputError
from zhtext.segment import (BASE_WEIGHT, MAX_N, MIN_COUNT, Segmenter, available_memory, default_base_path,
                            learning_memory, load_base)

from . import COMMANDS
from .common import (add_input_options, add_quiet_option, deprecated_alias, open_corpus, say, warn,
                     warn_replacements)
from .engine import add_engine_options, blocksize, cluster_client
from .progress import ProgressBar

DESCRIPTION = f"""\
Learn an unsupervised word segmenter from raw (unsegmented) text and save it,
to segment other text later with 'zhtext segment --model'.

The model counts the character n-grams of the Han runs of CORPUS, scores each
by how much the uncertainty about the next and previous character rises at
its edges (branching entropy), and re-estimates a word-unigram language model
on the corpus by EM, pooled with the general model shipped with zhtext
(--base) where the corpus has little evidence. No labelled data is used. See
docs/segmentation.md.

The model file is a compressed .npz (arrays and a JSON header, no pickle).

examples:
  zhtext fit corpora/hongloumeng.txt -o hlm.npz
  zhtext fit corpora/hongloumeng.txt --base none -o hlm-alone.npz
  zhtext segment corpora/gsdsimp_dev_sample.txt --model hlm.npz -o sample.seg.txt
  zhtext discover corpora/hongloumeng.txt --format jieba -o userdict.txt && zhtext fit corpora/hongloumeng.txt --lexicon userdict.txt -o hlm-lexicon.npz
  zhtext fit corpora/hongloumeng.txt --engine dask --workers 2 --blocksize 1MiB -o hlm-dask.npz
  zhtext fit corpora/hongloumeng.txt --base none --slice-chars 300000 -o hlm-sliced.npz

defaults (chosen a priori, not tuned on any gold segmentation):
  --max-n {MAX_N}   --min-count {MIN_COUNT}   --scorer joint"""


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options of the learned model, shared with ``zhtext segment``."""
    parser.add_argument("--lexicon", metavar="FILE",
                        help="a zhtext lexicon (TSV) or jieba user dictionary used as a prior: "
                             "its words become candidate words")
    parser.add_argument("--max-n", type=int, default=MAX_N,
                        help=f"longest word in characters (default: {MAX_N})")
    parser.add_argument("--max-len", type=int, dest="max_n", action=deprecated_alias("--max-n"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--min-count", type=int, default=MIN_COUNT,
                        help=f"fewest occurrences of a candidate word (default: {MIN_COUNT})")
    parser.add_argument("--base", metavar="FILE",
                        help="a model learned from other text, pooled with INPUT's statistics: with "
                             f"all its text below {BASE_WEIGHT:,} Han characters of INPUT, as "
                             f"{BASE_WEIGHT:,} of them from twice that, so it carries small inputs and "
                             "fades before large ones; 'none' learns from INPUT alone (default: the "
                             "general model shipped with zhtext, learned from news and novels)")
    parser.add_argument("--scorer", choices=("joint", "nvbe"), default="joint",
                        help="joint: EM word-unigram model with branching-entropy evidence "
                             "(default); nvbe: branching entropy only (faster to learn)")


def learn(args: argparse.Namespace, paths: list[str]) -> Segmenter:
    """Fit on ``paths`` with the model options of ``args``, with a progress bar, here or on a
    Dask cluster (``--engine dask``, for ``zhtext fit``); here, first warn if the projected
    memory of learning exceeds the memory available."""
    engine = getattr(args, "engine", "local")
    corpus = open_corpus(args, paths) if engine == "local" else None
    slice_chars = getattr(args, "slice_chars", None)
    if slice_chars is not None and engine != "local":
        raise InputError("--slice-chars learns on this machine: drop --engine dask")
    if corpus is not None and slice_chars is None:
        need, available = learning_memory(corpus), available_memory()
        if available is not None and need > available:
            warn(args, f"learning from this input may need about {need / 1e9:.1f} GB of memory "
                       f"(projected from its size), but {available / 1e9:.1f} GB is available")
    start = time.monotonic()
    base = _base(args)
    options = {"scorer": args.scorer, "max_n": args.max_n, "min_count": args.min_count, "base": base}
    block_bytes = blocksize(args) if engine == "dask" else None
    with cluster_client(args) if hasattr(args, "engine") else contextlib.nullcontext() as client, \
            ProgressBar("learning", unit="B" if client is None else "tasks",
                        enabled=None if not args.quiet else False) as bar:
        replaced = []
        if client is None:
            model = Segmenter.fit(corpus, progress=bar, on_stage=bar.stage, slice_chars=slice_chars,
                                  **options)
        else:
            model = Segmenter.fit(paths, progress=bar, on_stage=bar.stage, engine="dask", client=client,
                                  blocksize=block_bytes, encoding=args.encoding, errors=args.errors,
                                  on_replacements=replaced.append, **options)
    warn_replacements(args, corpus.replacements if corpus is not None else sum(replaced))
    if args.lexicon:
        added = model.add_words(args.lexicon)
        say(args, f"prior lexicon {args.lexicon}: {added:,} words")
    say(args, f"learned {model.info['words']:,} words from {model.info['chars']:,} characters "
              f"in {time.monotonic() - start:.1f} s")
    return model


def _base(args: argparse.Namespace) -> Segmenter | None:
    """The base model of ``--base`` (:func:`zhtext.segment.load_base`; the shipped one by
    default), with a note when this installation has none."""
    base = load_base("default" if args.base is None else args.base)
    if base is None and args.base is None:
        say(args, f"no base model at {default_base_path()}: learning from the input alone (see --base)")
    return base


def register(subparsers) -> None:
    parser = subparsers.add_parser("fit", help=COMMANDS["fit"],
                                   description=DESCRIPTION,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_input_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="where to save the model (.npz)")
    add_model_options(parser)
    parser.add_argument("--slice-chars", type=int, metavar="N",
                        help="learn a model from each slice of about N characters and average them: "
                             "the granularity of N characters of text, the vocabulary of all of it "
                             f"(the shipped base: --slice-chars {BASE_WEIGHT} --base none); "
                             "needs --base none and the joint scorer")
    add_engine_options(parser)
    add_quiet_option(parser)
    parser.set_defaults(func=run, reads=("corpus", "lexicon", "base"), writes=("output",))


def run(args: argparse.Namespace) -> int:
    learn(args, args.corpus).save(args.output)
    say(args, f"model saved to {args.output}")
    return 0
