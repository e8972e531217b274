"""Perturbed-Masking benchmark: speed, dependency UAS per layer, BERT segmentation F1.

    nice -n 5 python benchmarks/bench_probe.py speed   --model DIR [--threads 1]
    nice -n 5 python benchmarks/bench_probe.py uas     --model DIR [--threads 1] [--limit N]
    nice -n 5 python benchmarks/bench_probe.py segment --model DIR [--threads 1] [--limit N] [--standard pku|gsd]

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
only, scored against the gold with the training word list for OOV), or with
``--standard gsd`` UD GSDSimp dev (the ``# text`` lines as raw text, the FORM
column as gold, no OOV list): another standard, to check that nothing is
tuned to PKU's conventions. Three
segmenters on the same lines: the BERT segmenter (threshold chosen without
labels), the statistical segmenter (``zhtext.segment``, learned from raw
People's Daily + the raw test file) and their vote (``zhtext.vote``: the
statistical decision stands unless the BERT log band is more than one standard
deviation on the other side of its threshold). For issue 3's protocol the
masked LM must be trained on the same raw text only (see
train_default_model.sh --pku-protocol).

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

from zhtext.conllu import Sentence, format_conllu, read_conllu, score_dependencies
from zhtext.probe import BertSegmenter, Probe, import_torch
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


def segment(probe: Probe, shared: Path, standard: str, limit: int | None, progress) -> dict:
    """F1 of BertSegmenter, the statistical segmenter and their vote on a gold-segmented test set.

    The statistical segmenter learns from raw People's Daily + the raw test
    text. The LM's bands are computed once; the BERT cut and the vote read them
    chunk by chunk with the same running calibration as
    ``zhtext segment --method bert/vote``.
    """
    from zhtext.evaluate import score
    from zhtext.segment import Segmenter
    from zhtext.vote import VoteSegmenter

    test, gold, words = _segmentation_test(shared, standard, limit)
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "test.txt"
        raw.write_text("\n".join(test) + "\n", encoding="utf-8")
        stats = Segmenter.fit([shared / "raw" / "peoples_daily_199801.txt", raw])
    bert = BertSegmenter(probe=probe)
    vote = VoteSegmenter(stats, bert)
    start = time.perf_counter()
    predicted, voted = [], []
    for chunk, bands in bert.calibrated_bands(test):
        predicted += bert.cut_bands(chunk, bands)
        voted += vote.cut_bands(chunk, bands)
        progress(len(predicted), len(test))
    bert_s = time.perf_counter() - start

    def f1(lines) -> dict:
        scores = score(gold, [" ".join(w) for w in lines], words)
        figures = {"f1": scores.f1, "precision": scores.precision, "recall": scores.recall,
                   "oov_recall": scores.oov_recall}
        return {name: round(value, 4) for name, value in figures.items() if value is not None}

    return {"standard": standard, "lines": len(test), "chars": sum(len(line) for line in test),
            "bert_seconds": round(bert_s, 1), "threshold": bert.threshold, "spread": bert.spread,
            "bert": f1(predicted), "stats": f1([stats.cut(line) for line in test]), "vote": f1(voted)}


def _segmentation_test(shared: Path, standard: str, limit: int | None):
    """``(raw lines, gold lines, training words or None)`` of SIGHAN PKU test or UD GSDSimp dev."""
    if standard == "gsd":
        sentences = list(read_conllu(shared / "ud_chinese_gsdsimp" / "zh_gsdsimp-ud-dev.conllu"))[:limit]
        return [s.text for s in sentences], [" ".join(s.forms) for s in sentences], None
    sighan = shared / "sighan2005"
    test = (sighan / "pku_test.utf8").read_text(encoding="utf-8").splitlines()[:limit]
    gold = (sighan / "pku_test_gold.utf8").read_text(encoding="utf-8").splitlines()[:limit]
    return test, gold, (sighan / "pku_training_words.utf8").read_text(encoding="utf-8").splitlines()


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
    parser.add_argument("--standard", choices=("pku", "gsd"), default="pku",
                        help="segment: SIGHAN 2005 PKU test (default) or UD GSDSimp dev as the gold")
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
        result = segment(probe, args.shared, args.standard, args.limit, progress)
    print(json.dumps({**info, **result}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
