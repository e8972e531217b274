"""``--engine dask`` against the single-machine path, whole process, as users run the commands.

    nice -n 5 python benchmarks/bench_dask.py [--shared ../shared/corpora] [--part fudan|bounded|all]
        [--workers 2] [--command ngrams|discover|fit]

* fudan: ``zhtext COMMAND FUDAN -o local`` and ``zhtext COMMAND FUDAN --engine dask
  --workers W -o dask`` on the 142 MB raw/fudan_textcls.txt.xz (decompressed
  once): wall time of each, their ratio, and whether the two outputs are
  byte-identical.
* bounded: the same on a corpus of at least 1 GB (the Fudan text repeated, each
  copy's lines shuffled with its own seed), the workers limited to 2 GiB each.
* tasks: the library on the Fudan text with a local cluster of W workers: the
  core-seconds of each kind of task (the per-megabyte figure docs/scale.md
  extrapolates from).

Peak memory is the OS's figure (``psutil``, resident set, sampled every
0.1 s) for every process of the command's tree: the client and each worker.
Prints one JSON object per part.
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"
OUTPUT = {"ngrams": "stats.npz", "discover": "lexicon.tsv", "fit": "model.npz"}


def zhtext() -> list[str]:
    exe = Path(sys.executable).with_name("zhtext")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "zhtext"]


def measured(command: list[str]) -> dict:
    """Run ``command``; its wall time and the peak resident memory of each of its processes."""
    import psutil

    started = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, tuple[str, int]] = {}
    while process.poll() is None:
        try:
            for p in [process, *process.children(recursive=True)]:
                rss = p.memory_info().rss
                name = "client" if p.pid == process.pid else "worker"
                if rss > peaks.get(p.pid, ("", 0))[1]:
                    peaks[p.pid] = (name, rss)
        except psutil.Error:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    gib = 1 << 30
    return {"wall_s": round(wall, 1),
            "peak_gib": {f"{name} {pid}": round(rss / gib, 2) for pid, (name, rss) in sorted(peaks.items())}}


def compare(corpus: Path, folder: Path, command: str, workers: int, extra: list[str]) -> dict:
    local, remote = folder / f"local-{OUTPUT[command]}", folder / f"dask-{OUTPUT[command]}"
    one = measured(zhtext() + [command, str(corpus), "-q", "-o", str(local)])
    many = measured(zhtext() + [command, str(corpus), "-q", "-o", str(remote), "--engine", "dask",
                                "--workers", str(workers), *extra])
    return {"command": command, "corpus_mb": round(corpus.stat().st_size / 1e6, 1), "local": one,
            "dask": many, "dask_over_local": round(many["wall_s"] / one["wall_s"], 2),
            "byte_identical": local.read_bytes() == remote.read_bytes()}


def task_costs(corpus: Path, command: str, workers: int) -> dict:
    """Core-seconds per kind of task, from Dask's task stream."""
    from collections import defaultdict

    from distributed import get_task_stream

    from zhtext.discover import WordDiscoverer
    from zhtext.distributed import DEFAULT_BLOCKSIZE, connect
    from zhtext.ngrams import NgramStats
    from zhtext.segment import Segmenter

    with connect(workers=workers) as client, get_task_stream(client) as stream:
        started = time.perf_counter()
        if command == "discover":
            WordDiscoverer().fit(corpus, engine="dask", client=client)
        elif command == "fit":
            Segmenter.fit(corpus, engine="dask", client=client)
        else:
            NgramStats.fit(corpus, engine="dask", client=client)
        wall = time.perf_counter() - started
    seconds = defaultdict(float)
    for record in stream.data:
        name = str(record["key"]).split("-")[0].strip("('")
        for part in record["startstops"]:
            if part["action"] == "compute":
                seconds[name] += part["stop"] - part["start"]
    blocks = -(-corpus.stat().st_size // DEFAULT_BLOCKSIZE)
    return {"command": command, "workers": workers, "blocks": blocks, "wall_s": round(wall, 1),
            "core_s": {k: round(v, 1) for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])},
            "core_s_per_mb": round(sum(seconds.values()) / (corpus.stat().st_size / 1e6), 3)}


def fudan_text(shared: Path, folder: Path) -> Path:
    path = folder / "fudan.txt"
    with lzma.open(shared / "raw" / "fudan_textcls.txt.xz") as source, open(path, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 24)
    return path


def shuffled_copies(source: Path, folder: Path, at_least: int = 10 ** 9) -> Path:
    """``source`` repeated until ``at_least`` bytes, each copy's lines in their own order."""
    lines = source.read_bytes().splitlines(keepends=True)
    path, written, seed = folder / "fudan-1gb.txt", 0, 0
    with open(path, "wb") as out:
        while written < at_least:
            random.Random(seed).shuffle(lines)
            for line in lines:
                out.write(line)
            written, seed = written + source.stat().st_size, seed + 1
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--part", choices=("fudan", "bounded", "tasks", "all"), default="all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--command", choices=tuple(OUTPUT), default="ngrams")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(tempfile.gettempdir())) as tmp:
        folder = Path(tmp)
        fudan = fudan_text(args.shared, folder)
        if args.part in ("fudan", "all"):
            print(json.dumps({"fudan": compare(fudan, folder, args.command, args.workers, [])}), flush=True)
        if args.part in ("tasks", "all"):
            print(json.dumps({"tasks": task_costs(fudan, args.command, args.workers)}), flush=True)
        if args.part in ("bounded", "all"):
            big = shuffled_copies(fudan, folder)
            fudan.unlink()
            result = compare(big, folder, args.command, args.workers, ["--memory-limit", "2GiB"])
            print(json.dumps({"bounded": result}), flush=True)


if __name__ == "__main__":
    main()
