"""The ``zhtext`` console script: one subcommand per module of this package.

Every module of this package that defines ``register(subparsers)`` is a
subcommand: ``register`` adds its parser and sets ``func`` to a function taking
the parsed arguments and returning an exit status. Commands are listed by
their module's ``ORDER`` (the data path: read, count, discover, segment, ...). :func:`main` turns every :class:`zhtext.errors.ZhtextError` into
one line on stderr and exit status 2, and Ctrl-C into status 130.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from zhtext import __version__
from zhtext.errors import ZhtextError

DESCRIPTION = """\
Unsupervised Chinese text analysis: n-gram statistics, new-word discovery,
segmentation, masked-LM probing and word communities, learned from raw text.

examples:
  zhtext discover corpora/hongloumeng.txt --top 20
  zhtext ngrams corpus.txt.xz -n 4 --min-count 5 -o stats.tsv
run 'zhtext COMMAND --help' for the options of each command."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhtext", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"zhtext {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(subparsers)
    return parser


def _command_modules() -> list:
    """The subcommand modules of this package, in data-path order."""
    package = importlib.import_module("zhtext_cli")
    modules = [importlib.import_module(f"zhtext_cli.{info.name}")
               for info in pkgutil.iter_modules(package.__path__) if info.name != "main"]
    commands = [m for m in modules if hasattr(m, "register")]
    return sorted(commands, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args) or 0
    except ZhtextError as err:
        print(f"zhtext {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"zhtext {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        return 0


if __name__ == "__main__":
    sys.exit(main())
