"""Reading raw text: files, compressed files, standard input or Python strings.

A :class:`Corpus` is a re-iterable source of text lines. It streams: a file is
read in blocks of ``block_bytes`` and a line longer than ``max_chars`` is
delivered in several pieces, so memory per line is bounded even for a 20 GB
file without a single newline.

Decoding rules (one place for all of zhtext):

* ``.gz``, ``.bz2`` and ``.xz`` files are recognised by their magic bytes and
  decompressed on the fly, whatever their name.
* UTF-8 by default; a UTF-8 byte-order mark is dropped, and a UTF-16 BOM
  switches to UTF-16. Any Python codec name works (``gb18030``, ``gbk``,
  ``big5``, ``utf-16``).
* Lines end at ``\\n``; a ``\\r`` before it is dropped (CRLF files).
* ``errors="strict"`` (default): undecodable bytes raise :class:`InputError`
  naming the file, the line number and the byte offset. ``errors="replace"``:
  they become U+FFFD and are counted in :attr:`Corpus.replacements`.
* A file whose first block holds NUL bytes (and is not UTF-16/32) is rejected
  as binary.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence

from .errors import InputError

ProgressFn = Callable[[int, int], None]
"""``progress(done, total)``: bytes read so far and the total on disk (0 if unknown)."""

DEFAULT_MAX_CHARS = 1 << 20
DEFAULT_BLOCK_BYTES = 1 << 20
_ERROR_MODES = ("strict", "replace")
_MAGIC = ((b"\x1f\x8b", lambda raw: gzip.GzipFile(fileobj=raw)), (b"BZh", bz2.BZ2File),
          (b"\xfd7zXZ\x00", lzma.LZMAFile))


@dataclass(frozen=True)
class Piece:
    """A line, or a part of a line longer than ``max_chars``.

    ``ends_line`` is False for every piece of a long line but the last, so a
    consumer that writes one output line per input line knows where lines end.
    """

    text: str
    ends_line: bool = True


class Corpus:
    r"""Re-iterable text lines from files, standard input or strings, in bounded memory.

    Build one with :meth:`from_files` or :meth:`from_texts`, or let
    :func:`as_corpus` choose. Iterating yields lines (a long line comes as
    several pieces, see :meth:`pieces`). Every pass reads the sources again,
    by the decoding rules of the module docstring.

    Parameters
    ----------
    sources : sequence of str or path-like, optional
        Files, read in order; ``"-"`` is standard input, readable once. Each
        must exist when the corpus is made.
    texts : iterable of str, optional
        The text itself, used when there are no ``sources``; a string holding
        newlines counts as several lines. A list can be read many times, a
        generator once.
    encoding : str, default "utf-8"
        Any Python codec name (``gb18030``, ``big5``, ``utf-16``). With UTF-8,
        a UTF-8 byte-order mark is dropped and a UTF-16 one switches to UTF-16.
    errors : {"strict", "replace"}, default "strict"
        ``"strict"``: an undecodable byte raises :class:`InputError` naming the
        file, the line and the byte offset. ``"replace"``: it becomes U+FFFD,
        counted in :attr:`replacements`.
    max_chars : int, default 2**20
        The longest piece a line is delivered in: memory per line stays bounded
        even for a file without a newline.
    block_bytes : int, default 2**20
        Bytes read from a file at a time.

    Attributes
    ----------
    sources : list of pathlib.Path or "-"
        The files.
    replacements : int
        U+FFFD characters put in by ``errors="replace"`` during the last pass.

    Raises
    ------
    InputError
        An unknown ``errors`` mode or encoding, ``max_chars < 1``, or a source
        that is missing or a directory.

    Examples
    --------
    >>> from zhtext import Corpus
    >>> corpus = Corpus.from_files("corpora/hongloumeng.txt")
    >>> next(iter(corpus))
    '《红楼梦》曹雪芹'
    >>> sum(1 for line in corpus)          # a second pass reads the file again
    2654
    >>> list(Corpus.from_texts(["宝玉笑道\r\n黛玉", "晴雯"]))
    ['宝玉笑道', '黛玉', '晴雯']
    >>> Corpus.from_files("corpora/no-such-file.txt")
    Traceback (most recent call last):
    ...
    zhtext.errors.InputError: corpora/no-such-file.txt: no such file
    """

    def __init__(self, sources: Sequence[str | os.PathLike] | None = None,
                 texts: Iterable[str] | None = None, *, encoding: str = "utf-8",
                 errors: str = "strict", max_chars: int = DEFAULT_MAX_CHARS,
                 block_bytes: int = DEFAULT_BLOCK_BYTES):
        if errors not in _ERROR_MODES:
            raise InputError(f"errors must be one of {', '.join(_ERROR_MODES)}, not {errors!r}")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}") from None
        if max_chars < 1:
            raise InputError("max_chars must be at least 1")
        self.sources = [str(s) if str(s) == "-" else Path(s) for s in (sources or [])]
        self._texts = texts
        self.encoding = encoding
        self.errors = errors
        self.max_chars = max_chars
        self.block_bytes = block_bytes
        self.replacements = 0
        self._stdin_used = False
        for source in self.sources:
            if source != "-" and not source.is_file():
                reason = "is a directory" if source.is_dir() else "no such file"
                raise InputError(f"{source}: {reason}")

    @classmethod
    def from_files(cls, paths: str | os.PathLike | Sequence[str | os.PathLike], **options) -> Corpus:
        """A corpus of files (``"-"`` is standard input, readable once).

        Compressed files (``.gz``, ``.bz2``, ``.xz``) are recognised by their
        first bytes, whatever their name, and decompressed as they are read.

        Parameters
        ----------
        paths : str, path-like or sequence of them
            One file or several, read in order.
        **options
            ``encoding``, ``errors``, ``max_chars``, ``block_bytes`` (see :class:`Corpus`).

        Returns
        -------
        Corpus

        Raises
        ------
        InputError
            A file that is missing or a directory, or a bad option.

        Examples
        --------
        >>> from zhtext import Corpus
        >>> corpus = Corpus.from_files(["corpora/gsdsimp_dev_sample.txt",
        ...                             "corpora/gsdsimp_dev_sample.gold.txt"])
        >>> sum(1 for line in corpus), corpus.total_bytes()
        (60, 4677)
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return cls(sources=list(paths), **options)

    @classmethod
    def from_texts(cls, texts: Iterable[str], **options) -> Corpus:
        r"""A corpus of strings; a string holding newlines counts as several lines.

        A list can be iterated many times, a generator only once. A ``\r``
        before a newline is dropped, as in files.

        Parameters
        ----------
        texts : iterable of str
            Lines or whole documents.
        **options
            ``max_chars`` (and the other options of :class:`Corpus`).

        Returns
        -------
        Corpus

        Examples
        --------
        >>> from zhtext import Corpus
        >>> corpus = Corpus.from_texts(["宝玉笑道\r\n黛玉", "晴雯"])
        >>> list(corpus)
        ['宝玉笑道', '黛玉', '晴雯']
        >>> list(corpus) == list(corpus)        # a list of texts can be read again
        True
        """
        return cls(texts=texts, **options)

    def total_bytes(self) -> int:
        """Bytes on disk of all files (0 for stdin and strings): the progress total.

        Returns
        -------
        int
            The sizes of the files as stored (compressed, for a compressed file).

        Examples
        --------
        >>> from zhtext import Corpus
        >>> Corpus.from_files("corpora/hongloumeng.txt").total_bytes()
        2503605
        >>> Corpus.from_texts(["宝玉"]).total_bytes()
        0
        """
        return sum(s.stat().st_size for s in self.sources if s != "-")

    def __iter__(self) -> Iterator[str]:
        for piece in self.pieces():
            yield piece.text

    def pieces(self, progress: ProgressFn | None = None) -> Iterator[Piece]:
        """Every line as one or more :class:`Piece` of at most ``max_chars`` characters.

        A consumer that writes one output line per input line reads
        ``Piece.ends_line`` to know where the lines end.

        Parameters
        ----------
        progress : callable, optional
            ``progress(done, total)`` after each block read: bytes read so far and
            :meth:`total_bytes`.

        Yields
        ------
        Piece
            The text of a line or a part of one (no newline), and whether it ends
            the line.

        Raises
        ------
        InputError
            Undecodable bytes (with ``errors="strict"``), a binary file, or a file
            that cannot be read.

        Examples
        --------
        >>> from zhtext import Corpus
        >>> corpus = Corpus.from_texts(["甲乙丙丁戊", "己"], max_chars=2)
        >>> [(piece.text, piece.ends_line) for piece in corpus.pieces()]
        [('甲乙', False), ('丙丁', False), ('戊', True), ('己', True)]
        """
        self.replacements = 0
        if self._texts is not None:
            for text in self._texts:
                yield from self._split_lines(text.split("\n"))
            return
        total, done = self.total_bytes(), 0
        for source in self.sources:
            tail = ""  # the unfinished last line of the blocks read so far
            for text_block, read in self._decoded_blocks(source):
                done += read
                if progress is not None:
                    progress(done, total)
                lines = (tail + text_block).split("\n")
                tail = lines.pop()
                yield from self._split_lines(lines)
                while len(tail) > self.max_chars:
                    yield Piece(tail[: self.max_chars], False)
                    tail = tail[self.max_chars:]
            if tail:
                yield from self._split_lines([tail])

    def blocks(self, progress: ProgressFn | None = None) -> Iterator[str]:
        r"""The decoded text in large blocks, lines not split: the fast path of whole-text consumers.

        Each file, and each string, ends with ``\n``. For consumers that treat a
        newline like any other boundary.

        Parameters
        ----------
        progress : callable, optional
            ``progress(done, total)`` after each block read (bytes, as in :meth:`pieces`).

        Yields
        ------
        str
            A file's text in blocks of about ``block_bytes`` bytes (a block may
            end inside a line), or each string as it is; a ``\r`` before a
            newline is kept here.

        Examples
        --------
        >>> from zhtext import Corpus
        >>> list(Corpus.from_texts(["甲乙丙丁戊", "己"], max_chars=2).blocks())
        ['甲乙丙丁戊\n', '己\n']
        >>> seen = []
        >>> for block in Corpus.from_files("corpora/hongloumeng.txt").blocks(
        ...         progress=lambda done, total: seen.append(done)):
        ...     pass
        >>> seen[-1]
        2503605
        """
        self.replacements = 0
        if self._texts is not None:
            for text in self._texts:
                yield text if text.endswith("\n") else text + "\n"
            return
        total, done = self.total_bytes(), 0
        for source in self.sources:
            last = ""
            for text, read in self._decoded_blocks(source):
                done += read
                if progress is not None:
                    progress(done, total)
                if text:
                    yield text
                    last = text
            if last and not last.endswith("\n"):
                yield "\n"

    def _split_lines(self, lines: list[str]) -> Iterator[Piece]:
        """Pieces of whole lines: CR dropped, long lines cut every ``max_chars``."""
        limit = self.max_chars
        for line in lines:
            if line.endswith("\r"):
                line = line[:-1]
            while len(line) > limit:
                yield Piece(line[:limit], False)
                line = line[limit:]
            yield Piece(line, True)

    # -- bytes to text -------------------------------------------------
    def _decoded_blocks(self, source: str | Path) -> Iterator[tuple[str, int]]:
        """Yield ``(text, bytes_read_on_disk)`` for one file, decoding strictly or counting replacements."""
        name = "<stdin>" if source == "-" else str(source)
        raw, stream = self._open(source, name)
        try:
            try:
                first = stream.read(self.block_bytes)
            except (OSError, EOFError, lzma.LZMAError) as err:
                raise InputError(f"{name}: cannot read: {err}") from None
            size = len(first)
            encoding, first = _sniff_encoding(first, self.encoding)
            _reject_binary(first, encoding, name)
            decoder = codecs.getincrementaldecoder(encoding)(self.errors)
            block, byte_offset, line_no, position = first, size - len(first), 1, 0
            while True:
                final = not block
                try:
                    text = decoder.decode(block, final=final)
                except UnicodeDecodeError as err:
                    raise _decode_error(err, name, encoding, block, byte_offset, line_no) from None
                except UnicodeError as err:   # e.g. UTF-16 without a byte-order mark
                    raise InputError(f"{name}: cannot decode as {encoding}: {err} (name the byte "
                                     f"order, e.g. --encoding utf-16-le)") from None
                except (OSError, EOFError, lzma.LZMAError) as err:
                    raise InputError(f"{name}: cannot read: {err}") from None
                if self.errors == "replace":
                    self.replacements += text.count("\ufffd")
                line_no += text.count("\n")
                byte_offset += len(block)
                new_position = raw.tell() if raw is not None else byte_offset
                if text or final:
                    yield text, new_position - position
                    position = new_position
                if final:
                    return
                try:
                    block = stream.read(self.block_bytes)
                except (OSError, EOFError, lzma.LZMAError) as err:
                    raise InputError(f"{name}: cannot read: {err}") from None
        finally:
            if source != "-":
                stream.close()
                raw.close()

    def _open(self, source: str | Path, name: str) -> tuple[BinaryIO | None, BinaryIO]:
        """Open a source as ``(raw_file, decompressed_stream)``."""
        if source == "-":
            if self._stdin_used:
                raise InputError("standard input can be read only once; save it to a file first")
            self._stdin_used = True
            return None, sys.stdin.buffer
        try:
            raw = open(source, "rb")
        except OSError as err:
            raise InputError(f"{name}: cannot open: {err.strerror}") from None
        magic = raw.read(6)
        raw.seek(0)
        for prefix, opener in _MAGIC:
            if magic.startswith(prefix):
                return raw, opener(raw)
        return raw, raw


