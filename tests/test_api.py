"""The library face: lazy top-level API, explicit corpus arguments, the shared segmenter
interface (cut, tokenize), pickling, and the spaCy / scikit-learn integrations."""

from __future__ import annotations

import doctest
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zhtext
from zhtext.errors import InputError
from zhtext.segment import Segmenter

REPO = Path(__file__).resolve().parent.parent
NOVEL = REPO / "corpora" / "hongloumeng.txt"


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter.fit(NOVEL)


def test_import_zhtext_loads_no_heavy_module():
    code = ("import sys, zhtext; zhtext.__version__; "
            "print(','.join(m for m in ('numba', 'torch', 'transformers', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_zhtext_help_imports_no_command_module():
    """``zhtext --help`` lists the commands from zhtext_cli.COMMANDS: no library kernel loaded."""
    code = ("import sys, contextlib, io\n"
            "from zhtext_cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
            "    main(['--help'])\n"
            "assert 'cluster-words' in out.getvalue()\n"
            "print(','.join(m for m in sys.modules if m.split('.')[0] in ('numba', 'torch') "
            "or m.startswith('zhtext_cli.') and m not in ('zhtext_cli.main', 'zhtext_cli.interrupts')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_every_command_module_is_listed():
    import pkgutil

    import zhtext_cli

    modules = {info.name for info in pkgutil.iter_modules(zhtext_cli.__path__)}
    registering = {name for name in modules
                   if hasattr(__import__(f"zhtext_cli.{name}", fromlist=["x"]), "register")}
    assert registering == {name.replace("-", "_") for name in zhtext_cli.COMMANDS}


def test_every_entry_point_resolves():
    for name in zhtext.__all__:
        assert getattr(zhtext, name) is not None, name
    assert zhtext.Segmenter is zhtext.segment.Segmenter and zhtext.NgramStats is zhtext.ngrams.NgramStats
    assert set(zhtext.__all__) <= set(dir(zhtext))
    with pytest.raises(AttributeError):
        zhtext.no_such_thing


def test_package_docstring_example_runs(monkeypatch):
    monkeypatch.chdir(REPO)
    result = doctest.testmod(zhtext, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0


def test_a_list_of_file_names_is_never_read_as_text(tmp_path):
    files = [str(NOVEL), str(NOVEL)]
    with pytest.raises(InputError, match="pathlib.Path"):
        Segmenter.fit(files)
    assert Segmenter.fit([Path(f) for f in files]).cut("宝玉") == ["宝玉"]
    assert Segmenter.fit(["宝玉笑道", "宝玉笑道"] * 3).cut("宝玉") == ["宝玉"]   # texts stay texts


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("宝玉笑道你们在这里 \n\t，2001年ab😀")), max_size=40))
def test_tokenize_gives_each_word_with_its_offsets(seg, text):
    tokens = seg.tokenize(text)
    assert [word for word, _, _ in tokens] == seg.cut(text)
    assert all(text[start:end] == word for word, start, end in tokens)
    covered = "".join(text[start:end] for _, start, end in tokens)
    assert covered == "".join(ch for ch in text if not ch.isspace())


def test_segmenter_pickles_and_is_shared_by_threads(seg):
    from concurrent.futures import ThreadPoolExecutor

    again = pickle.loads(pickle.dumps(seg))
    lines = NOVEL.read_text(encoding="utf-8").splitlines()[:200]
    assert [again.cut(line) for line in lines] == [seg.cut(line) for line in lines]
    assert "_keys" not in seg.__getstate__()
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(seg.cut, lines)) == [seg.cut(line) for line in lines]


def test_scikit_learn_pipeline_with_the_segmenter_pickles(seg):
    sklearn = pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import Pipeline

    lines = [line for line in NOVEL.read_text(encoding="utf-8").splitlines()[:300] if line]
    pipeline = Pipeline([("words", CountVectorizer(tokenizer=seg.cut, lowercase=False, token_pattern=None))])
    counts = pipeline.fit_transform(lines)
    again = pickle.loads(pickle.dumps(pipeline))
    assert (again.transform(lines) != counts).nnz == 0
    assert "宝玉" in pipeline.named_steps["words"].vocabulary_ and sklearn


def test_spacy_tokenizer_round_trips_the_text(seg, tmp_path):
    spacy = pytest.importorskip("spacy")
    from zhtext.integrations.spacy import Tokenizer

    nlp = spacy.blank("zh")
    nlp.tokenizer = Tokenizer(nlp.vocab, seg)
    for text in ("宝玉笑道：“你们在这里做什么？”", "宝玉  笑道\n\n在 2001 年 ", " 开头有空格", ""):
        doc = nlp(text)
        assert doc.text == text
        assert [t.text for t in doc if not t.is_space] == [w for w in seg.cut(text)]
    nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.blank("zh")
    loaded.tokenizer = Tokenizer(loaded.vocab, Segmenter.fit(["一"]))
    loaded.from_disk(tmp_path / "pipeline")
    assert [t.text for t in loaded("宝玉笑道")] == ["宝玉", "笑道"]
    assert os.path.isfile(tmp_path / "pipeline" / "tokenizer" / "segmenter.npz")


def test_old_names_still_work_with_a_warning(cli, tmp_path):
    texts = ["宝玉笑道", "宝玉笑道"] * 5
    with pytest.warns(FutureWarning) as warned:
        old = Segmenter.fit(texts, method="nvbe", max_len=4)
    assert sorted(str(w.message) for w in warned) == ["max_len= is deprecated, use max_n=",
                                                      "method= is deprecated, use scorer="]
    assert old.info["scorer"] == "nvbe" and old.max_n == 4
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts) + "\n", encoding="utf-8")
    result = cli("fit", str(raw), "--max-len", "4", "--base", "none", "-o", str(tmp_path / "m.npz"), "-q")
    assert result.returncode == 0 and "--max-len is deprecated, use --max-n" in result.stderr
    assert Segmenter.load(tmp_path / "m.npz").max_n == 4


def test_one_device_rule_for_probe_and_pretraining():
    torch = pytest.importorskip("torch")
    from zhtext.backend import pick_device
    from zhtext.pretrain import PretrainConfig

    assert PretrainConfig(device="cuda:1").device == "cuda:1"      # accepted as the probe accepts it
    assert pick_device(torch, "cpu").type == "cpu"
    for bad in ("tpu", "cuda:x", ""):
        with pytest.raises(InputError, match="unknown device"):
            PretrainConfig(device=bad).check()
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="no CUDA"):
            pick_device(torch, "cuda:1")


def test_datasets_map_cuts_in_several_processes(seg):
    datasets = pytest.importorskip("datasets")
    lines = [line for line in NOVEL.read_text(encoding="utf-8").splitlines()[:400] if line.strip()]
    table = datasets.Dataset.from_dict({"sentence": lines})
    cut = table.map(seg.cut_batch, batched=True, num_proc=2, fn_kwargs={"column": "sentence"})
    assert cut["words"] == [seg.cut(line) for line in lines]
