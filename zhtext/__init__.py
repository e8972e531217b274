"""zhtext: unsupervised Chinese text analysis.

The data path reads left to right::

    text -> Corpus (zhtext.corpus) -> encoded integer arrays (zhtext.encode)
         -> n-gram table (zhtext.ngrams) -> Lexicon (zhtext.discover, zhtext.lexicon)
         -> segmenter / word graph -> communities

Nothing here holds global state: every model is an object you fit and keep.
"""

__version__ = "0.1.0"