def _sniff_encoding(first: bytes, encoding: str) -> tuple[str, bytes]:
    """Honour byte-order marks: drop a UTF-8 BOM, switch to UTF-16 on a UTF-16 BOM."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        if first.startswith(codecs.BOM_UTF8):
            return "utf-8", first[len(codecs.BOM_UTF8):]
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", first
        return "utf-8", first
    return encoding, first


def _reject_binary(first: bytes, encoding: str, name: str) -> None:
    """Refuse a file that is evidently not text: NUL bytes in a byte-oriented encoding."""
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    if not wide and b"\x00" in first[:65536]:
        at = first.index(b"\x00")
        raise InputError(f"{name}: binary file (NUL byte at offset {at}); zhtext reads text only")


def _decode_error(err: UnicodeDecodeError, name: str, encoding: str, block: bytes,
                  block_offset: int, line_no: int) -> InputError:
    """One line naming the file, line and byte offset of an undecodable byte."""
    carried = len(err.object) - len(block)  # bytes the decoder kept from the previous block
    offset = block_offset - carried + err.start
    line = line_no + err.object[: err.start].count(b"\n")
    bad = err.object[err.start: err.end].hex(" ")
    return InputError(f"{name}: line {line}, byte offset {offset}: cannot decode byte(s) {bad} as "
                      f"{encoding} (try --encoding gb18030, or --errors replace)")


def text_batches(pieces: Iterable[Piece], chars: int) -> Iterator[list[str]]:
    """The non-empty texts of ``pieces`` (:meth:`Corpus.pieces`) in consecutive lists of at least
    ``chars`` characters, the last one possibly shorter: how whole-text consumers take a corpus a
    slice at a time."""
    batch, size = [], 0
    for piece in pieces:
        if piece.text:
            batch.append(piece.text)
            size += len(piece.text)
        if size >= chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def as_corpus(data, **options) -> Corpus:
    """Interpret what a caller passed as a corpus.

    * a :class:`Corpus`: used as is;
    * a ``str`` or path-like: one file (``"-"`` is standard input);
    * a sequence of ``pathlib.Path``: several files;
    * any other iterable of ``str``: the texts themselves (lines or documents).

    A list or tuple of ``str`` that are all names of existing files is
    refused with a one-line :class:`InputError` (it would be read as text):
    pass ``pathlib.Path`` objects or ``Corpus.from_files(names)``.
    """
    if isinstance(data, Corpus):
        return data
    if isinstance(data, (str, os.PathLike)):
        return Corpus.from_files([data], **options)
    if isinstance(data, (list, tuple)) and data and all(isinstance(x, os.PathLike) for x in data):
        return Corpus.from_files(list(data), **options)
    if isinstance(data, (bytes, bytearray, io.IOBase)):
        raise InputError("pass text as str (or a file path), not bytes or an open file")
    if isinstance(data, (list, tuple)) and data and all(_names_a_file(x) for x in data):
        raise InputError(f"{data[0]!r} ... are file names, and a list of str is read as text: pass "
                         "pathlib.Path objects, or Corpus.from_files([...])")
    return Corpus.from_texts(data, **options)


def _names_a_file(text) -> bool:
    return isinstance(text, str) and 0 < len(text) < 4096 and "\n" not in text and os.path.isfile(text)
