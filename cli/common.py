"""Options and helpers shared by several subcommands."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from zhtext.atomic import temporary_file
from zhtext.corpus import Corpus
from zhtext.errors import InputError


def add_input_options(parser: argparse.ArgumentParser, nargs: str = "+", name: str = "corpus",
                      help: str = "text files (.gz/.bz2/.xz read transparently); '-' is stdin") -> None:
    """Positional input files plus --encoding and --errors."""
    parser.add_argument(name, nargs=nargs, metavar=name.upper(), help=help)
    add_encoding_options(parser)


def add_encoding_options(parser: argparse.ArgumentParser) -> None:
    """--encoding and --errors: how input bytes become text."""
    parser.add_argument("--encoding", default="utf-8",
                        help="input encoding, e.g. gb18030, gbk, big5, utf-16 (default: utf-8; "
                             "a BOM is honoured)")
    parser.add_argument("--errors", choices=("strict", "replace"), default="strict",
                        help="undecodable bytes: stop with an error naming the line and byte "
                             "offset (strict, default), or replace them by U+FFFD and count them")


def add_background_option(group) -> None:
    """``--background``: the general text that keyness is measured against (discover, report)."""
    group.add_argument("--background", metavar="FILE", default="default",
                       help="general text for the keyness column: raw text (its words counted "
                            "exactly), a lexicon with counts (zhtext TSV or 'word count' lines), a "
                            "zhtext segmenter model (.npz), or 'none' (no keyness); default: the "
                            "shipped base model (45 M characters of general text)")


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bar or summary on stderr")


def open_corpus(args: argparse.Namespace, paths=None) -> Corpus:
    """The Corpus for the input files named on the command line."""
    return Corpus.from_files(paths if paths is not None else args.corpus,
                             encoding=args.encoding, errors=args.errors)


def warn_replacements(args: argparse.Namespace, count: int) -> None:
    """Say how many undecodable byte sequences ``--errors replace`` turned into U+FFFD."""
    if count:
        warn(args, f"{count:,} undecodable byte sequences were replaced by U+FFFD")


def rereadable(args: argparse.Namespace, name: str) -> None:
    """Let a command read its inputs twice: ``-`` in ``args.<name>`` becomes a spooled copy.

    Standard input is copied, as bytes, to a temporary file (bounded by the
    disk, not by memory) that is removed when the command ends, however it ends.
    """
    paths = getattr(args, name)
    single = not isinstance(paths, list)
    paths = [paths] if single else paths
    if "-" not in paths:
        return
    if paths.count("-") > 1:
        raise InputError("standard input ('-') can be named only once")
    fd, spooled = temporary_file(None, prefix="zhtext-stdin-", suffix=".txt")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    paths = [spooled if p == "-" else p for p in paths]
    setattr(args, name, paths[0] if single else paths)


def say(args: argparse.Namespace, message: str) -> None:
    """A status line on stderr unless --quiet."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def warn(args: argparse.Namespace, message: str) -> None:
    """A warning on stderr (shown even with --quiet)."""
    print(f"zhtext {args.command}: warning: {message}", file=sys.stderr)


def deprecated_alias(new: str):
    """An argparse action for an old option name: stores into ``new``'s destination and says,
    on stderr, that the option was renamed (kept for one release)."""

    class Renamed(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            print(f"zhtext: {option_string} is deprecated, use {new}", file=sys.stderr)
            setattr(namespace, self.dest, values)

    return Renamed
