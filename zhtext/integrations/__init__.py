"""Thin adapters between zhtext and the libraries its users pipe text through.

* :mod:`zhtext.integrations.spacy`: a segmenter as the tokenizer of a spaCy ``zh`` pipeline.
* scikit-learn needs no adapter: ``CountVectorizer(tokenizer=seg.cut, lowercase=False,
  token_pattern=None)`` works, and the fitted pipeline pickles (segmenters are picklable).
* jieba: ``zhtext discover --format jieba`` writes a user dictionary (:mod:`zhtext.lexicon`).
"""
