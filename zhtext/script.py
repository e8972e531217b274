"""Traditional and simplified characters: folding text to its simplified form.

A dictionary written in simplified characters (jieba's) knows 问题 but not its
traditional form 問題; comparing words through :func:`simplified` makes them
the same word. The character table is OpenCC's ``TSCharacters.txt``
(traditional -> simplified, first candidate), read from the
``opencc-python-reimplemented`` package; characters it does not list are
kept. Folding is by character, which is exact for membership tests: a
traditional word and its simplified form differ character by character.

The segmenter pools its statistics the same way (:func:`fold_table`): 問題
and 问题 are one word to it, so simplified text teaches it about traditional
text and the reverse, while its output keeps the characters of the input.
"""

from __future__ import annotations

import functools
import importlib.resources

import numpy as np

from .errors import InputError


@functools.lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    try:
        text = (importlib.resources.files("opencc") / "dictionary" / "TSCharacters.txt").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        raise InputError("folding traditional characters needs OpenCC's tables: "
                         "pip install opencc-python-reimplemented") from None
    table = {}
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            table[ord(source)] = targets.split()[0]
    return table


def simplified(text: str) -> str:
    """``text`` with every traditional character replaced by its simplified form."""
    return text.translate(_table())


@functools.lru_cache(maxsize=1)
def fold_table() -> np.ndarray:
    """``int32`` array over all code points: ``fold_table()[p]`` is the code point of the
    simplified form of character ``p`` (``p`` itself for any character not folded).

    Applied twice, so that a chain of variants ends on one character."""
    table = np.arange(0x110000, dtype=np.int32)
    for point, target in _table().items():
        if len(target) == 1:
            table[point] = ord(target)
    table = table[table]
    table.setflags(write=False)
    return table
