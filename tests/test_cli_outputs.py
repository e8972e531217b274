"""The output discipline of every command: checked first, atomic, umask modes, devices kept."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, run_cli

SAMPLE = REPO / "corpora" / "gsdsimp_dev_sample.txt"


def text_file(folder: Path) -> Path:
    path = folder / "in.txt"
    lines = (REPO / "corpora" / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:200]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def edges_file(folder: Path) -> Path:
    path = folder / "edges.tsv"
    path.write_text("宝玉 黛玉 3\n黛玉 宝钗 1\n宝钗 宝玉 2\n袭人 晴雯 4\n", encoding="utf-8")
    return path


# command -> how to build its argv from (input, output)
WRITERS = {
    "ngrams": lambda i, o: ["ngrams", i, "-o", o],
    "discover": lambda i, o: ["discover", i, "-o", o],
    "segment": lambda i, o: ["segment", i, "-o", o],
    "segment --save": lambda i, o: ["segment", i, "--save", o, "-o", "-"],
    "fit": lambda i, o: ["fit", i, "-o", o],
    "graph": lambda i, o: ["graph", i, "-o", o],
    "cluster-words": lambda i, o: ["cluster-words", i, "-o", o, "--kind", "cooc"],
    "communities": lambda i, o: ["communities", i, "-o", o],
    "parse": lambda i, o: ["parse", i, "-o", o],
    "pretrain": lambda i, o: ["pretrain", i, "-o", o, "--max-steps", "1"],
    "report": lambda i, o: ["report", i, "-o", o, "--no-parse", "--no-clusters"],
}


def one_error_line(result, command: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"zhtext {command.split()[0]}: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_output_equal_to_an_input_is_refused(command, tmp_path):
    source = edges_file(tmp_path) if command == "communities" else text_file(tmp_path)
    before = source.read_bytes()
    for target in (source, tmp_path / "." / source.name):
        result = run_cli(*WRITERS[command](str(source), str(target)))
        assert "is also an input" in one_error_line(result, command)
        assert source.read_bytes() == before
    link = tmp_path / "link.txt"   # another name for the same file
    link.symlink_to(source)
    assert "is also an input" in one_error_line(run_cli(*WRITERS[command](str(source), str(link))), command)
    assert source.read_bytes() == before


@pytest.mark.parametrize("option", ["--segmenter", "--dmv"])
def test_parse_output_equal_to_a_model_it_reads_is_refused(option, tmp_path):
    name = "zhtext-segmenter-base.npz" if option == "--segmenter" else "zhtext-dmv.npz"
    model = tmp_path / name
    shutil.copy(REPO / "models" / name, model)
    before = model.read_bytes()
    result = run_cli("parse", str(text_file(tmp_path)), option, str(model), "-o", str(model))
    assert "is also an input" in one_error_line(result, "parse")
    assert model.read_bytes() == before


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_missing_folder_is_refused_before_the_work(command, tmp_path):
    source = edges_file(tmp_path) if command == "communities" else text_file(tmp_path)
    result = run_cli(*WRITERS[command](str(source), str(tmp_path / "no" / "such" / "out")), "-q")
    assert "no such folder" in one_error_line(result, command)


def test_two_outputs_in_one_file_are_refused(tmp_path):
    source = text_file(tmp_path)
    result = run_cli("segment", str(source), "-o", str(tmp_path / "x"), "--save", str(tmp_path / "x"))
    assert "two outputs" in one_error_line(result, "segment")
    assert not (tmp_path / "x").exists()


def test_dev_null_stays_a_device(tmp_path):
    source = text_file(tmp_path)
    for argv in (["ngrams", str(source)], ["ngrams", str(source), "--min-count", "2"], ["fit", str(source)],
                 ["segment", str(source)]):
        result = run_cli(*argv, "-o", "/dev/null", "-q")
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_character_device_target_stays_a_device(tmp_path):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    source = text_file(tmp_path)
    for command in ("discover", "ngrams", "segment", "fit"):
        result = run_cli(command, str(source), "-o", str(device), "-q")
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(device.stat().st_mode), command
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "null"]


def test_fifo_target_gets_the_output(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run_cli("segment", str(SAMPLE), "-o", str(fifo), "-q")
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    expected = run_cli("segment", str(SAMPLE), "-q").stdout
    assert received and received[0].decode("utf-8") == expected


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_umask_mode(umask, mode, tmp_path):
    source = text_file(tmp_path)
    exe = Path(sys.executable).with_name("zhtext")
    for command, name in (("discover", "lexicon.tsv"), ("fit", "model.npz"), ("ngrams", "stats.npz")):
        subprocess.run([str(exe), command, str(source), "-o", str(tmp_path / name), "-q"], check=True,
                       preexec_fn=lambda: os.umask(umask))
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, command


def test_segment_learns_from_standard_input(tmp_path):
    source = text_file(tmp_path)
    from_file = run_cli("segment", str(source), "-q")
    from_stdin = run_cli("segment", "-", "-q", input=source.read_text(encoding="utf-8"))
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout and from_file.stdout.count("\n") == 200


@pytest.mark.parametrize("command", ["graph", "cluster-words"])
def test_graph_commands_read_standard_input(command, tmp_path):
    source = text_file(tmp_path)
    args = [command, "-o", "-", "--kind", "cooc", "--min-count", "2", "-q"]
    from_file = run_cli(args[0], str(source), *args[1:])
    from_stdin = run_cli(args[0], "-", *args[1:], input=source.read_text(encoding="utf-8"))
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout and from_file.stdout


def test_standard_input_named_twice_is_refused():
    result = run_cli("segment", "-", "-", input="我们\n")
    assert "only once" in one_error_line(result, "segment")


def test_hub_name_fails_at_once_offline(tmp_path):
    start = time.monotonic()
    result = run_cli("parse", "-", "--model", "zh-small", input="我们在北京。\n")
    assert time.monotonic() - start < 20   # no download retries
    assert "ZHTEXT_ALLOW_DOWNLOAD" in one_error_line(result, "parse")


def test_damaged_weights_are_named(tmp_path):
    model = tmp_path / "lm"
    shutil.copytree(REPO / "models" / "zhtext-char-bert-small", model)
    data = bytearray((model / "model.safetensors").read_bytes())
    data[len(data) // 2] ^= 0xFF   # one flipped byte inside a weight: safetensors itself cannot tell
    (model / "model.safetensors").write_bytes(bytes(data))
    result = run_cli("parse", "-", "--model", str(model), input="我们在北京。\n")
    assert "damaged" in one_error_line(result, "parse") and "model.safetensors" in result.stderr


def test_damaged_segmenter_model_is_named(tmp_path):
    source = text_file(tmp_path)
    model = tmp_path / "m.npz"
    assert run_cli("fit", str(source), "-o", str(model), "-q").returncode == 0
    data = bytearray(model.read_bytes())
    for at in range(len(data) // 3, len(data) // 3 + 32):   # inside the compressed arrays
        data[at] ^= 0x5A
    model.write_bytes(bytes(data))
    result = run_cli("segment", str(source), "--model", str(model))
    assert str(model) in one_error_line(result, "segment")


@pytest.mark.slow
def test_first_run_says_it_compiles(tmp_path):
    source = text_file(tmp_path)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    exe = Path(sys.executable).with_name("zhtext")
    runs = [subprocess.run([str(exe), "ngrams", str(source), "-o", str(tmp_path / "s.tsv")], env=env,
                           capture_output=True, text=True) for _ in range(2)]
    assert runs[0].stderr.count("compiling") == 1, runs[0].stderr
    assert "compiling" not in runs[1].stderr
