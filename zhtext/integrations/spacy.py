"""spaCy: a zhtext segmenter as the tokenizer of a ``zh`` pipeline.

    import spacy
    from zhtext.integrations.spacy import Tokenizer
    from zhtext.segment import Segmenter

    nlp = spacy.blank("zh")
    nlp.tokenizer = Tokenizer(nlp.vocab, Segmenter.load("news.npz"))
    doc = nlp("我们在2001年买了iPhone15。")      # doc.text is the input, always

Whitespace follows spaCy's convention: one space after a word is that token's
trailing whitespace (``token.whitespace_``), any other whitespace is a token of
its own. ``nlp.to_disk`` saves the statistical segmenter's model with the
pipeline (``tokenizer/segmenter.npz``) and ``nlp.from_disk`` reads it back.
spaCy is not a dependency of zhtext: install it to use this module.
"""

from __future__ import annotations

from pathlib import Path

from spacy.tokens import Doc

from ..segment import Segmenter
from ..tokens import WordCutter

MODEL_FILE = "segmenter.npz"


class Tokenizer:
    """``Tokenizer(vocab, segmenter)``: calling it on a text gives a spaCy ``Doc``."""

    def __init__(self, vocab, segmenter: WordCutter):
        self.vocab, self.segmenter = vocab, segmenter

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        for token in self.segmenter.cut(text, keep_whitespace=True):
            if token.startswith(" ") and words and not spaces[-1] and not words[-1].isspace():
                spaces[-1] = True
                token = token[1:]
            if token:
                words.append(token)
                spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_disk(self, path, **_exclude) -> None:
        """Save the statistical segmenter's model into the folder ``path`` (spaCy's serialization hook)."""
        if not isinstance(self.segmenter, Segmenter):
            raise TypeError("only a zhtext.segment.Segmenter can be saved with a spaCy pipeline")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.segmenter.save(folder / MODEL_FILE)

    def from_disk(self, path, **_exclude) -> Tokenizer:
        """Read the model saved by :meth:`to_disk`."""
        self.segmenter = Segmenter.load(Path(path) / MODEL_FILE)
        return self
