"""Pre-tokenization: the fixed rules for everything that is not Chinese text.

Before any statistics, every character gets a *class* and the rules below cut
the text into tokens; only runs of :data:`HAN` characters are left for the
statistical segmenter (:mod:`zhtext.segment`) to split. The rules:

* **Han runs** (CJK ideographs of every block, compatibility ideographs,
  ``〇``/``○`` used as the numeral zero, ``々``, kana, bopomofo): decided by the model.
* **Letters and digits**: a run of letters of alphabetic scripts (Latin,
  Greek, Cyrillic, Hangul, ... ASCII or full width) and decimal digits (ASCII
  or full width) is one token: ``iPhone15``, ``ＣＰＵ``, ``１９９８``. A decimal point
  between two digits (``3.14``, ``３．１４``) and a percent sign after a digit
  (``12%``, ``１２％``) stay inside the token, and so does a minus sign (``-``,
  ``－``, ``−``) before a digit when it does not follow a letter or digit
  (``－５``, but ``1998-2000`` and ``B-52`` keep it apart). An ASCII comma
  that separates thousands (one to three digits, then groups of exactly three:
  ``16,250``, ``1,000,000``) stays inside the number too; the full-width
  ``，`` is the Chinese comma and always a mark of its own (``1，2``). The
  magnitude characters 万 and 亿 (萬, 億) right after the digits of a number belong to it:
  ``20万``, ``3.5亿``, ``１２万亿`` are numbers (two hundred thousand ...), as
  ``二十万`` written in Chinese numerals is one; the Han run after them
  (``20万元``: 元) is the model's. So does the ordinal prefix 第 right before
  a whole number (``第6``, as ``第六``; not ``第12.5%``), which leaves the Han run
  it ends.
* **URLs and e-mail addresses** (``https://...``, ``www.example.com/...``,
  ``name@example.com``) are one token each, found by :data:`URL_OR_EMAIL`.
* **Whitespace** (``str.isspace``) separates tokens; a whitespace run is a
  token of its own that :func:`zhtext.segment.Segmenter.cut` drops unless asked.
* **Combining marks**, variation selectors, emoji modifiers and the zero-width
  joiner stick to the character before them (a joiner also to the one after),
  so ``é`` written as ``e`` + U+0301 or a family emoji is never split.
* **Dashes and ellipses**: a run of dashes (``—``, ``―``) or of ellipsis
  characters (``…``, ``⋯``) is one token: the Chinese dash ``——`` and ellipsis
  ``……`` are single punctuation marks written with two characters (GB/T 15834).
* **Everything else** (punctuation, symbols, emoji, controls) is one token per
  character.

The class of a code point is read from one ``uint8`` table of all 0x110000
code points (:func:`class_table`), built once from :mod:`unicodedata`; the cut
itself runs in Numba (:func:`token_starts`).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from numba import njit

HAN, LETTER, DIGIT, SPACE, PUNCT, MARK, JOINER, DOT, PERCENT, DASH, ELLIPSIS, MINUS = range(12)
"""Character classes, as stored in :func:`class_table`."""

MODEL, FIXED, WHITESPACE = 0, 1, 2
"""Kinds of token: a Han run for the model to split, a token fixed by the rules, whitespace."""

_HAN_NAMES = ("CJK ", "HIRAGANA", "KATAKANA", "BOPOMOFO", "IDEOGRAPHIC")
_HAN_EXTRA = "〇○々〻ー"
_JOINERS = "\u200d"
_DOTS, _PERCENTS = ".．", "%％"
_DASHES, _ELLIPSES, _MINUSES = "—―", "…⋯", "-－−"
NUMBER_HAN = "万亿萬億第"
"""The Han characters of a number written in digits: the magnitudes, which continue it (``20万``,
``3亿``), and the ordinal prefix, which starts it (``第6``)."""
MAGNITUDES = np.array([ord(c) for c in NUMBER_HAN[:-1]], dtype=np.uint32)
ORDINAL = ord(NUMBER_HAN[-1])
_COMMA = ord(",")
_MARK_RANGES = ((0xFE00, 0xFE0F), (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F), (0xE0100, 0xE01EF))
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
URL_OR_EMAIL = re.compile(
    rf"(?:(?:https?|ftp)://|www\.){_URL_CHARS}+"
    r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
"""URLs (with a scheme or starting ``www.``) and e-mail addresses, ASCII only."""
_URL_TRAILING = ".,;:!?)]'"


def char_class(char: str) -> int:
    """The class of one character (see the module docstring)."""
    point = ord(char)
    category = unicodedata.category(char)
    if char.isspace():
        return SPACE
    if char in _DOTS:
        return DOT
    if char in _PERCENTS:
        return PERCENT
    if char in _MINUSES:
        return MINUS
    if char in _DASHES:
        return DASH
    if char in _ELLIPSES:
        return ELLIPSIS
    if char in _JOINERS:
        return JOINER
    if category[0] == "M" or any(lo <= point <= hi for lo, hi in _MARK_RANGES):
        return MARK
    if char in _HAN_EXTRA or (category[0] == "L" and unicodedata.name(char, "").startswith(_HAN_NAMES)):
        return HAN
    if category == "Nd":
        return DIGIT
    if category[0] == "L":
        return LETTER
    return PUNCT


@functools.lru_cache(maxsize=1)
def class_table() -> np.ndarray:
    """``uint8`` class of every code point 0..0x10FFFF.

    The two CJK supplementary planes (U+20000..U+3FFFF) are Han wherever a
    character is assigned; planes 4..16 hold no letters and are classified by
    rule (marks, or one token per character). Building it takes about 0.1 s,
    so it is kept in ``__pycache__`` beside this module (as Numba keeps its
    kernels), under a name that changes with these rules and with the Unicode
    database; where that folder cannot be written it is built each time.
    """
    cached = _class_table_path()
    try:
        table = np.load(cached, allow_pickle=False)
        if table.dtype == np.uint8 and table.shape == (0x110000,):
            return table
    except (OSError, ValueError):
        pass
    table = _build_class_table()
    try:
        from .atomic import atomic_path

        cached.parent.mkdir(exist_ok=True)
        with atomic_path(cached) as tmp, open(tmp, "wb") as handle:
            np.save(handle, table)
    except OSError:
        pass
    return table


def _class_table_path() -> Path:
    source = Path(__file__)
    rules = hashlib.sha256(source.read_bytes() + unicodedata.unidata_version.encode()).hexdigest()[:16]
    return source.parent / "__pycache__" / f"class_table-{rules}.npy"


def _build_class_table() -> np.ndarray:
    table = np.full(0x110000, PUNCT, dtype=np.uint8)
    for point in range(0x20000):
        table[point] = char_class(chr(point))
    for point in range(0x20000, 0x40000):
        if unicodedata.category(chr(point)) == "Lo":
            table[point] = HAN
    for lo, hi in _MARK_RANGES:
        table[lo: hi + 1] = MARK
    return table


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as ``uint32`` (lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def from_code_points(points: np.ndarray) -> str:
    """Inverse of :func:`code_points`."""
    return np.ascontiguousarray(points, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


def protected_spans(text: str, points: np.ndarray | None = None) -> np.ndarray:
    """``(start, end)`` rows of the URLs and e-mail addresses in ``text`` (trailing punctuation excluded).

    A URL or address is printable ASCII holding ``@``, ``//`` or ``www.``, so it
    lies inside one run of :func:`_address_windows`; the regex runs on those
    runs only, not over the whole text under the GIL. ``points``: the code
    points of ``text``, when the caller has them.
    """
    if "@" not in text and "//" not in text and "www." not in text:
        return np.zeros((0, 2), dtype=np.int64)
    windows = _address_windows(code_points(text) if points is None else points)
    spans = []
    for lo, hi in windows.tolist():
        for match in URL_OR_EMAIL.finditer(text, lo, hi):
            start, end = match.span()
            while end - start > 1 and text[end - 1] in _URL_TRAILING:
                end -= 1
            spans.append((start, end))
    return np.array(spans, dtype=np.int64).reshape(-1, 2)


@njit(cache=True, nogil=True)
def _address_windows(points: np.ndarray) -> np.ndarray:
    """``(start, end)`` of the maximal runs of printable ASCII (``!`` to ``~``) that hold ``@``,
    ``//`` or ``www.``: the only places a URL or e-mail address can be."""
    out = np.empty((0, 2), dtype=np.int64)
    found = []
    n, i = points.shape[0], 0
    while i < n:
        if not 0x21 <= points[i] <= 0x7E:
            i += 1
            continue
        j, marked = i, False
        while j < n and 0x21 <= points[j] <= 0x7E:
            p = points[j]
            if p == 0x40 or (p == 0x2F and j > i and points[j - 1] == 0x2F) or (
                    p == 0x2E and j >= i + 3 and points[j - 1] == 0x77 and points[j - 2] == 0x77
                    and points[j - 3] == 0x77):
                marked = True
            j += 1
        if marked:
            found.append((i, j))
        i = j
    if found:
        out = np.array(found, dtype=np.int64)
    return out


