"""Segmentation benchmark: quality on SIGHAN 2005 PKU, learning time, throughput vs jieba.

    nice -n 5 python benchmarks/bench_segment.py [--shared ../shared/corpora] [--mb 20] [--jobs 1]

Quality: learn only from raw/peoples_daily_199801.txt + the raw PKU test file,
segment the test file, score against the gold (OOV against the training word
list). Speed: the first ``--mb`` MB (UTF-8) of raw/fudan_textcls.txt.xz,
already in memory, segmented by zhtext (model learned on People's Daily) and by
``jieba.cut`` (default mode, HMM on; dictionary loaded beforehand), in the
same run. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import lzma
import time
from pathlib import Path

from zhtext.evaluate import score
from zhtext.segment import Segmenter

REPO = Path(__file__).resolve().parent.parent


def quality(shared: Path, method: str) -> tuple[Segmenter, dict]:
    sighan = shared / "sighan2005"
    start = time.perf_counter()
    model = Segmenter.fit([shared / "raw" / "peoples_daily_199801.txt", sighan / "pku_test.utf8"],
                          method=method)
    fit_s = time.perf_counter() - start
    test = (sighan / "pku_test.utf8").read_text(encoding="utf-8").splitlines()
    predicted = [" ".join(model.cut(line)) for line in test]
    gold = (sighan / "pku_test_gold.utf8").read_text(encoding="utf-8").splitlines()
    words = (sighan / "pku_training_words.utf8").read_text(encoding="utf-8").splitlines()
    scores = score(gold, predicted, words)
    return model, {"method": method, "fit_seconds": round(fit_s, 2), "f1": round(scores.f1, 4),
                   "precision": round(scores.precision, 4), "recall": round(scores.recall, 4),
                   "oov_recall": round(scores.oov_recall, 4), "iv_recall": round(scores.iv_recall, 4),
                   "mismatched_lines": len(scores.mismatched)}


def slice_text(path: Path, megabytes: float) -> str:
    """The first ``megabytes`` MB of UTF-8 text of ``path``, cut at a line end."""
    limit = int(megabytes * 1e6)
    out, size = [], 0
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            out.append(line)
            size += len(line.encode("utf-8"))
            if size >= limit:
                break
    return "".join(out)


def speed(model: Segmenter, text: str, jobs: int) -> dict:
    import jieba

    megabytes = len(text.encode("utf-8")) / 1e6
    jieba.initialize()
    model.render("热身")  # compile / load the Numba kernels before timing
    start = time.perf_counter()
    out = "".join(model.segment_corpus([text], jobs=jobs))
    ours = time.perf_counter() - start
    start = time.perf_counter()
    words = sum(1 for _ in jieba.cut(text))
    theirs = time.perf_counter() - start
    return {"megabytes": round(megabytes, 2), "zhtext_seconds": round(ours, 2),
            "zhtext_mb_per_s": round(megabytes / ours, 2), "jieba_seconds": round(theirs, 2),
            "jieba_mb_per_s": round(megabytes / theirs, 2), "ratio": round(theirs / ours, 2),
            "zhtext_words": len(out.split()), "jieba_tokens": words, "jobs": jobs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "corpora")
    parser.add_argument("--mb", type=float, default=20.0, help="size of the speed slice (default: 20)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=["joint", "nvbe"])
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    results = {}
    model = None
    for method in args.methods:
        fitted, results[method] = quality(args.shared, method)
        model = model or fitted
    if not args.no_speed:
        results["speed"] = speed(model, slice_text(args.shared / "raw" / "fudan_textcls.txt.xz", args.mb),
                                 args.jobs)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
