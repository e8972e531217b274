"""CoNLL-U reading and writing, and unlabelled dependency scoring.

Only what an unsupervised parser needs is kept from a CoNLL-U sentence: the
word forms, the heads (0 is the root), the UPOS tags (to leave punctuation out
of a score on request) and the comment lines. Multi-word token lines
(``3-4``) and empty nodes (``5.1``) are skipped: heads refer to syntactic
words, which are the numbered lines.

Scores (:func:`score_dependencies`), over all tokens of all sentences:

* **UAS**, unlabelled attachment score: the share of tokens whose predicted head
  is the gold head, ``UAS = #{t : head_pred(t) = head_gold(t)} / #tokens``.
* **UUAS**, undirected unlabelled attachment score (Hewitt and Manning 2019):
  the share of gold arcs between two words (the root arc left out) that the
  prediction has in either direction, ``UUAS = |E_gold ∩ E_pred| / |E_gold|``
  over unordered pairs ``{t, head(t)}`` with ``head(t) ≠ 0``.
* two baselines that need no model: the **left chain**, where every word
  depends on the word on its left (the first word is the root), and the
  **right chain**, where every word depends on the word on its right (the last
  word is the root). A probe is worth something only above the better of the two.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import asdict, dataclass, field
from typing import IO, Iterable, Iterator

from .corpus import Corpus
from .errors import InputError


@dataclass
class Sentence:
    """One CoNLL-U sentence: forms, heads (0 = root, -1 = unknown), UPOS tags, comments."""

    forms: list[str]
    heads: list[int]
    upos: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The ``# text =`` comment if present, else the forms joined without spaces."""
        for comment in self.comments:
            if comment.startswith("# text = "):
                return comment[len("# text = "):]
        return "".join(self.forms)


def read_conllu(path: str | os.PathLike, **corpus_options) -> Iterator[Sentence]:
    """Sentences of a CoNLL-U file (compressed files and ``-`` read as by :class:`Corpus`).

    Kept per sentence: the forms, the heads, the UPOS tags and the comment
    lines. Multi-word token lines (``3-4``) and empty nodes (``5.1``) are
    skipped: heads refer to the numbered syntactic words.

    Parameters
    ----------
    path : str or path-like
        The file; ``"-"`` is standard input.
    **corpus_options
        Options of :class:`~zhtext.corpus.Corpus` (``encoding``, ``errors``).

    Yields
    ------
    Sentence
        ``forms``, ``heads`` (0 = root, -1 where HEAD is ``_``), ``upos``,
        ``comments``, and ``text`` (the ``# text =`` comment, else the forms joined).

    Raises
    ------
    InputError
        A token line without 10 tab-separated columns, an ID out of order, a
        HEAD that is not a number, or an unreadable file.

    Examples
    --------
    >>> from zhtext import read_conllu
    >>> sentence = next(read_conllu("corpora/gsdsimp_dev_sample.conllu"))
    >>> sentence.text
    '大多数的加长型礼车则是租车公司的财产。'
    >>> sentence.forms[:4], sentence.heads[:4], sentence.upos[:4]
    (['大', '多数', '的', '加长'], [2, 6, 2, 5], ['ADV', 'ADJ', 'PART', 'VERB'])
    >>> sum(1 for _ in read_conllu("corpora/gsdsimp_dev_sample.conllu"))
    30
    """
    name = str(path)
    sentence = Sentence([], [])
    for number, line in enumerate(Corpus.from_files(path, **corpus_options), 1):
        if not line.strip():
            if sentence.forms:
                yield sentence
            sentence = Sentence([], [])
        elif line.startswith("#"):
            sentence.comments.append(line)
        else:
            _add_token(sentence, line, name, number)
    if sentence.forms:
        yield sentence


def _add_token(sentence: Sentence, line: str, name: str, number: int) -> None:
    """Append one token line to ``sentence``; skip multi-word tokens and empty nodes."""
    columns = line.split("\t")
    if len(columns) != 10:
        raise InputError(f"{name}: line {number}: a CoNLL-U token line has 10 tab-separated "
                         f"columns, this one has {len(columns)}")
    token_id = columns[0]
    if "-" in token_id or "." in token_id:
        return
    if token_id != str(len(sentence.forms) + 1):
        raise InputError(f"{name}: line {number}: token ID {token_id!r}, expected "
                         f"{len(sentence.forms) + 1}")
    head = columns[6]
    if head != "_" and not head.isdigit():
        raise InputError(f"{name}: line {number}: HEAD {head!r} is not a number")
    sentence.forms.append(columns[1])
    sentence.heads.append(int(head) if head != "_" else -1)
    sentence.upos.append(columns[3])


