"""Scaling benchmark: ``zhtext segment --jobs 1`` vs ``--jobs 2``, and the peak memory of ``zhtext fit``.

    nice -n 5 python benchmarks/bench_scale.py [--shared ../shared/corpora] [--repeat 3]
        [--no-fit] [--before DIR]

The input is the whole raw/fudan_textcls.txt.xz (142 MB of news), decompressed
once to a temporary file; the model is learned (not timed) from
raw/peoples_daily_199801.txt + sighan2005/pku_test.utf8. Every figure is one
fresh process, run as a user runs it, and measured from here: wall time, and
peak RSS from ``os.wait4``.

* segment: ``zhtext segment FILE --model M --jobs J -q -o OUT``, J = 1 and 2
  alternately, ``--repeat`` times each; medians, their ratio, and whether every
  output is byte-identical to the first ``--jobs 1`` one.
* fit: ``zhtext fit FILE -o M -q`` (default options): wall time, peak RSS and
  ``zhtext.segment.learning_memory(FILE)``, the projection the CLI warns with.
* ``--before DIR``: DIR holds an older ``zhtext`` package (e.g.
  ``git archive REV zhtext | tar -x -C DIR``); the same two measurements are
  then also made through the library (``Segmenter.fit(FILE).save(M)``,
  ``segment_corpus(FILE, jobs=J)`` written to a file) with DIR first on the
  path, and with the current code, for a before/after in the same run.

Run it on an otherwise idle machine: two jobs need two free cores. Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "corpora"
ZHTEXT = [sys.executable, "-m", "zhtext"]
LIBRARY = """\
import sys
from zhtext.atomic import atomic_open
from zhtext.segment import Segmenter
if sys.argv[1] == "fit":
    Segmenter.fit(sys.argv[2]).save(sys.argv[3])
else:
    model = Segmenter.load(sys.argv[2])
    with atomic_open(sys.argv[4]) as out:
        for chunk in model.segment_corpus(sys.argv[3], jobs=int(sys.argv[5])):
            out.write(chunk)
"""


def measure(command: list[str], pythonpath: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; fails loudly if it fails.

    It runs in ``/``, so that ``pythonpath`` is not shadowed by a
    ``zhtext`` folder in the current directory."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath.resolve())) if pythonpath else None
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd="/")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode})")
    return seconds, usage.ru_maxrss * 1024


def jobs_figures(run, text: Path, model: Path, tmp: Path, repeat: int,
                 pythonpath: Path | None = None) -> dict:
    """Median wall time of the command ``run(text, model, out, jobs)`` for 1 and 2 jobs, and
    whether every output is byte-identical to the first one."""
    times: dict[int, list[float]] = {1: [], 2: []}
    reference, identical = tmp / "reference.txt", True
    for k in range(repeat):
        for jobs in (1, 2):
            out = tmp / f"out{jobs}.txt"
            times[jobs].append(measure(run(text, model, out, jobs), pythonpath)[0])
            if k == 0 and jobs == 1:
                shutil.move(out, reference)
            else:
                identical &= out.read_bytes() == reference.read_bytes()
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {"jobs1_seconds": round(one, 2), "jobs2_seconds": round(two, 2),
            "ratio": round(one / two, 2), "identical": identical,
            "all_seconds": {str(j): [round(t, 2) for t in ts] for j, ts in times.items()}}


def cli_segment(text, model, out, jobs):
    return ZHTEXT + ["segment", str(text), "--model", str(model), "--jobs", str(jobs), "-q",
                     "-o", str(out)]


def library_segment(text, model, out, jobs):
    return [sys.executable, "-c", LIBRARY, "segment", str(model), str(text), str(out), str(jobs)]


def fit_figures(command: list[str], pythonpath: Path | None = None) -> dict:
    seconds, peak = measure(command, pythonpath)
    return {"seconds": round(seconds, 1), "peak_rss_gb": round(peak / 1e9, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--repeat", type=int, default=3, help="runs per --jobs value (default: 3)")
    parser.add_argument("--no-fit", action="store_true", help="skip the learning-memory part")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="a folder holding an older zhtext package, for before/after figures")
    args = parser.parse_args()
    from zhtext.segment import learning_memory

    results: dict = {"cpus": os.cpu_count(), "load_average_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        text, model = tmp / "fudan.txt", tmp / "pd.npz"
        with lzma.open(args.shared / "raw" / "fudan_textcls.txt.xz") as packed, open(text, "wb") as plain:
            shutil.copyfileobj(packed, plain, 1 << 24)
        results["input_bytes"] = text.stat().st_size
        measure(ZHTEXT + ["fit", str(args.shared / "raw" / "peoples_daily_199801.txt"),
                          str(args.shared / "sighan2005" / "pku_test.utf8"), "-q", "-o", str(model)])
        results["segment_cli"] = jobs_figures(cli_segment, text, model, tmp, args.repeat)
        if not args.no_fit:
            results["fit_cli"] = {**fit_figures(ZHTEXT + ["fit", str(text), "-q", "-o", str(tmp / "m.npz")]),
                                  "projected_gb": round(learning_memory(text) / 1e9, 3)}
        if args.before:
            results["segment_library_before"] = jobs_figures(library_segment, text, model, tmp,
                                                             args.repeat, args.before)
            results["segment_library_after"] = jobs_figures(library_segment, text, model, tmp, args.repeat)
            if not args.no_fit:
                fit = [sys.executable, "-c", LIBRARY, "fit", str(text), str(tmp / "m.npz")]
                results["fit_library_before"] = fit_figures(fit, args.before)
                results["fit_library_after"] = fit_figures(fit)
    results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
