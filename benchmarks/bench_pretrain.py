"""Benchmark a pretrained zhtext model: masked-character accuracy on unseen text, CPU speed.

Scores the model (default: the shipped one) on the raw SIGHAN 2005 PKU test
text, which no shipped model was trained on, and times forward passes of the
shape the Perturbed-Masking probe uses (batches of one sentence's variants).
Prints a Markdown table for docs/benchmarks.md.

usage: nice -n 10 python benchmarks/bench_pretrain.py [--model DIR] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from transformers import AutoModelForMaskedLM

from zhtext.pretrain import CHECKPOINT, REPORT, default_model_path, masked_accuracy

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def forward_speed(model_dir: Path, length: int, batch: int, repeats: int = 5) -> float:
    """Sequences per second of masked-LM forward passes of ``length`` tokens in batches of ``batch``."""
    model = AutoModelForMaskedLM.from_pretrained(model_dir).eval()
    ids = torch.randint(5, model.config.vocab_size, (batch, length))
    with torch.no_grad():
        model(input_ids=ids)
        start = time.perf_counter()
        for _ in range(repeats):
            model(input_ids=ids)
    return batch * repeats / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = args.model or default_model_path()
    report = json.loads((model / REPORT).read_text(encoding="utf-8"))
    pku = masked_accuracy(model, SHARED / "sighan2005" / "pku_test.utf8")
    held = report["heldout"]
    print(f"| model | {model.name} ({sum(p.stat().st_size for p in model.iterdir() if p.name != CHECKPOINT) / 1e6:.1f} MB, "
          f"{report['config']['layers']} layers, hidden {report['config']['hidden']}, "
          f"vocabulary {report['corpus']['vocabulary']:,}) |")
    print("|---|---|")
    print(f"| training | {report['steps']:,} steps, {report['train_seconds'] / 60:.1f} min on "
          f"{report['device']}, {report['tokens_per_second']:,.0f} tokens/s, "
          f"{report['corpus']['tokens']:,} corpus tokens, {report['epochs']} epochs |")
    print(f"| held-out masked-char accuracy (training corpus slice) | {held['masked_accuracy']:.1%} "
          f"(unigram baseline {held['unigram_baseline_accuracy']:.1%}, "
          f"{held['masked_characters']:,} chars) |")
    print(f"| masked-char accuracy, PKU test raw text (unseen) | {pku['masked_accuracy']:.1%} "
          f"({pku['masked_characters']:,} chars, perplexity {2.718281828 ** pku['loss']:.1f}) |")
    for length, batch in ((32, 32), (64, 64)):
        if length > report["config"]["seq_len"]:
            continue
        speed = forward_speed(model, length, batch)
        print(f"| CPU forward, {args.threads} thread, {length} tokens, batch {batch} | "
              f"{speed:,.0f} sequences/s |")


if __name__ == "__main__":
    main()
