"""The ``zhtext`` console script: one subcommand per module of this package.

Each command of :data:`zhtext_cli.COMMANDS` is a module of this package whose
``register(subparsers)`` adds its parser and sets ``func`` to a function taking
the parsed arguments and returning an exit status. Only the module of the
command being run is imported; ``zhtext --help`` lists the commands from
``COMMANDS`` alone, so it imports none.

A command declares the arguments naming its inputs (``reads``) and its
output files (``writes``, or ``writes_folder`` for a model folder) with
``parser.set_defaults``; :func:`main` checks every output before any work
(:func:`zhtext.atomic.check_output`: its folder exists and is writable, it is
no input and no other output), turns every :class:`zhtext.errors.ZhtextError`
into one line on stderr and exit status 2, and a signal into
``zhtext COMMAND: interrupted`` and status 128 + signal (:mod:`.interrupts`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from typing import Iterator

from zhtext import __version__
from zhtext.atomic import check_output, is_special, remove_temporaries
from zhtext.errors import InputError, ZhtextError

from . import COMMANDS, interrupts

DESCRIPTION = """\
Unsupervised Chinese text analysis: n-gram statistics, new-word discovery,
segmentation, masked-LM probing and word communities, learned from raw text.

examples (from a source checkout):
  zhtext discover corpora/hongloumeng.txt --top 20
  zhtext segment corpora/hongloumeng.txt -o hongloumeng.seg.txt
  zhtext ngrams corpora/hongloumeng.txt -n 4 --min-count 5 -o stats.tsv

run 'zhtext COMMAND --help' for the options of each command."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``command`` when it names one (only its module is imported), else the
    list of commands with their summaries (none of their modules imported)."""
    parser = argparse.ArgumentParser(prog="zhtext", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"zhtext {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command in COMMANDS:
        importlib.import_module(f"zhtext_cli.{command.replace('-', '_')}").register(subparsers)
    else:
        for name, summary in COMMANDS.items():
            subparsers.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    Signal handlers are installed first, before the heavy imports, so that an
    early Ctrl-C is clean too. Called with ``argv`` (from Python), the
    caller's handlers are restored on return; as the console script, they stay
    until the process exits.
    """
    console = argv is None
    argv = sys.argv[1:] if console else list(argv)
    handlers = {n: signal.getsignal(n) for n in interrupts.SIGNALS}
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        interrupts.install(next((a for a in argv if not a.startswith("-")), None))
    try:
        return _run(argv)
    finally:
        remove_temporaries()   # spooled standard input, and any temporary a failure left
        if in_main_thread and not console:
            for number, handler in handlers.items():
                signal.signal(number, handler)


def _run(argv: list[str]) -> int:
    """Parse, check the outputs, run the command; errors and interrupts become exit statuses."""
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        check_outputs(args)
        with _compilation_notice(args):
            return args.func(args) or 0
    except ZhtextError as err:
        print(f"zhtext {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as err:
        if isinstance(err, SystemError) and not isinstance(err.__cause__, KeyboardInterrupt):
            raise
        print(interrupts.message(args.command), file=sys.stderr)
        return interrupts.exit_status()
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        return 0


@contextlib.contextmanager
def _compilation_notice(args: argparse.Namespace) -> Iterator[None]:
    """Say once, on stderr, when Numba starts compiling (the first run of a command: seconds)."""
    from numba.core import event

    command = args.command

    class Announce(event.Listener):
        said = False

        def on_start(self, _event) -> None:
            if not self.said:
                self.said = True
                prefix = "\r\x1b[K" if sys.stderr.isatty() else ""
                print(f"{prefix}zhtext {command}: compiling the numerical kernels on first use "
                      f"(once; later runs reuse them) ...", file=sys.stderr, flush=True)

        def on_end(self, _event) -> None:
            pass

    if getattr(args, "quiet", False):
        yield
        return
    listener = Announce()
    event.register("numba:compile", listener)
    try:
        yield
    finally:
        event.unregister("numba:compile", listener)


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that would overwrite an input or each other."""
    def named(names) -> list[str]:
        values = [getattr(args, name, None) for name in names]
        flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
        return [str(v) for v in flat if v is not None]

    inputs = named(getattr(args, "reads", ()))
    files, folders = named(getattr(args, "writes", ())), named(getattr(args, "writes_folder", ()))
    seen: dict[str, str] = {}
    for path in files + folders:
        check_output(path, inputs, folder=path in folders)
        key = os.path.realpath(path) if path != "-" else "-"
        if key in seen and (path == "-" or not is_special(path)):
            raise InputError(f"{path}: named for two outputs; give each its own file")
        seen[key] = path


if __name__ == "__main__":
    sys.exit(main())
