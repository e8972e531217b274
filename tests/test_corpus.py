"""Reading corpora: encodings, compression, long lines, bad input."""

import bz2
import gzip
import lzma

import pytest

from zhtext.corpus import Corpus, as_corpus
from zhtext.errors import InputError

TEXT = "第一行，有标点。\n第二行\n\n末行没有换行"


@pytest.mark.parametrize("opener", [open, gzip.open, bz2.open, lzma.open])
def test_compressed_files_read_transparently(tmp_path, opener):
    path = tmp_path / "corpus.data"  # the name says nothing: magic bytes decide
    with opener(path, "wb") as f:
        f.write(TEXT.encode("utf-8"))
    assert list(Corpus.from_files(path)) == TEXT.split("\n")


def test_bom_and_crlf_are_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "甲乙\r\n丙丁\r\n".encode())
    assert list(Corpus.from_files(path)) == ["甲乙", "丙丁"]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "big5", "utf-16"])
def test_other_encodings(tmp_path, encoding):
    path = tmp_path / "enc.txt"
    text = "中文字\n第二行" if encoding != "big5" else "中文字\n第二行"
    path.write_bytes(text.encode(encoding))
    assert list(Corpus.from_files(path, encoding=encoding)) == text.split("\n")


def test_utf16_bom_detected_under_default_utf8(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("中文\n".encode("utf-16"))
    assert list(Corpus.from_files(path)) == ["中文"]


def test_undecodable_byte_names_file_line_and_offset(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("第一行\r\n第二行".encode() + b"\xff" + "坏\n".encode())
    with pytest.raises(InputError) as err:
        list(Corpus.from_files(path))
    message = str(err.value)
    assert "bad.txt" in message and "line 2" in message and "byte offset 20" in message
    assert "\n" not in message


def test_replace_counts_replacements(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ab\xffcd\xfe\n")
    corpus = Corpus.from_files(path, errors="replace")
    assert list(corpus) == ["ab\ufffdcd\ufffd"]
    assert corpus.replacements == 2


def test_binary_file_is_rejected(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match="binary file"):
        list(Corpus.from_files(path))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        Corpus.from_files(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        Corpus.from_files(tmp_path)


def test_giant_line_comes_in_bounded_pieces(tmp_path):
    path = tmp_path / "oneline.txt"
    line = "汉字" * 50_000  # 100,000 characters, no newline
    path.write_text(line, encoding="utf-8")
    pieces = list(Corpus.from_files(path, max_chars=4096, block_bytes=1000).pieces())
    assert max(len(p.text) for p in pieces) <= 4096
    assert "".join(p.text for p in pieces) == line
    assert [p.ends_line for p in pieces] == [False] * (len(pieces) - 1) + [True]


def test_block_boundaries_inside_multibyte_characters(tmp_path):
    path = tmp_path / "blocks.txt"
    text = "\n".join("行" * k for k in range(1, 60))
    path.write_text(text, encoding="utf-8")
    for block in (1, 2, 5, 7):
        assert "\n".join(Corpus.from_files(path, block_bytes=block)) == text


def test_texts_and_as_corpus():
    assert list(as_corpus(["甲\n乙", "丙"])) == ["甲", "乙", "丙"]
    with pytest.raises(InputError):
        as_corpus(b"bytes")


def test_progress_reports_bytes(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("中文\n" * 1000, encoding="utf-8")
    seen = []
    list(Corpus.from_files(path, block_bytes=256).pieces(lambda done, total: seen.append((done, total))))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
