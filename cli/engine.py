"""``--engine dask`` and its cluster options, for the commands that count n-grams."""

from __future__ import annotations

import argparse
import contextlib
from typing import Iterator

from zhtext.errors import InputError

from .common import say

CLUSTER_OPTIONS = ("scheduler", "scheduler_file", "workers", "memory_limit", "blocksize")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--engine and the Dask options (docs/scale.md)."""
    group = parser.add_argument_group("engine (docs/scale.md)")
    group.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local: this process (default); dask: a Dask cluster, the same result "
                            "bit for bit (needs pip install 'zhtext[dask]')")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local "
                            "cluster on this machine)")
    group.add_argument("--scheduler-file", metavar="FILE",
                       help="the scheduler file of a running cluster (dask scheduler "
                            "--scheduler-file, dask-jobqueue, Kubernetes)")
    group.add_argument("--workers", type=int, metavar="N",
                       help="processes of the local cluster (default: one per core)")
    group.add_argument("--memory-limit", metavar="SIZE",
                       help="memory of each local worker, e.g. 4GiB (default: the machine's, "
                            "shared out)")
    group.add_argument("--blocksize", metavar="SIZE",
                       help="bytes of text per task, cut at newlines (default: 32MiB)")


@contextlib.contextmanager
def cluster_client(args: argparse.Namespace) -> Iterator:
    """The Dask client for ``--engine dask`` (None for the local engine), its dashboard said."""
    if args.engine != "dask":
        given = [f"--{name.replace('_', '-')}" for name in CLUSTER_OPTIONS
                 if getattr(args, name) is not None]
        if given:
            raise InputError(f"{given[0]} needs --engine dask")
        yield None
        return
    from zhtext.distributed import connect

    with connect(args.scheduler, args.scheduler_file, args.workers, args.memory_limit) as client:
        say(args, f"Dask: {len(client.nthreads())} workers, dashboard {client.dashboard_link}")
        yield client


def blocksize(args: argparse.Namespace) -> int | None:
    """``--blocksize`` in bytes (``64MiB``, ``500kB``, ``1000000``); None for the default."""
    from zhtext.distributed import parse_size

    return None if args.blocksize is None else parse_size(args.blocksize, "--blocksize")
