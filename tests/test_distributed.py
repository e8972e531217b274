"""engine="dask": exactly the single-machine statistics, whatever the blocks; bad input and faults.

One two-process LocalCluster serves the whole module.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from zhtext.corpus import Corpus  # noqa: E402
from zhtext.distributed import connect, plan_blocks, read_block  # noqa: E402
from zhtext.errors import ClusterError, InputError  # noqa: E402
from zhtext.ngrams import NgramStats  # noqa: E402

ARRAYS = ("keys", "lengths", "counts", "cohesions", "left_entropies", "right_entropies")


@pytest.fixture(scope="module")
def client():
    with connect(workers=2, memory_limit="1GiB") as client:
        yield client


def assert_same(local: NgramStats, remote: NgramStats) -> None:
    assert (local.total, local.vocab.chars) == (remote.total, remote.vocab.chars)
    assert np.array_equal(local.vocab.counts, remote.vocab.counts)
    for name in ARRAYS:
        a, b = getattr(local, name), getattr(remote, name)
        assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), name


LINE = st.text(alphabet="中国人民银行和的了是在，。 ab1２\r😀", max_size=30)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LINE, max_size=25), final_newline=st.booleans(),
       encoding=st.sampled_from(["utf-8", "gb18030"]), blocksize=st.integers(1, 200),
       max_n=st.integers(1, 4), min_count=st.integers(1, 3), entropy=st.booleans())
def test_equals_one_machine(client, lines, final_newline, encoding, blocksize, max_n, min_count, entropy):
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_bytes(text.encode(encoding))
        corpus = Corpus.from_files([path], encoding=encoding)
        local = NgramStats.fit(corpus, max_n=max_n, min_count=min_count, entropy=entropy)
        remote = NgramStats.fit(corpus, max_n=max_n, min_count=min_count, entropy=entropy,
                                engine="dask", client=client, blocksize=blocksize)
    assert_same(local, remote)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"\n")), blocksize=st.integers(1, 64))
def test_every_line_lands_in_exactly_one_block(data, blocksize):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bytes.txt"
        data = b"text " + data.replace(b"\x00", b"0")      # not binary, not compressed
        path.write_bytes(data)
        blocks = plan_blocks([path], blocksize, "latin-1")
        texts = [read_block(block)[0] for block in blocks]
    assert "".join(texts) == data.decode("latin-1")
    filled = [text for text in texts if text]
    assert all(text.endswith("\n") for text in filled[:-1])      # cut at newlines only


def test_ngram_seen_once_in_each_of_min_count_blocks_is_kept(client, tmp_path):
    path = tmp_path / "spread.txt"
    filler = "\n".join("的了是在" for _ in range(50))
    path.write_text(f"甲乙丙\n{filler}\n甲乙丙\n{filler}\n甲乙丙\n", encoding="utf-8")
    stats = NgramStats.fit(path, max_n=3, min_count=3, engine="dask", client=client, blocksize=64)
    assert len(plan_blocks([path], 64)) > 10
    assert stats.count("甲乙丙") == 3 and stats.count("乙丙") == 3


def test_without_block_states_the_result_is_the_same(client, tmp_path, bundled, monkeypatch):
    import zhtext.distributed

    text = (bundled / "hongloumeng.txt").read_bytes()
    path = tmp_path / "novel.txt"
    path.write_bytes(text[: text.index(b"\n", 200_000) + 1])
    with_states = NgramStats.fit(path, max_n=4, min_count=2, engine="dask", client=client, blocksize=30_000)
    monkeypatch.setattr(zhtext.distributed, "STATE_SHARE", 0.0)      # as if memory were short
    without = NgramStats.fit(path, max_n=4, min_count=2, engine="dask", client=client, blocksize=30_000)
    assert_same(with_states, without)
    assert_same(NgramStats.fit(path, max_n=4, min_count=2), without)
    from zhtext.discover import WordDiscoverer

    stateless = WordDiscoverer().fit(path, engine="dask", client=client, blocksize=30_000).lexicon_
    monkeypatch.setattr(zhtext.distributed, "STATE_SHARE", 1.0)
    kept = WordDiscoverer().fit(path, engine="dask", client=client, blocksize=30_000).lexicon_
    assert stateless.words == kept.words == WordDiscoverer().fit(path).lexicon_.words
    assert np.array_equal(stateless.score, kept.score) and np.array_equal(stateless.counts, kept.counts)


def test_traditional_folding_and_mixed_files(client, tmp_path, bundled):
    from zhtext.script import fold_table

    big = tmp_path / "novel.txt"
    text = (bundled / "hongloumeng.txt").read_bytes()
    big.write_bytes(text[: text.index(b"\n", 300_000) + 1])
    small = tmp_path / "traditional.txt"
    small.write_text("寶玉說道：「問題不大。」\n宝玉说道问题\n", encoding="utf-8")
    sources = [big, small]
    local = NgramStats.fit(Corpus.from_files(sources), max_n=3, min_count=2, fold=fold_table())
    remote = NgramStats.fit(sources, max_n=3, min_count=2, fold=fold_table(), engine="dask",
                            client=client, blocksize=20_000)
    assert_same(local, remote)


def test_cli_output_is_byte_identical(cli, client, tmp_path, bundled):
    source = str(bundled / "hongloumeng.txt")
    local, remote = tmp_path / "local.npz", tmp_path / "remote.npz"
    cli("ngrams", source, "-n", "3", "--min-count", "3", "-o", str(local), check=True)
    result = cli("ngrams", source, "-n", "3", "--min-count", "3", "-o", str(remote), "--engine", "dask",
                 "--scheduler", client.scheduler.address, "--blocksize", "300kB", check=True)
    assert "Dask: 2 workers" in result.stderr
    assert local.read_bytes() == remote.read_bytes()
    tsv = cli("ngrams", source, "-n", "2", "--min-count", "50", check=True).stdout
    assert tsv == cli("ngrams", source, "-n", "2", "--min-count", "50", "--engine", "dask",
                      "--scheduler", client.scheduler.address, "--blocksize", "100kB", check=True).stdout


def test_decode_error_names_file_line_and_offset(client, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("第一行\n".encode() * 400 + b"\xff\xfe bad\n" + "最后\n".encode())
    with pytest.raises(InputError) as one_machine:
        NgramStats.fit(path)
    with pytest.raises(InputError) as on_cluster:
        NgramStats.fit(path, engine="dask", client=client, blocksize=500)
    assert str(on_cluster.value) == str(one_machine.value)
    assert "line 401, byte offset 4000" in str(on_cluster.value)


def test_bom_is_dropped_and_offsets_count_it(client, tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "中国人民\n".encode() * 3 + b"\xff\n")
    with pytest.raises(InputError) as one_machine:
        NgramStats.fit(path)
    with pytest.raises(InputError) as on_cluster:
        NgramStats.fit(path, engine="dask", client=client, blocksize=8)
    assert str(on_cluster.value) == str(one_machine.value)
    assert "line 4, byte offset 42" in str(on_cluster.value)
    path.write_bytes(b"\xef\xbb\xbf" + "中国人民\n".encode() * 3)
    assert NgramStats.fit(path, min_count=1, engine="dask", client=client).vocab.chars == "中人国民"   # no BOM


def test_bad_sources_are_one_line_errors(client, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        NgramStats.fit([tmp_path / "missing.txt"], engine="dask", client=client)
    with pytest.raises(InputError, match="reads files"):
        NgramStats.fit(Corpus.from_texts(["中国"]), engine="dask", client=client)
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\x00\x01" * 100)
    with pytest.raises(InputError, match="binary file"):
        NgramStats.fit(binary, engine="dask", client=client)
    with pytest.raises(InputError, match="engine must be"):
        NgramStats.fit(binary, engine="spark")


def test_unreachable_scheduler_is_one_line():
    with pytest.raises(ClusterError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        with connect("tcp://127.0.0.1:9", timeout="1s"):
            pass


def test_missing_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"pip install 'zhtext\[dask\]'"):
        NgramStats.fit(["x.txt"], engine="dask")


def test_cli_errors(cli, tmp_path, bundled):
    source = str(bundled / "hongloumeng.txt")
    for args, message in ((["--workers", "2"], "--workers needs --engine dask"),
                          (["--engine", "dask", "--blocksize", "lots"], "give a size"),
                          (["--engine", "dask", "--memory-limit", "x"], "give a size"),
                          (["--engine", "dask", "--scheduler-file", str(tmp_path / "none.json")],
                           "no such scheduler file")):
        out = tmp_path / "out.tsv"
        result = cli("ngrams", source, "-o", str(out), *args)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


WORDS = ["中国", "人民", "银行", "的", "了", "研究生", "命", "iPhone15", "２０", "，", " ", "問題", "问题"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map("".join), max_size=40),
       blocksize=st.integers(1, 300), mixed=st.booleans())
def test_discovery_equals_one_machine(client, lines, blocksize, mixed):
    from zhtext.discover import WordDiscoverer

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        local = WordDiscoverer(min_count=2, mixed=mixed).fit(path)
        remote = WordDiscoverer(min_count=2, mixed=mixed).fit(path, engine="dask", client=client,
                                                            blocksize=blocksize)
    assert_same(local.stats_, remote.stats_)
    assert local.lexicon_.words == remote.lexicon_.words
    for column in ("counts", "cohesion", "left_entropy", "right_entropy", "score"):
        assert np.array_equal(getattr(local.lexicon_, column), getattr(remote.lexicon_, column),
                              equal_nan=True), column


def test_cli_discover_is_byte_identical(cli, client, tmp_path, bundled):
    source = tmp_path / "novel.txt"
    text = (bundled / "hongloumeng.txt").read_bytes()
    source.write_bytes(text[: text.index(b"\n", 600_000) + 1])
    outputs = []
    for engine in (["--engine", "local"], ["--engine", "dask", "--scheduler", client.scheduler.address,
                                           "--blocksize", "50kB"]):
        for options in ([], ["--new-only", "--format", "jieba"], ["--background", "none", "--rank", "score"]):
            out = tmp_path / f"{len(outputs)}.txt"
            cli("discover", str(source), "-o", str(out), *options, *engine, check=True)
            outputs.append(out.read_bytes())
    assert outputs[:3] == outputs[3:] and all(outputs)


def test_a_worker_killed_mid_job_gives_the_exact_result_or_one_line(client, tmp_path, bundled):
    import os
    import signal

    text = (bundled / "hongloumeng.txt").read_bytes()
    path = tmp_path / "novel.txt"
    path.write_bytes(text[: text.index(b"\n", 400_000) + 1])
    local = NgramStats.fit(path, max_n=3, min_count=2)
    victim = sorted(client.run(os.getpid).values())[0]     # a worker process of this machine
    killed = []

    def kill_at_level_three(name: str) -> None:
        if name == "counting 3-grams" and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    try:
        remote = NgramStats.fit(path, max_n=3, min_count=2, engine="dask", client=client,
                                blocksize=20_000, on_stage=kill_at_level_three)
    except ClusterError as err:
        assert "\n" not in str(err)
    else:
        assert_same(local, remote)
    assert killed
    client.wait_for_workers(2, timeout=60)


SEGMENTER_ARRAYS = ("rows", "log_probs", "autonomy", "counts")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map("".join), max_size=40),
       blocksize=st.integers(1, 300), scorer=st.sampled_from(["joint", "nvbe"]))
def test_segmenter_equals_one_machine(client, lines, blocksize, scorer):
    from zhtext.segment import Segmenter

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        try:
            local = Segmenter.fit(path, scorer=scorer)
        except InputError as err:       # no Han text: the same error on the cluster
            with pytest.raises(InputError, match=re.escape(str(err))):
                Segmenter.fit(path, scorer=scorer, engine="dask", client=client, blocksize=blocksize)
            return
        remote = Segmenter.fit(path, scorer=scorer, engine="dask", client=client, blocksize=blocksize)
    for name in SEGMENTER_ARRAYS:
        assert np.array_equal(getattr(local, name), getattr(remote, name)), name
    assert local.info == remote.info


def test_cli_fit_is_byte_identical_with_the_base(cli, client, tmp_path, bundled):
    source = tmp_path / "novel.txt"
    text = (bundled / "hongloumeng.txt").read_bytes()
    source.write_bytes(text[: text.index(b"\n", 400_000) + 1])
    local, remote = tmp_path / "local.npz", tmp_path / "remote.npz"
    cli("fit", str(source), "-o", str(local), check=True)
    cli("fit", str(source), "-o", str(remote), "--engine", "dask", "--scheduler", client.scheduler.address,
        "--blocksize", "40kB", check=True)
    assert local.read_bytes() == remote.read_bytes()


def test_replaced_bytes_are_counted_on_both_engines(cli, client, tmp_path):
    source = tmp_path / "damaged.txt"
    source.write_bytes(("中国人民银行\n" * 50).encode() + b"\xff\xfe bad\n" + ("人民银行\n" * 50).encode()
                       + b"\xc3 bad\n")
    for command in ("ngrams", "discover", "fit"):
        said = []
        for engine in ([], ["--engine", "dask", "--scheduler", client.scheduler.address, "--blocksize", "300"]):
            out = tmp_path / f"{command}{len(said)}.{'npz' if command == 'fit' else 'tsv'}"
            result = cli(command, str(source), "--errors", "replace", "-o", str(out), *engine, check=True)
            said.append([line for line in result.stderr.splitlines() if "replaced by U+FFFD" in line])
        assert said[0] == said[1] == [f"zhtext {command}: warning: 3 undecodable byte sequences were "
                                      "replaced by U+FFFD"], (command, said)