def is_han(char: str) -> bool:
    """A Chinese character (or kana, bopomofo): the class :data:`HAN` (one table lookup)."""
    return class_table()[ord(char)] == HAN


def pretokens(text: str) -> list[tuple[int, int, int]]:
    """``(start, stop, kind)`` of the tokens of ``text`` by the rules (kind: ``MODEL``, ``FIXED``, ``WHITESPACE``)."""
    points = code_points(text)
    starts, kinds = token_starts(points, class_table()[points], protected_spans(text))
    bounds = starts.tolist()
    return list(zip(bounds, bounds[1:], kinds.tolist()))


def split_runs(text: str, cut_run: Callable[[int, int], Iterable[int]],
               keep_whitespace: bool = False) -> list[str]:
    """The tokens of ``text`` by the rules, each Han run ``text[a:b]`` also cut at the offsets ``cut_run(a, b)``.

    Whitespace runs are kept as tokens only if ``keep_whitespace``; then the
    tokens join back to ``text``.
    """
    words = []
    for a, b, kind in pretokens(text):
        if kind == MODEL:
            bounds = [a, *cut_run(a, b), b]
            words += [text[x:y] for x, y in zip(bounds, bounds[1:])]
        elif kind == FIXED or keep_whitespace:
            words.append(text[a:b])
    return words


