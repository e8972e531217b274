"""Scoring a segmentation against a gold standard, as the SIGHAN bakeoff scorer does.

Both files hold one sentence per line, words separated by whitespace. A word
of the prediction is *correct* when the gold line has a word with the same
character span (the bakeoff's Perl scorer aligns the two word sequences with
``diff``, which on lines of identical characters counts exactly these words):

* precision ``P = correct / predicted words``, recall ``R = correct / gold words``,
  ``F1 = 2PR / (P + R)``;
* with a training word list: a gold word is *OOV* when it is not in the list;
  ``OOV rate = OOV gold words / gold words``, ``OOV recall = correct OOV gold
  words / OOV gold words`` and ``IV recall`` likewise for the other gold words.

Lines whose characters differ (whitespace aside), and lines present in only one
file, are not aligned: their words count as predicted and gold words with none
correct, and they are listed in :attr:`Scores.mismatched` so a damaged
prediction is visible rather than silently skipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable

from .corpus import as_corpus
from .errors import InputError


@dataclass
class Scores:
    """Counts and rates of one evaluation (rates are ``None`` when undefined)."""

    gold_words: int = 0
    predicted_words: int = 0
    correct: int = 0
    oov_words: int = 0
    oov_correct: int = 0
    iv_correct: int = 0
    lines: int = 0
    gold_lines: int = 0
    predicted_lines: int = 0
    """The lines read on each side: unequal when one file is cut short or has extra lines."""
    mismatched: list[int] = field(default_factory=list)
    """1-based numbers of the lines whose characters differ between gold and prediction."""
    has_words: bool = False

    @property
    def precision(self) -> float:
        return self.correct / self.predicted_words if self.predicted_words else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold_words if self.gold_words else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def oov_rate(self) -> float | None:
        return self.oov_words / self.gold_words if self.has_words and self.gold_words else None

    @property
    def oov_recall(self) -> float | None:
        return self.oov_correct / self.oov_words if self.has_words and self.oov_words else None

    @property
    def iv_recall(self) -> float | None:
        iv = self.gold_words - self.oov_words
        return self.iv_correct / iv if self.has_words and iv else None

    def as_dict(self) -> dict:
        """Counts and rates, JSON-ready."""
        out = {k: v for k, v in asdict(self).items() if k != "has_words"}
        for name in ("precision", "recall", "f1", "oov_rate", "oov_recall", "iv_recall"):
            out[name] = getattr(self, name)
        return out


def spans(words: list[str]) -> set[tuple[int, int]]:
    """The ``(start, end)`` character offsets of consecutive words."""
    out, at = set(), 0
    for word in words:
        out.add((at, at + len(word)))
        at += len(word)
    return out


def score_line(scores: Scores, gold: list[str], predicted: list[str],
               known: frozenset[str] | set[str] | None) -> bool:
    """Add one line pair to ``scores``; False (nothing correct) if the characters differ."""
    scores.lines += 1
    scores.gold_words += len(gold)
    scores.predicted_words += len(predicted)
    if known is not None:
        scores.oov_words += sum(word not in known for word in gold)
    if "".join(gold) != "".join(predicted):
        return False
    hits = spans(predicted)
    at = 0
    for word in gold:
        if (at, at + len(word)) in hits:
            scores.correct += 1
            if known is not None:
                if word in known:
                    scores.iv_correct += 1
                else:
                    scores.oov_correct += 1
        at += len(word)
    return True


def score(gold: Iterable[str], predicted: Iterable[str], words: Iterable[str] | None = None) -> Scores:
    """Score segmented lines against gold lines (whitespace-separated words), as SIGHAN's scorer.

    ``words`` is the training word list that defines OOV words (one word per
    item; surrounding whitespace ignored). Lines are paired in order; a
    non-blank line missing on the other side counts as a mismatch
    (``gold_lines`` and ``predicted_lines`` tell the files' lengths).

    A predicted word is correct when the gold line has a word with the same
    character span. A line whose characters differ from its gold line counts
    its words with none correct and is listed in ``mismatched``, so a damaged
    prediction shows instead of being skipped.

    Parameters
    ----------
    gold : iterable of str
        The gold lines (a list, an open file, a :class:`~zhtext.corpus.Corpus`).
    predicted : iterable of str
        The predicted lines, in the same order.
    words : iterable of str, optional
        The training word list; without it the OOV rates are ``None``.

    Returns
    -------
    Scores
        Counts, ``precision``, ``recall``, ``f1``, and with ``words``
        ``oov_rate``, ``oov_recall``, ``iv_recall``; ``as_dict()`` for JSON.

    Examples
    --------
    >>> from zhtext import score
    >>> result = score(["我们 在 北京 读书", "他 笑道"], ["我们 在北京 读书", "他 笑 道"],
    ...                words=["我们", "在", "读书", "他"])
    >>> result.correct, result.precision, result.recall, result.f1
    (3, 0.5, 0.5, 0.5)
    >>> result.oov_rate, result.oov_recall, result.iv_recall     # 北京 and 笑道 are OOV
    (0.3333333333333333, 0.0, 0.75)
    >>> score(["我们 在 北京"], ["我们 在 上海"]).mismatched         # not the same characters
    [1]

    The shipped base model on the bundled GSDSimp sample:

    >>> from zhtext import Segmenter, default_base_path
    >>> seg = Segmenter.load(default_base_path())
    >>> with open("corpora/gsdsimp_dev_sample.txt", encoding="utf-8") as text:
    ...     predicted = [" ".join(seg.cut(line)) for line in text]
    >>> with open("corpora/gsdsimp_dev_sample.gold.txt", encoding="utf-8") as gold:
    ...     result = score(gold, predicted)
    >>> result.lines, round(result.f1, 3)
    (30, 0.763)
    """
    known = None if words is None else frozenset(w.strip() for w in words if w.strip())
    scores = Scores(has_words=known is not None)
    gold_iter, pred_iter = iter(gold), iter(predicted)
    number = 0
    while True:
        g, p = next(gold_iter, None), next(pred_iter, None)
        if g is None and p is None:
            return scores
        number += 1
        scores.gold_lines += g is not None
        scores.predicted_lines += p is not None
        aligned = score_line(scores, (g or "").split(), (p or "").split(), known)
        present = g if p is None else p
        if not aligned or ((g is None or p is None) and present.strip()):
            scores.mismatched.append(number)


def score_files(gold_path, predicted_path, words_path=None, **corpus_options) -> Scores:
    """:func:`score` on files (any encoding or compression :mod:`zhtext.corpus` reads)."""
    if str(gold_path) == "-" and str(predicted_path) == "-":
        raise InputError("gold and prediction cannot both be standard input")
    corpus_options.setdefault("max_chars", 1 << 40)  # whole lines, never pieces
    gold = as_corpus(gold_path, **corpus_options)
    predicted = as_corpus(predicted_path, **corpus_options)
    words = None if words_path is None else as_corpus(words_path, **corpus_options)
    return score(gold, predicted, words)
