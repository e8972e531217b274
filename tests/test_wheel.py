"""A real wheel: it carries the shipped models, and the commands work from it outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from this tree, installed (without its dependencies, taken from this
    Python) into a fresh virtual environment; returns ``(wheel, bin folder)``."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(work), str(REPO)], check=True, capture_output=True)
    wheel = next(work.glob("zhtext-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    return wheel, venv / "bin"


def test_the_wheel_carries_the_shipped_models(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "zhtext/models/zhtext-segmenter-base.npz" in names
    assert {"zhtext/models/zhtext-char-bert-small/model.safetensors",
            "zhtext/models/zhtext-char-bert-small/training_report.json"} <= names


def test_the_installed_commands_work_outside_the_checkout(installed, tmp_path):
    _, bin_folder = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ZHTEXT_MODEL", "ZHTEXT_BASE")}
    text = tmp_path / "in.txt"
    text.write_text((REPO / "corpora" / "hongloumeng.txt").read_text(encoding="utf-8")[:60_000], encoding="utf-8")

    def run(*args):
        done = subprocess.run([str(bin_folder / "zhtext"), *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return done.stdout

    code = ("import zhtext; from zhtext.pretrain import default_model_path; "
            "print(zhtext.__file__, zhtext.default_base_path(), default_model_path())")
    where = subprocess.run([str(bin_folder / "python"), "-c", code], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.split()
    assert all(str(bin_folder.parent) in path for path in where)    # the wheel's copies, not the checkout
    assert Path(where[1]).is_file() and (Path(where[2]) / "config.json").is_file()
    assert run("discover", str(text), "--top", "5").strip()
    segmented = run("segment", str(text), "-q")      # learns with the shipped base model
    assert "".join(segmented.split()) == "".join(text.read_text(encoding="utf-8").split())
    pytest.importorskip("torch")
    parsed = subprocess.run([str(bin_folder / "zhtext"), "parse", "-", "--tree", "constituency",
                             "--format", "brackets", "-q"], input="宝玉笑道。\n", cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert parsed.returncode == 0 and parsed.stdout.startswith("("), parsed.stderr