def is_conllu(path: str | os.PathLike, **corpus_options) -> bool:
    """Whether the first token line of ``path`` (skipping comments and blank lines) is CoNLL-U
    (read with ``corpus_options``: ``encoding``, ``errors``)."""
    try:
        for line in Corpus.from_files(path, **corpus_options):
            if line.strip() and not line.startswith("#"):
                columns = line.split("\t")
                return len(columns) == 10 and columns[0].split("-")[0].split(".")[0].isdigit()
    except (InputError, OSError):
        return False
    return False


def format_conllu(sentence: Sentence) -> str:
    """A sentence as CoNLL-U lines (ID, FORM, UPOS when known, HEAD, DEPREL root/dep), blank line last."""
    lines = list(sentence.comments)
    for index, (form, head) in enumerate(zip(sentence.forms, sentence.heads), 1):
        upos = sentence.upos[index - 1] if sentence.upos else "_"
        deprel = "root" if head == 0 else "dep"
        lines.append(f"{index}\t{form}\t_\t{upos}\t_\t_\t{head}\t{deprel}\t_\t_")
    return "\n".join(lines) + "\n\n"


def write_conllu(sentences: Iterable[Sentence], handle: IO[str]) -> int:
    """Write sentences to an open text handle; returns how many were written."""
    count = 0
    for sentence in sentences:
        handle.write(format_conllu(sentence))
        count += 1
    return count


def left_chain(n: int) -> list[int]:
    """Heads of the left chain: word t (1-based) depends on t-1, word 1 on the root."""
    return list(range(n))


def right_chain(n: int) -> list[int]:
    """Heads of the right chain: word t depends on t+1, word n on the root."""
    return [t + 1 for t in range(1, n)] + [0]


@dataclass
class DependencyScores:
    """UAS and UUAS of a prediction, and the UAS of the left- and right-chain baselines."""

    uas: float
    uuas: float
    left_chain_uas: float
    right_chain_uas: float
    sentences: int
    tokens: int

    def as_dict(self) -> dict:
        return asdict(self)


class _Tally:
    """Running counts for one head assignment: correct heads and shared undirected arcs."""

    def __init__(self):
        self.correct = self.arcs = self.shared_arcs = 0

    def add(self, gold: list[int], pred: list[int], keep: list[bool]) -> None:
        self.correct += sum(g == p for g, p, k in zip(gold, pred, keep) if k)
        undirected = {frozenset((t, h)) for t, h in enumerate(pred, 1) if h != 0}
        for t, h in enumerate(gold, 1):
            if h != 0 and keep[t - 1]:
                self.arcs += 1
                self.shared_arcs += frozenset((t, h)) in undirected


def score_dependencies(gold_path: str | os.PathLike, pred_path: str | os.PathLike,
                       ignore_punct: bool = False, **corpus_options) -> DependencyScores:
    """Score predicted heads against gold heads; both files must hold the same tokens.

    ``ignore_punct`` leaves out tokens whose gold UPOS is ``PUNCT`` (they still
    count as heads of other words); ``corpus_options`` (``encoding``, ``errors``) read both
    files as :class:`~zhtext.corpus.Corpus` does. Raises :class:`InputError` on a sentence
    count or token mismatch, naming the sentence.
    """
    model, left, right = _Tally(), _Tally(), _Tally()
    sentences = tokens = 0
    for number, (gold, pred) in enumerate(_paired(gold_path, pred_path, corpus_options), 1):
        if gold.forms != pred.forms:
            raise InputError(f"{pred_path}: sentence {number} has other tokens than {gold_path} "
                             f"({len(pred.forms)} vs {len(gold.forms)} words); score on gold words")
        if -1 in gold.heads:
            raise InputError(f"{gold_path}: sentence {number} has a token without HEAD")
        keep = [not (ignore_punct and tag == "PUNCT") for tag in gold.upos]
        n = len(gold.forms)
        model.add(gold.heads, pred.heads, keep)
        left.add(gold.heads, left_chain(n), keep)
        right.add(gold.heads, right_chain(n), keep)
        sentences += 1
        tokens += sum(keep)
    if not tokens:
        raise InputError(f"{gold_path}: no tokens to score")
    return DependencyScores(uas=model.correct / tokens,
                            uuas=model.shared_arcs / max(model.arcs, 1),
                            left_chain_uas=left.correct / tokens,
                            right_chain_uas=right.correct / tokens,
                            sentences=sentences, tokens=tokens)


def _paired(gold_path, pred_path, corpus_options: dict) -> Iterator[tuple[Sentence, Sentence]]:
    """Pairs of sentences of two files; an :class:`InputError` if one has more sentences."""
    pairs = itertools.zip_longest(read_conllu(gold_path, **corpus_options),
                                  read_conllu(pred_path, **corpus_options))
    for number, (gold, pred) in enumerate(pairs, 1):
        if gold is None or pred is None:
            longer = pred_path if gold is None else gold_path
            raise InputError(f"{longer} has more sentences than the other file "
                             f"(sentence {number} has no counterpart)")
        yield gold, pred
