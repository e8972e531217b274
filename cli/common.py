"""Options and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import sys

from zhtext.corpus import Corpus


def add_input_options(parser: argparse.ArgumentParser, nargs: str = "+", name: str = "corpus",
                      help: str = "text files (.gz/.bz2/.xz read transparently); '-' is stdin") -> None:
    """Positional input files plus --encoding and --errors."""
    parser.add_argument(name, nargs=nargs, metavar=name.upper(), help=help)
    parser.add_argument("--encoding", default="utf-8",
                        help="input encoding, e.g. gb18030, gbk, big5, utf-16 (default: utf-8; "
                             "a BOM is honoured)")
    parser.add_argument("--errors", choices=("strict", "replace"), default="strict",
                        help="undecodable bytes: stop with an error naming the line and byte "
                             "offset (strict, default), or replace them by U+FFFD and count them")


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary on stderr")


def open_corpus(args: argparse.Namespace, paths=None) -> Corpus:
    """The Corpus for the input files named on the command line."""
    return Corpus.from_files(paths if paths is not None else args.corpus,
                             encoding=args.encoding, errors=args.errors)


def say(args: argparse.Namespace, message: str) -> None:
    """A status line on stderr unless --quiet."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def warn(args: argparse.Namespace, message: str) -> None:
    """A warning on stderr (shown even with --quiet)."""
    print(f"zhtext {args.command}: warning: {message}", file=sys.stderr)
