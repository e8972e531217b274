"""Segmentation benchmark: quality on two standards under every protocol, and speed against jieba.

    nice -n 5 python benchmarks/bench_segment.py [--shared ../shared/corpora] [--base FILE]
        [--mb 20] [--only quality|speed]

Quality (word F1, SIGHAN scorer definition; OOV against the PKU training word
list). Each row names what the model learns from; nothing else is seen:

* ``pku``: raw/peoples_daily_199801.txt + the raw PKU test file, no base
  (the issue-3 protocol), for ``joint`` and ``nvbe``;
* ``gsd``: People's Daily + the raw UD GSDSimp dev sentences (their
  ``# text`` lines), no base, scored against the FORM column;
* ``pku_alone`` / ``gsd_alone``: the raw test text alone, without and with
  the base (``--base``, default: the shipped model);
* ``pku_traditional``: the raw PKU test converted with OpenCC ``s2t``, alone
  with the base, scored against the gold converted the same way (the gold
  words cut out of the converted raw line, so the two agree character for
  character), next to the simplified figure.

Speed: the first ``--mb`` MB of raw/fudan_textcls.txt.xz (cut at a line end)
written to a file; whole processes as users run them, timed from here in the
same run: ``zhtext segment FILE --model M -q -o OUT`` (start-up, model load
and writing included; M learned beforehand from People's Daily, not timed)
against ``python -m jieba -d ' ' FILE`` (its default mode, HMM on).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import lzma
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zhtext.conllu import read_conllu
from zhtext.evaluate import score
from zhtext.segment import Segmenter, default_base_path

REPO = Path(__file__).resolve().parent.parent
PKU = Path("sighan2005")
GSD = Path("ud_chinese_gsdsimp") / "zh_gsdsimp-ud-dev.conllu"


def figures(model: Segmenter, raw: list[str], gold: list[str], words: list[str] | None = None) -> dict:
    """Scores of ``model`` cutting the ``raw`` lines against the ``gold`` lines."""
    result = score(gold, [" ".join(model.cut(line)) for line in raw], words)
    out = {"f1": round(result.f1, 4), "precision": round(result.precision, 4), "recall": round(result.recall, 4)}
    if words is not None:
        out["oov_recall"] = round(result.oov_recall, 4)
    return out


def learned(corpus, **options) -> tuple[Segmenter, float]:
    start = time.perf_counter()
    model = Segmenter.fit(corpus, **options)
    return model, round(time.perf_counter() - start, 2)


def traditional(raw: list[str], gold: list[str]) -> tuple[list[str], list[str]]:
    """The raw lines converted by OpenCC ``s2t``, and the gold words cut out of them."""
    from opencc import OpenCC

    convert = OpenCC("s2t").convert
    out_raw, out_gold = [], []
    for line, words in zip(raw, gold):
        converted = convert(line)
        if len(converted) != len(line):
            raise SystemExit("OpenCC changed the length of a line; the gold cannot be converted")
        text, at, cut = "".join(ch for ch in converted if not ch.isspace()), 0, []
        for word in words.split():
            cut.append(text[at: at + len(word)])
            at += len(word)
        out_raw.append(converted)
        out_gold.append(" ".join(cut))
    return out_raw, out_gold


def quality(shared: Path, base_path: Path) -> dict:
    daily = shared / "raw" / "peoples_daily_199801.txt"
    pku_raw_path = shared / PKU / "pku_test.utf8"
    pku_raw = pku_raw_path.read_text(encoding="utf-8").splitlines()
    pku_gold = (shared / PKU / "pku_test_gold.utf8").read_text(encoding="utf-8").splitlines()
    pku_words = (shared / PKU / "pku_training_words.utf8").read_text(encoding="utf-8").splitlines()
    sentences = list(read_conllu(shared / GSD))
    gsd_raw = [s.text for s in sentences]
    gsd_gold = [" ".join(s.forms) for s in sentences]
    base = Segmenter.load(base_path)
    out: dict = {"base": str(base_path), "base_words": len(base)}
    for method in ("joint", "nvbe"):
        model, seconds = learned([daily, pku_raw_path], scorer=method)
        out[f"pku_{method}"] = {**figures(model, pku_raw, pku_gold, pku_words), "fit_seconds": seconds}
    with tempfile.TemporaryDirectory() as tmp:
        gsd_path = Path(tmp) / "gsd_dev_raw.txt"
        gsd_path.write_text("\n".join(gsd_raw) + "\n", encoding="utf-8")
        model, seconds = learned([daily, gsd_path])
        out["gsd_joint"] = {**figures(model, gsd_raw, gsd_gold), "fit_seconds": seconds}
        for name, path, raw, gold, words in (("pku", pku_raw_path, pku_raw, pku_gold, pku_words),
                                             ("gsd", gsd_path, gsd_raw, gsd_gold, None)):
            out[f"{name}_alone"] = figures(learned([path])[0], raw, gold, words)
            out[f"{name}_alone_base"] = figures(learned([path], base=base)[0], raw, gold, words)
        trad_raw, trad_gold = traditional(pku_raw, pku_gold)
        trad_path = Path(tmp) / "pku_test_traditional.txt"
        trad_path.write_text("\n".join(trad_raw) + "\n", encoding="utf-8")
        out["pku_traditional_alone_base"] = figures(learned([trad_path], base=base)[0], trad_raw, trad_gold)
        out["pku_traditional_alone"] = figures(learned([trad_path])[0], trad_raw, trad_gold)
    return out


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


def timed(command: list[str], stdout=subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=stdout, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def speed(shared: Path, megabytes: float) -> dict:
    """Whole-process ``zhtext segment`` against ``python -m jieba`` on the same file, same run."""
    with tempfile.TemporaryDirectory() as tmp:
        text, model = Path(tmp) / "fudan_slice.txt", Path(tmp) / "pd.npz"
        text.write_text(slice_text(shared / "raw" / "fudan_textcls.txt.xz", megabytes), encoding="utf-8")
        Segmenter.fit([shared / "raw" / "peoples_daily_199801.txt"]).save(model)
        zhtext = [sys.executable, "-m", "zhtext", "segment", str(text), "--model", str(model), "-q",
                  "-o", str(Path(tmp) / "out.txt")]
        timed(zhtext)   # the Numba cache, warm as after any first use
        ours = timed(zhtext)
        with open(Path(tmp) / "jieba.txt", "wb") as out:
            theirs = timed([sys.executable, "-m", "jieba", "-d", " ", str(text)], stdout=out)
        size = text.stat().st_size / 1e6
        startup = timed([sys.executable, "-m", "zhtext", "--help"])
        one_line = Path(tmp) / "one.txt"
        one_line.write_text("我们在北京大学读书。\n", encoding="utf-8")
        short = timed([sys.executable, "-m", "zhtext", "segment", str(one_line), "--model", str(model), "-q"])
    return {"megabytes": round(size, 2), "zhtext_seconds": round(ours, 2), "jieba_seconds": round(theirs, 2),
            "zhtext_mb_per_s": round(size / ours, 2), "jieba_mb_per_s": round(size / theirs, 2),
            "ratio": round(theirs / ours, 2), "help_seconds": round(startup, 3),
            "one_line_seconds": round(short, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "corpora")
    parser.add_argument("--base", type=Path, default=None, help="base model (default: the shipped one)")
    parser.add_argument("--mb", type=float, default=20.0, help="size of the speed slice (default: 20)")
    parser.add_argument("--only", choices=("quality", "speed"))
    args = parser.parse_args()
    results = {}
    if args.only != "speed":
        results["quality"] = quality(args.shared, args.base or default_base_path())
    if args.only != "quality":
        results["speed"] = speed(args.shared, args.mb)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
