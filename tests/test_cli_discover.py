"""The discover and ngrams subcommands through the real console script."""

import gzip

import pytest


@pytest.fixture(scope="module")
def novel_slice(bundled):
    """The first 400 paragraphs of 红楼梦: small, but real text."""
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:400]
    return "\n".join(lines) + "\n"


def test_discover_bundled_corpus_top(cli, bundled):
    result = cli("discover", str(bundled / "hongloumeng.txt"), "--top", "20", "-q")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].startswith("word\tcount") and len(rows) == 21
    words = [r.split("\t")[0] for r in rows[1:]]
    assert "宝玉" in words and all(len(w) >= 2 for w in words)


def test_discover_writes_jieba_file_atomically(cli, bundled, tmp_path):
    out = tmp_path / "user.txt"
    result = cli("discover", str(bundled / "hongloumeng.txt"), "--format", "jieba", "-o", str(out),
                 "--top", "100")
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 100 and all(len(line.split()) == 2 for line in lines)
    assert "words from" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_new_only_drops_reference_words(cli, tmp_path, novel_slice):
    corpus = tmp_path / "c.txt"
    corpus.write_text(novel_slice, encoding="utf-8")
    reference = tmp_path / "ref.txt"
    reference.write_text("笑道\n", encoding="utf-8")
    result = cli("discover", str(corpus), "--new-only", "--reference", str(reference), "-q")
    words = [r.split("\t")[0] for r in result.stdout.splitlines()[1:]]
    assert "笑道" not in words and "宝玉" in words


def test_stdin_and_compressed_input(cli, tmp_path, novel_slice):
    text = novel_slice
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)
    from_file = cli("discover", str(path), "-q").stdout
    from_stdin = cli("discover", "-", "-q", input=text).stdout
    assert from_file == from_stdin and "宝玉" in from_file


def test_gb18030_input(cli, tmp_path, novel_slice):
    path = tmp_path / "gb.txt"
    path.write_bytes(novel_slice.encode("gb18030"))
    assert cli("discover", str(path), "-q").returncode == 2  # not UTF-8: one-line error
    result = cli("discover", str(path), "--encoding", "gb18030", "-q")
    assert result.returncode == 0 and "宝玉" in result.stdout


@pytest.mark.parametrize("content, code, message", [
    (b"", 0, "lexicon is empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", 2, "binary file"),
    (b"\xff\xfe\xfa bad", 2, "byte offset"),
])
def test_bad_input(cli, tmp_path, content, code, message):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    result = cli("discover", str(path), "-o", str(tmp_path / "out.tsv"))
    assert result.returncode == code and message in result.stderr
    assert "Traceback" not in result.stderr
    if code:
        assert len(result.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "out.tsv").exists()


def test_missing_file_is_one_line(cli, tmp_path):
    result = cli("discover", str(tmp_path / "missing.txt"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "no such file" in result.stderr


def test_ngrams_tsv_and_npz(cli, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("中国人民银行\n人民银行和中国银行\n", encoding="utf-8")
    result = cli("ngrams", str(corpus), "-n", "3", "--min-count", "2", "-q")
    rows = [r.split("\t") for r in result.stdout.splitlines()]
    assert rows[0][:3] == ["ngram", "length", "count"]
    assert ["银行", "2", "3"] in [r[:3] for r in rows]
    assert [int(r[2]) for r in rows[1:]] == sorted((int(r[2]) for r in rows[1:]), reverse=True)
    out = tmp_path / "s.npz"
    assert cli("ngrams", str(corpus), "-o", str(out), "--min-count", "1", "-q").returncode == 0
    from zhtext.ngrams import NgramStats
    assert NgramStats.load(out).count("银行") == 3


def test_module_entry_point_and_help(cli):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "zhtext", "discover", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "examples:" in result.stdout


def test_keyness_against_a_background_file(cli, tmp_path, bundled):
    """Planted domain words rank first against general text given as raw text (counted exactly);
    near the top against its discovered lexicon, which lacks the words its own discovery kept
    inside longer pieces (they count 0 there)."""
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:2000]
    domain = [f"鲲鹏芯{line}墨子号" if i % 40 == 0 else line for i, line in enumerate(lines[0::2])]
    corpus, general = tmp_path / "domain.txt", tmp_path / "general.txt"
    corpus.write_text("\n".join(domain) + "\n", encoding="utf-8")
    general.write_text("\n".join(lines[1::2]) + "\n", encoding="utf-8")
    assert cli("discover", str(general), "-o", str(tmp_path / "general.tsv"), "-q").returncode == 0
    for background, top in ((general, 5), (tmp_path / "general.tsv", 20)):
        result = cli("discover", str(corpus), "--rank", "keyness", "--background", str(background),
                     "--top", str(top), "-q")
        assert result.returncode == 0, result.stderr
        rows = [row.split("\t") for row in result.stdout.splitlines()]
        assert rows[0][-1] == "keyness" and all(float(row[-1]) > 0 for row in rows[1:])
        assert {"鲲鹏芯", "墨子号"} <= {row[0] for row in rows[1:]}, rows


@pytest.mark.parametrize("background, content, message", [
    ("none", None, "needs a background"),
    ("missing.txt", None, "no such file"),
    ("model.npz", b"PK\x03\x04 not a zip", "model.npz"),
    ("counts.txt", "宝玉 12\n黛玉 x\n".encode("utf-8"), "not a number"),
    ("binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
])
def test_bad_background_is_one_line(cli, tmp_path, novel_slice, background, content, message):
    corpus = tmp_path / "c.txt"
    corpus.write_text(novel_slice, encoding="utf-8")
    path = background if background == "none" else str(tmp_path / background)
    if content is not None:
        (tmp_path / background).write_bytes(content)
    result = cli("discover", str(corpus), "--rank", "keyness", "--background", path,
                 "-o", str(tmp_path / "out.tsv"))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.tsv").exists()


def test_background_none_leaves_keyness_out(cli, tmp_path, novel_slice):
    corpus = tmp_path / "c.txt"
    corpus.write_text(novel_slice, encoding="utf-8")
    rows = cli("discover", str(corpus), "--background", "none", "--top", "3", "-q").stdout.splitlines()
    assert rows[0].endswith("\tkeyness") and all(row.endswith("\tnan") for row in rows[1:])
