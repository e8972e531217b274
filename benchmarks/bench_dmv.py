"""Dependency Model with Valence: learn it from raw text, score it on UD Chinese-GSDSimp dev.

    nice -n 5 python benchmarks/bench_dmv.py train [-o models/zhtext-dmv.npz] [--fudan-sentences N]
    nice -n 5 python benchmarks/bench_dmv.py uas [--model models/zhtext-dmv.npz] [--limit N] [--no-pm]
    nice -n 5 python benchmarks/bench_dmv.py speed

train: the training text is raw People's Daily 1998-01 and the first
``--fudan-sentences`` sentences (default 150,000) of ≤ ``MAX_LENGTH`` words of
the raw Fudan corpus, cut into sentences after 。！？!?；; and into words by
the shipped statistical segmenter (``models/zhtext-segmenter-base.npz``, a
``Segmenter.fit`` model of the raw shared corpora). No treebank and no gold
segmentation. Every ``HELD_OUT``-th sentence is held out; its log-likelihood
is printed (label-free) with the model's figures. The defaults of
:class:`zhtext.dmv.DependencyModel` (500 frequent words, ≤ 200 last-character
classes, EM from the ``right`` initializer to a relative gain of 1e-4) are
used; ``--classes clusters`` uses 64 word clusters instead, ``--initializer
harmonic|left`` another start. The held-out log-likelihood of the words
(``held_out_word_log_likelihood_per_word``, comparable across class schemes)
chose between the class schemes and between the initializers.

uas: UD GSDSimp dev with its gold words as input, no gold root, all tokens
scored (punctuation included) by :func:`zhtext.conllu.score_dependencies`
(the code of ``zhtext eval``): left chain, right chain, ``pm`` (Perturbed
Masking with the shipped masked LM, last layer, Eisner), ``dmv`` (Eisner over
the DMV's standardised log arc posteriors + a standardised dependency-length
prior, function words made leaves: ``zhtext parse``'s default), ``dmv_viterbi``
(the DMV's most probable tree, function words made leaves), ``combined`` (the
``dmv`` scores + standardised PM arc scores, Eisner, function words made
leaves); ``*_function_heads``: the same trees before function words are made
leaves (``content_heads=False``). Also on the first
and second halves of dev. Timing: DMV parse sentences/s on one CPU thread
(after a warm-up sentence; numba compiled and cached). Prints one JSON object.

speed: ``zhtext parse FILE --pretokenized -q -o OUT`` as a user runs it (whole
process, the default method and models) on 1,000 sentences of 30 words (dev's
gold words, in order, cut every 30 words): seconds and sentences/s.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import hashlib
import math
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from zhtext.conllu import Sentence, format_conllu, left_chain, read_conllu, right_chain, score_dependencies  # noqa: E402
from zhtext.dmv import (INITIALIZER, INITIALIZERS, MAX_LENGTH, DependencyModel, combined_tree,  # noqa: E402
                        sentences_from_text, word_key)
from zhtext.trees import dependency_tree  # noqa: E402

DEV = Path("ud_chinese_gsdsimp") / "zh_gsdsimp-ud-dev.conllu"
HELD_OUT = 50
CONTEXT_LENGTH = 40        # sentences up to this many words feed the word clusters; EM reads ≤ MAX_LENGTH
DEFAULT_MODEL = REPO / "models" / "zhtext-dmv.npz"


def training_text(shared: Path, fudan_sentences: int):
    """Tokenized sentences of ≤ ``CONTEXT_LENGTH`` words of People's Daily, then of Fudan until
    ``fudan_sentences`` of them have ≤ ``MAX_LENGTH`` words (what EM reads)."""
    from zhtext.segment import Segmenter, default_base_path
    segmenter = Segmenter.load(default_base_path())
    daily = shared / "raw" / "peoples_daily_199801.txt"
    sentences = [s for s in sentences_from_text(daily, segmenter) if len(s) <= CONTEXT_LENGTH]
    fudan = shared / "raw" / "fudan_textcls.txt.xz"
    taken = 0
    for words in sentences_from_text(fudan, segmenter, errors="replace"):
        if taken >= fudan_sentences:
            break
        if len(words) <= CONTEXT_LENGTH:
            sentences.append(words)
            taken += len(words) <= MAX_LENGTH
    return sentences, {"peoples_daily": str(daily.name), "fudan": str(fudan.name), "fudan_sentences": taken,
                       "sentences_up_to_words": CONTEXT_LENGTH,
                       "sha256": {p.name: _sha256(p) for p in (daily, fudan)}}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def word_log_likelihood(model: DependencyModel, training, held) -> float:
    """Held-out log-likelihood per word of the *words* (comparable across class schemes):
    ``log P_DMV(classes) + Σ log P(word | class)``, with ``P(w | c) = (n(w) + ½) / (n(c) + ½ (V(c) + 1))``
    from the training words (punctuation left out, as in the DMV)."""
    classes = model.classes_
    words = collections.Counter(word_key(w) for s in training for w in s if not classes.is_punctuation(w))
    per_class, types = collections.Counter(), collections.Counter()
    for w, n in words.items():
        c = classes.class_of(w)
        per_class[c] += n
        types[c] += 1
    total, count = model.log_likelihood(held), 0
    for s in held:
        for w in s:
            if not classes.is_punctuation(w):
                c = classes.class_of(w)
                total += math.log((words[word_key(w)] + 0.5) / (per_class[c] + 0.5 * (types[c] + 1)))
                count += 1
    return total / count


def train(args) -> dict:
    started = time.perf_counter()
    sentences, source = training_text(args.shared, args.fudan_sentences)
    held = [s for s in sentences[::HELD_OUT] if len(s) <= MAX_LENGTH]
    kept = [s for k, s in enumerate(sentences) if k % HELD_OUT]
    del sentences
    read_s = time.perf_counter() - started

    def progress(iteration, objective):
        print(f"\rEM iteration {iteration}: objective {objective:,.0f}", end="", file=sys.stderr, flush=True)

    classes = "clusters" if args.classes == "clusters" else None
    model = DependencyModel.fit(kept, classes=classes, initializer=args.initializer, progress=progress)
    print(file=sys.stderr)
    model.info_["training_text"] = source
    model.info_["class_scheme"] = args.classes
    model.info_["held_out_sentences"] = len(held)
    model.info_["held_out_word_log_likelihood_per_word"] = round(word_log_likelihood(model, kept, held), 4)
    model.save(args.output)
    return {"output": str(args.output), "read_seconds": round(read_s, 1), "bytes": Path(args.output).stat().st_size,
            "sha256": _sha256(Path(args.output)), **model.info_}


def _score(gold: list[Sentence], heads: list[list[int]], folder: Path, name: str) -> dict:
    gold_path, pred_path = folder / f"gold-{name}.conllu", folder / f"{name}.conllu"
    gold_path.write_text("".join(map(format_conllu, gold)), encoding="utf-8")
    pred_path.write_text("".join(format_conllu(Sentence(s.forms, h)) for s, h in zip(gold, heads)),
                         encoding="utf-8")
    scores = score_dependencies(gold_path, pred_path)
    return {"uas": round(scores.uas, 4), "uuas": round(scores.uuas, 4)}


def uas(args) -> dict:
    gold = list(read_conllu(args.shared / DEV))[: args.limit]
    model = DependencyModel.load(args.model)
    model.parse(gold[0].forms)                          # warm-up: numba kernels load
    start = time.perf_counter()
    trees = {"left_chain": [left_chain(len(s.forms)) for s in gold],
             "right_chain": [right_chain(len(s.forms)) for s in gold],
             "dmv": [model.parse(s.forms) for s in gold]}
    dmv_s = time.perf_counter() - start
    trees["dmv_function_heads"] = [model.parse(s.forms, content_heads=False) for s in gold]
    trees["dmv_viterbi"] = [model.parse(s.forms, viterbi=True) for s in gold]
    result = {"sentences": len(gold), "words": sum(len(s.forms) for s in gold),
              "model": str(args.model), "model_info": model.info_,
              "dmv_parse_sentences_per_second": round(len(gold) / dmv_s, 1)}
    if not args.no_pm:
        from zhtext.probe import Probe, import_torch
        import_torch()[0].set_num_threads(args.threads)
        if args.impacts and args.impacts.exists():
            with np.load(args.impacts) as saved:
                matrices = [saved[str(k)] for k in range(len(gold))]
        else:
            probe = Probe(args.bert, device="cpu")
            start = time.perf_counter()
            matrices = probe.matrices([s.forms for s in gold])
            result["pm_probe_seconds"] = round(time.perf_counter() - start, 1)
            if args.impacts:
                np.savez(args.impacts, **{str(k): m for k, m in enumerate(matrices)})
        trees["pm"] = [dependency_tree(m) for m in matrices]
        start = time.perf_counter()
        trees["combined"] = [combined_tree(model, s.forms, m) for s, m in zip(gold, matrices)]
        result["combined_decode_sentences_per_second"] = round(len(gold) / (time.perf_counter() - start), 1)
        trees["combined_function_heads"] = [combined_tree(model, s.forms, m, content_heads=False)
                                            for s, m in zip(gold, matrices)]
    half = len(gold) // 2
    with tempfile.TemporaryDirectory() as folder:
        for part, (lo, hi) in {"all": (0, len(gold)), "first_half": (0, half),
                               "second_half": (half, len(gold))}.items():
            result[part] = {name: _score(gold[lo:hi], heads[lo:hi], Path(folder), f"{part}-{name}")
                            for name, heads in trees.items()}
    return result


def speed(args) -> dict:
    words = [w for s in read_conllu(args.shared / DEV) for w in s.forms]
    sentences, size = 1000, 30
    words = (words * (sentences * size // len(words) + 1))[: sentences * size]
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "words.txt", Path(folder) / "trees.conllu"
        source.write_text("".join(" ".join(words[k: k + size]) + "\n" for k in range(0, len(words), size)),
                          encoding="utf-8")
        command = [sys.executable, "-m", "zhtext", "parse", str(source), "--pretokenized", "-q", "-o", str(out)]
        subprocess.run(command, check=True)                   # warm-up: numba's cache, the page cache
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
        parsed = sum(1 for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("1\t"))
    return {"sentences": parsed, "words_per_sentence": size, "seconds": round(seconds, 2),
            "sentences_per_second": round(parsed / seconds, 1), "command": " ".join(command[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("task", choices=("train", "uas", "speed"))
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "corpora")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL, help="train: where to save")
    parser.add_argument("--fudan-sentences", type=int, default=150_000)
    parser.add_argument("--initializer", choices=INITIALIZERS, default=INITIALIZER,
                        help="train: where EM starts (the held-out likelihood chose the default)")
    parser.add_argument("--classes", choices=("lexical", "clusters"), default="lexical",
                        help="train: the 500 most frequent words (default) or 64 word clusters")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="uas: the DMV model")
    parser.add_argument("--bert", help="uas: masked-LM folder for pm/combined (default: the shipped one)")
    parser.add_argument("--threads", type=int, default=1, help="uas: torch threads")
    parser.add_argument("--limit", type=int, help="uas: only the first N dev sentences")
    parser.add_argument("--impacts", type=Path, help="uas: .npz cache of the PM impact matrices "
                        "(written if absent, read if present: the same sentences and model only)")
    parser.add_argument("--no-pm", action="store_true", help="uas: skip pm and combined (no torch)")
    args = parser.parse_args()
    result = {"train": train, "uas": uas, "speed": speed}[args.task](args)
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
