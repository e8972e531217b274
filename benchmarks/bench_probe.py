"""Perturbed-Masking benchmark: speed, dependency UAS per layer, BERT segmentation F1.

    nice -n 5 python benchmarks/bench_probe.py speed   --model DIR [--threads 1]
    nice -n 5 python benchmarks/bench_probe.py uas     --model DIR [--threads 1] [--limit N]
    nice -n 5 python benchmarks/bench_probe.py segment --model DIR [--threads 1] [--limit N]

speed: sentences of exactly 30 characters (the first 30 characters of the UD
GSDSimp dev sentences that have as many). ``naive`` is the definition taken
literally, one forward pass per masked sequence (n + n(n-1) = 900 per
sentence, :meth:`Probe.matrix_naive`); ``batched`` is :meth:`Probe.matrices`
(n + n(n-1)/2 = 465 sequences, packed into batches). Both run in the same
process on the same sentences; the ratio and the largest absolute difference
of the two matrices are printed.

uas: UD Chinese-GSDSimp dev with the gold words as input, no gold root. The
impact matrices of all layers come from one pass; each layer is decoded with
Eisner and Chu-Liu/Edmonds, written as CoNLL-U and scored by
:func:`zhtext.conllu.score_dependencies` (the code behind ``zhtext eval``),
with the left- and right-chain baselines.

segment: SIGHAN 2005 PKU test, the protocol of bench_segment.py (raw text
only, scored against the gold with the training word list for OOV). The BERT
segmenter cuts with a threshold chosen without labels; the statistical
segmenter (``zhtext.segment``, learned from raw People's Daily + the raw test
file) and three label-free combinations of the two are scored on the same
lines: union and intersection of the cuts, and a vote where the statistical
decision stands unless the BERT log band is more than one standard deviation
on the other side of its threshold.

Prints one JSON object per run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from zhtext import tokens
from zhtext.conllu import Sentence, format_conllu, read_conllu, score_dependencies
from zhtext.probe import BertSegmenter, Probe, import_torch, line_chunks
from zhtext.trees import DECODERS, dependency_tree

REPO = Path(__file__).resolve().parent.parent
DEV = Path("ud_chinese_gsdsimp") / "zh_gsdsimp-ud-dev.conllu"


def speed(probe: Probe, shared: Path, naive_sentences: int, batched_sentences: int) -> dict:
    texts = [s.text[:30] for s in read_conllu(shared / DEV) if len(s.text) >= 30 and " " not in s.text[:30]]
    naive_set, batched_set = texts[:naive_sentences], texts[:batched_sentences]
    probe.matrices(naive_set[:1])                       # warm-up: kernels, allocator
    start = time.perf_counter()
    naive = [probe.matrix_naive(text) for text in naive_set]
    naive_s = time.perf_counter() - start
    start = time.perf_counter()
    batched = probe.matrices(naive_set)
    batched_s = time.perf_counter() - start
    difference = max(float(np.abs(a - b).max()) for a, b in zip(naive, batched))
    probe.sequences = 0
    start = time.perf_counter()
    probe.matrices(batched_set)
    many_s = time.perf_counter() - start
    return {"sentence_chars": 30, "naive_sentences": len(naive_set),
            "naive_seconds": round(naive_s, 2), "batched_seconds": round(batched_s, 2),
            "speedup": round(naive_s / batched_s, 1), "max_abs_difference": difference,
            "naive_sequences_per_sentence": 30 + 30 * 29, "batched_sequences_per_sentence": 30 + 30 * 29 // 2,
            "batched_sentences": len(batched_set), "batched_sentences_per_second":
                round(len(batched_set) / many_s, 2), "sequences_per_second": round(probe.sequences / many_s, 1)}


def uas(probe: Probe, shared: Path, limit: int | None, progress) -> dict:
    gold = list(read_conllu(shared / DEV))[:limit]
    layers = list(range(probe.num_layers + 1))
    start = time.perf_counter()
    matrices = probe.matrices([s.forms for s in gold], layers=layers, progress=progress)
    probe_s = time.perf_counter() - start
    results = {"sentences": len(gold), "words": sum(len(s.forms) for s in gold),
               "probe_seconds": round(probe_s, 1), "distance": probe.distance, "layers": {}}
    with tempfile.TemporaryDirectory() as folder:
        gold_path = Path(folder) / "gold.conllu"
        gold_path.write_text("".join(map(format_conllu, gold)), encoding="utf-8")
        for layer in layers:
            row = {}
            for decoder in DECODERS:
                pred_path = Path(folder) / f"{layer}-{decoder}.conllu"
                pred = [Sentence(s.forms, dependency_tree(m[layer], decoder)) for s, m in zip(gold, matrices)]
                pred_path.write_text("".join(map(format_conllu, pred)), encoding="utf-8")
                scores = score_dependencies(gold_path, pred_path)
                row[decoder] = {"uas": round(scores.uas, 4), "uuas": round(scores.uuas, 4)}
            results["layers"][layer] = row
        results["left_chain_uas"] = round(scores.left_chain_uas, 4)
        results["right_chain_uas"] = round(scores.right_chain_uas, 4)
    return results


def segment(probe: Probe, shared: Path, limit: int | None, progress) -> dict:
    from zhtext.evaluate import score
    from zhtext.segment import Segmenter

    sighan = shared / "sighan2005"
    test = (sighan / "pku_test.utf8").read_text(encoding="utf-8").splitlines()[:limit]
    gold = (sighan / "pku_test_gold.utf8").read_text(encoding="utf-8").splitlines()[:limit]
    words = (sighan / "pku_training_words.utf8").read_text(encoding="utf-8").splitlines()
    bert = BertSegmenter(probe=probe)
    start = time.perf_counter()
    bands, predicted = [], []
    for chunk in line_chunks(test):
        chunk_bands = bert.bands(chunk)
        if not bert.calibrated:
            bert.calibrate(chunk, chunk_bands)
        bands += chunk_bands
        predicted += bert.cut_bands(chunk, chunk_bands)
        progress(len(predicted), len(test))
    bert_s = time.perf_counter() - start
    stats = Segmenter.fit([shared / "raw" / "peoples_daily_199801.txt", sighan / "pku_test.utf8"])
    stat_words = [stats.cut(line) for line in test]

    def f1(lines) -> dict:
        scores = score(gold, [" ".join(w) for w in lines], words)
        return {"f1": round(scores.f1, 4), "precision": round(scores.precision, 4),
                "recall": round(scores.recall, 4), "oov_recall": round(scores.oov_recall, 4)}

    logs = np.log(np.concatenate([b[np.isfinite(b)] for b in bands]))
    sigma, log_theta = float(logs.std()), float(np.log(bert.threshold))
    rules = {"union": lambda s, z: s or z > 0, "intersection": lambda s, z: s and z > 0,
             "vote": lambda s, z: (1 if s else -1) + z > 0}
    combined = {name: [_combine(line, band, stat, rule, log_theta, sigma)
                       for line, band, stat in zip(test, bands, stat_words)]
                for name, rule in rules.items()}
    return {"lines": len(test), "chars": sum(len(line) for line in test),
            "bert_seconds": round(bert_s, 1), "threshold": bert.threshold,
            "bert": f1(predicted), "stats": f1(stat_words),
            **{name: f1(lines) for name, lines in combined.items()}}


def _combine(line: str, band: np.ndarray, stat_words: list[str], rule, log_theta: float,
             sigma: float) -> list[str]:
    """Words of a line from both segmenters' decisions at each Han-internal gap."""
    stat_cuts, at = set(), 0
    for word in stat_words:
        at = line.index(word, at) + len(word)
        stat_cuts.add(at)
    points = tokens.code_points(line)
    starts, kinds = tokens.token_starts(tokens.class_table()[points], tokens.protected_spans(line))
    out = []
    for a, b, kind in zip(starts.tolist(), starts[1:].tolist(), kinds.tolist()):
        if kind == tokens.WHITESPACE:
            continue
        cuts = [a]
        if kind == tokens.MODEL:
            for p in range(a + 1, b):
                z = (log_theta - np.log(band[p - 1])) / sigma if np.isfinite(band[p - 1]) else -np.inf
                if rule(p in stat_cuts, z):
                    cuts.append(p)
        cuts.append(b)
        out += [line[x:y] for x, y in zip(cuts, cuts[1:])]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=("speed", "uas", "segment"))
    parser.add_argument("--model", help="masked-LM folder (default: the shipped model)")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "corpora")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--distance", default="euclidean")
    parser.add_argument("--layer", type=int, default=-1, help="segment: the layer probed")
    parser.add_argument("--limit", type=int, help="uas/segment: only the first N sentences/lines")
    parser.add_argument("--naive", type=int, default=5, help="speed: sentences for the naive loop")
    parser.add_argument("--sentences", type=int, default=100, help="speed: sentences for sentences/s")
    args = parser.parse_args()
    torch, _ = import_torch()
    torch.set_num_threads(args.threads)
    probe = Probe(args.model, device=args.device, distance=args.distance, layer=args.layer)
    started = time.perf_counter()

    def progress(done, total):
        print(f"\r{args.task}: {done}/{total} {time.perf_counter() - started:6.0f}s", end="",
              file=sys.stderr, flush=True)

    info = {"model": args.model, "device": str(probe.device), "threads": args.threads,
            "model_layers": probe.num_layers, "torch": torch.__version__}
    if args.task == "speed":
        result = speed(probe, args.shared, args.naive, args.sentences)
    elif args.task == "uas":
        result = uas(probe, args.shared, args.limit, progress)
    else:
        result = segment(probe, args.shared, args.limit, progress)
    print(json.dumps({**info, **result}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