class WordCutter:
    """The interface every segmenter shares (:class:`zhtext.segment.Segmenter`,
    :class:`zhtext.probe.BertSegmenter`, :class:`zhtext.vote.VoteSegmenter`).

    A subclass defines ``cut_lines(lines, keep_whitespace)``; ``cut`` and
    ``tokenize`` follow from it (a subclass may define a faster ``cut``).
    """

    def cut(self, text: str, keep_whitespace: bool = False) -> list[str]:
        """The words of ``text``: :meth:`cut_lines` of one line.

        Whitespace separates words and is dropped unless ``keep_whitespace``.
        ``"".join(cut(text, keep_whitespace=True)) == text`` always.

        A segmenter that calibrates on the text it is given
        (:class:`zhtext.probe.BertSegmenter`) calibrates on ``text`` when it is
        not calibrated yet.

        Parameters
        ----------
        text : str
        keep_whitespace : bool, default False

        Returns
        -------
        list of str

        Examples
        --------
        >>> from zhtext import BertSegmenter
        >>> seg = BertSegmenter("models/zhtext-char-bert-small", device="cpu")
        >>> seg.cut("他们在北京大学读书。")
        ['他们在', '北京', '大学', '读书', '。']
        >>> "".join(seg.cut("他们 在北京。", keep_whitespace=True))
        '他们 在北京。'
        """
        return next(iter(self.cut_lines([text], keep_whitespace)))

    def cut_batch(self, batch: dict, column: str = "text") -> dict[str, list[list[str]]]:
        """``{"words": [cut(text) for text in batch[column]]}``: a batch of table rows cut, as
        Hugging Face ``datasets`` calls it: ``dataset.map(seg.cut_batch, batched=True, num_proc=4)``
        (``fn_kwargs={"column": "sentence"}`` for another column)."""
        return {"words": [self.cut(text) for text in batch[column]]}

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """The words of ``text`` with their offsets, as jieba's ``tokenize`` gives them.

        ``(word, start, end)`` for each word, ``text[start:end] == word``;
        whitespace is not a word.

        Parameters
        ----------
        text : str

        Returns
        -------
        list of tuple
            ``(word, start, end)``, offsets in characters of ``text``.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import Segmenter
        >>> lines = Path("corpora/hongloumeng.txt").read_text(encoding="utf-8").splitlines()
        >>> seg = Segmenter.fit(lines[:800])          # the novel's first 800 lines: quick to learn
        >>> seg.tokenize("宝玉在2001年 笑道")
        [('宝玉', 0, 2), ('在', 2, 3), ('2001', 3, 7), ('年', 7, 8), ('笑道', 9, 11)]
        """
        out, start = [], 0
        for token in self.cut(text, keep_whitespace=True):
            end = start + len(token)
            if not token.isspace():
                out.append((token, start, end))
            start = end
        return out


