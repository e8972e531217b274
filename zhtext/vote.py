"""Word segmentation by two voters: the statistical segmenter and the masked language model.

The statistical segmenter (:mod:`zhtext.segment`) knows which strings recur as
units in the corpus; the masked LM's impact band (:class:`zhtext.probe.BertSegmenter`)
knows how strongly two characters bind *in this sentence*. Their errors differ
(the LM finds more new words, the statistics fewer spurious cuts), so each gap
``t`` between two characters of a Han run gets two votes:

    s_t = +1 if the statistical segmenter cuts there, else −1
    z_t = (log θ − log b_t) / σ

where ``b_t`` is the LM's adjacent impact, ``θ`` its calibrated threshold and
``σ`` the standard deviation of ``log b`` over the same calibration pairs, and
the cut is made when

    s_t + z_t > 0.

So the statistical decision stands unless the LM disagrees with it by more
than one standard deviation of its own evidence. ``θ`` and ``σ`` come from the
unlabelled text being segmented; the equal weight of the two votes is fixed a
priori. Everything outside Han runs is cut by the rules of :mod:`zhtext.tokens`,
and joining the words gives back the line exactly.
"""

from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from . import tokens
from .corpus import ProgressFn
from .errors import InputError
from .probe import BertSegmenter
from .segment import Segmenter


class VoteSegmenter(tokens.WordCutter):
    """Cut where a statistical segmenter's and a masked LM's votes add up above 0: ``s_t + z_t > 0``.

    See the module docstring; the interface of :class:`zhtext.segment.Segmenter`.

    ``VoteSegmenter(statistical, bert)`` takes a fitted :class:`Segmenter` and a
    :class:`BertSegmenter`; the latter calibrates ``θ`` and ``σ`` on the first
    lines it sees unless both were given to it.

    Parameters
    ----------
    statistical : Segmenter
        A fitted statistical segmenter: the vote ``s_t``.
    bert : BertSegmenter
        The masked-LM segmenter: the vote ``z_t``, from its band, ``θ`` and ``σ``
        (its ``spread``).

    Raises
    ------
    InputError
        ``bert`` has a fixed threshold but no spread.

    Examples
    --------
    >>> from pathlib import Path
    >>> from zhtext import BertSegmenter, Segmenter, VoteSegmenter
    >>> statistical = Segmenter.fit(Path("corpora/hongloumeng.txt"))
    >>> statistical.cut("他们在北京大学读书。")        # the novel has no 北京
    ['他们', '在', '北', '京', '大', '学', '读书', '。']
    >>> vote = VoteSegmenter(statistical, BertSegmenter("models/zhtext-char-bert-small", device="cpu"))
    >>> vote.cut("他们在北京大学读书。")              # the LM binds 北京 strongly enough
    ['他们', '在', '北京', '大', '学', '读书', '。']
    """

    def __init__(self, statistical: Segmenter, bert: BertSegmenter):
        if bert.calibrated and bert.spread is None:
            raise InputError("the masked-LM segmenter has a fixed threshold but no spread: give both or neither")
        self.statistical, self.bert = statistical, bert

    def cut_lines(self, lines: Iterable[str], keep_whitespace: bool = False,
                  progress: ProgressFn | None = None) -> Iterator[list[str]]:
        """:meth:`cut` each line; the LM is batched over chunks of lines as in :class:`BertSegmenter`.

        Parameters
        ----------
        lines : iterable of str
        keep_whitespace : bool, default False
            As in :meth:`zhtext.segment.Segmenter.cut`.
        progress : callable, optional
            ``progress(done, total)`` in masked sequences, per chunk.

        Yields
        ------
        list of str
            The words of each line; joined, with ``keep_whitespace``, the line itself.

        Examples
        --------
        >>> from pathlib import Path
        >>> from zhtext import BertSegmenter, Segmenter, VoteSegmenter
        >>> vote = VoteSegmenter(Segmenter.fit(Path("corpora/hongloumeng.txt")),
        ...                      BertSegmenter("models/zhtext-char-bert-small", device="cpu"))
        >>> for words in vote.cut_lines(["他们在北京大学读书。", "宝玉笑道：“你们在这里做什么？”"]):
        ...     print(" ".join(words))
        他们 在 北京 大 学 读书 。
        宝玉 笑道 ： “ 你们 在这里 做 什么 ？ ”
        """
        for chunk, bands in self.bert.calibrated_bands(lines, progress):
            yield from self.cut_bands(chunk, bands, keep_whitespace)

    def cut_bands(self, lines: Iterable[str], bands: Iterable[np.ndarray],
                  keep_whitespace: bool = False) -> Iterator[list[str]]:
        """The words of each line given its LM band (:meth:`BertSegmenter.bands`), at the current ``θ, σ``."""
        for line, band in zip(lines, bands):
            yield self._cut_line(line, band, keep_whitespace)

    def _cut_line(self, line: str, band: np.ndarray, keep_whitespace: bool) -> list[str]:
        starts, _ = self.statistical.spans(line)
        statistical_cut = np.zeros(len(line) + 1, dtype=np.bool_)
        statistical_cut[starts] = True

        def cut_run(a: int, b: int) -> list[int]:
            gaps = np.arange(a + 1, b)
            return gaps[self.votes(statistical_cut[gaps], band[gaps - 1]) > 0].tolist()

        return tokens.split_runs(line, cut_run, keep_whitespace)

    def votes(self, statistical_cut: np.ndarray, band: np.ndarray) -> np.ndarray:
        """``s_t + z_t`` per gap; a gap the LM was not asked about (NaN) keeps the statistical vote.

        ``s_t = +1`` where the statistical segmenter cuts, else ``−1``;
        ``z_t = (log θ − log b_t) / σ``. A gap is cut where the sum is positive.

        Parameters
        ----------
        statistical_cut : numpy.ndarray of bool
            Whether the statistical segmenter cuts at each gap.
        band : numpy.ndarray of float
            The LM's ``b_t`` at each gap (NaN: not asked).

        Returns
        -------
        numpy.ndarray
            One vote per gap.

        Examples
        --------
        >>> import numpy as np
        >>> from zhtext import BertSegmenter, Segmenter, VoteSegmenter, default_base_path
        >>> bert = BertSegmenter("models/zhtext-char-bert-small", device="cpu", threshold=5.0, spread=0.5)
        >>> vote = VoteSegmenter(Segmenter.load(default_base_path()), bert)
        >>> vote.votes(np.array([False, True, True]), np.array([2.5, 10.0, np.nan])).round(3)
        array([ 0.386, -0.386,  1.   ])
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(self.bert.threshold) - np.log(band)) / self.bert.spread
        return np.where(statistical_cut, 1.0, -1.0) + np.where(np.isnan(z), 0.0, z)
