"""zhtext's command-line layer: argument parsing, progress bars and output formatting only.

Installed as the package ``zhtext_cli``; the library (``zhtext``) never imports it.
"""

COMMANDS = {
    "ngrams": "exact n-gram counts, cohesion and entropy",
    "discover": "new-word discovery: raw text -> ranked lexicon",
    "segment": "split raw text into words (unsupervised)",
    "fit": "learn a segmenter model from raw text",
    "eval": "score a segmentation (P/R/F1, OOV recall) or parse",
    "parse": "dependency/constituency trees from a masked LM",
    "pretrain": "train a character-level masked LM (BERT) from raw text",
    "graph": "word graph (co-occurrence or similarity) of a corpus",
    "communities": "InfoMap communities of an edge list",
    "cluster-words": "clusters of related words (word graph + InfoMap)",
    "report": "an HTML page about a corpus: lexicon, contexts, clusters, segmentation, a tree",
}
"""Each subcommand and its one-line summary, in data-path order (read, count, discover, segment,
parse, graphs): the list of ``zhtext --help``, shown without importing any command's module.
The command ``name`` lives in the module ``zhtext_cli.<name with _ for ->``."""