@njit(cache=True)
def token_starts(points: np.ndarray, classes: np.ndarray, spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut a text by the rules: ``(starts, kinds)`` of its tokens.

    ``points`` holds the code points of the text, ``classes`` the class of
    every character, ``spans`` the protected URL/e-mail spans. ``starts[k]`` is
    the offset of token ``k`` (a final entry holds the text length) and
    ``kinds[k]`` is ``MODEL`` (a Han run, to be split further), ``FIXED`` or
    ``WHITESPACE``.
    """
    n = classes.shape[0]
    glued = np.zeros(n + 1, dtype=np.bool_)  # glued[i]: no cut before character i
    for k in range(spans.shape[0]):
        glued[spans[k, 0] + 1: spans[k, 1]] = True
    for i in range(1, n - 3):
        if points[i] == _COMMA and _thousands(points, classes, glued, i):
            glued[i: i + 2] = True
    starts = np.empty(n + 1, dtype=np.int64)
    kinds = np.empty(n + 1, dtype=np.int8)
    count, magnitude = 0, False     # magnitude: the open token is a number that took 万 or 亿
    for i in range(n):
        if glued[i]:
            continue
        if i > 0 and _is_magnitude(points[i]) and (
                magnitude or _ends_number(points, classes, starts[count - 1], i)):
            magnitude = True
            continue
        if i > 0 and _joins(classes, i) and not (magnitude and classes[i] == HAN):
            continue
        magnitude = False
        if (i > 0 and points[i - 1] == ORDINAL and kinds[count - 1] == MODEL
                and _ordinal(classes, glued, spans, i)):
            if starts[count - 1] < i - 1:   # 第 leaves its Han run and starts the number
                starts[count] = i - 1
                count += 1
            kinds[count - 1] = FIXED
            continue
        starts[count] = i
        kinds[count] = MODEL if classes[i] == HAN else (WHITESPACE if classes[i] == SPACE else FIXED)
        count += 1
    starts[count] = n
    return starts[: count + 1], kinds[:count]


@njit(cache=True)
def _thousands(points: np.ndarray, classes: np.ndarray, glued: np.ndarray, i: int) -> bool:
    """True if the comma at ``i`` separates thousands: exactly three digits after it, and before
    it one to three digits that start a number, or three after an earlier separator."""
    start = i
    while start > 0 and classes[start - 1] == DIGIT:
        start -= 1
    if start > 0 and points[start - 1] == _COMMA and glued[start - 1]:
        if i - start != 3:
            return False
    elif not 1 <= i - start <= 3 or (start > 0 and (classes[start - 1] == LETTER or classes[start - 1] == DOT)):
        return False
    for k in range(i + 1, i + 4):
        if classes[k] != DIGIT:
            return False
    return i + 4 == classes.shape[0] or classes[i + 4] != DIGIT


@njit(cache=True)
def _ordinal(classes: np.ndarray, glued: np.ndarray, spans: np.ndarray, i: int) -> bool:
    """True if the digits from ``i`` make a whole number that 第 before them makes an ordinal:
    no decimal point or percent sign follows them, and no URL or address starts there."""
    if classes[i] != DIGIT:
        return False
    for k in range(spans.shape[0]):
        if spans[k, 0] == i:
            return False
    n, j = classes.shape[0], i
    while j < n and (classes[j] == DIGIT or glued[j]):    # glued: a thousands separator
        j += 1
    return not (j < n and (classes[j] == PERCENT or (classes[j] == DOT and j + 1 < n and classes[j + 1] == DIGIT)))


@njit(cache=True)
def _is_magnitude(point) -> bool:
    for magnitude in MAGNITUDES:
        if point == magnitude:
            return True
    return False


@njit(cache=True)
def _ends_number(points: np.ndarray, classes: np.ndarray, start: int, end: int) -> bool:
    """True if ``start:end`` is a number: digits, with the decimal points, thousands separators
    and sign the rules keep."""
    if classes[end - 1] != DIGIT:
        return False
    for i in range(start + (points[start] == ORDINAL), end):
        if classes[i] != DIGIT and classes[i] != DOT and classes[i] != MINUS and points[i] != _COMMA:
            return False
    return True


@njit(cache=True)
def _joins(classes: np.ndarray, i: int) -> bool:
    """True if character ``i`` continues the token of character ``i - 1``."""
    here, before = classes[i], classes[i - 1]
    if here == SPACE or before == SPACE:
        return here == before
    if here == MARK or here == JOINER or before == JOINER:
        return True
    if here == HAN:
        return before == HAN
    if (here == LETTER or here == DIGIT) and (before == LETTER or before == DIGIT):
        return True
    if here == DOT:
        return before == DIGIT and i + 1 < classes.shape[0] and classes[i + 1] == DIGIT
    if here == DIGIT and before == DOT:
        return i >= 2 and classes[i - 2] == DIGIT
    if here == DASH or here == ELLIPSIS:
        return before == here
    if here == DIGIT and before == MINUS:
        return _signs(classes, i - 1)
    return here == PERCENT and before == DIGIT



@njit(cache=True)
def _signs(classes: np.ndarray, i: int) -> bool:
    """True if the minus sign at ``i`` (before a digit) is a sign: not after a letter or digit."""
    return i == 0 or not (classes[i - 1] == LETTER or classes[i - 1] == DIGIT or classes[i - 1] == DOT)
