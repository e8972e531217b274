"""Traditional and simplified characters: folding a word to its simplified form.

A dictionary written in simplified characters (jieba's) knows 问题 but not its
traditional form 問題; comparing words through :func:`simplified` makes them
the same word. The character table is OpenCC's ``TSCharacters.txt``
(traditional -> simplified, first candidate), read from the
``opencc-python-reimplemented`` package; characters it does not list are
kept. Folding is by character, which is exact for membership tests: a
traditional word and its simplified form differ character by character.
"""

from __future__ import annotations

import functools
import importlib.resources

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
