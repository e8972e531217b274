"""zhtext.pretrain and `zhtext pretrain`: vocabulary, tokenizer, training, resume, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zhtext.errors import InputError, ModelError
from zhtext.pretrain import (CHECKPOINT, DEFAULT_MODEL_NAME, MODEL_ENV, REPORT, SPECIAL_TOKENS,
                             PretrainConfig, build_vocabulary, default_model_path, make_tokenizer,
                             mask_tokens, masked_accuracy, pack, pretrain)

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "models" / DEFAULT_MODEL_NAME
TINY = dict(layers=2, hidden=32, heads=2, intermediate=64, seq_len=32, batch_size=8,
            max_steps=12, warmup_steps=2, checkpoint_every=5, log_every=1, threads=1)
TINY_FLAGS = ["--layers", "2", "--hidden", "32", "--heads", "2", "--intermediate", "64",
              "--seq-len", "32", "--batch-size", "8", "--threads", "1"]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory, bundled) -> Path:
    """The first 1,500 lines of 红楼梦, with a few Latin and digit words mixed in."""
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:1500]
    lines[10:10] = ["他用iPhone拍了2024张照片。"] * 3
    path = tmp_path_factory.mktemp("text") / "small.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, text_file) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("model") / "tiny"
    return folder, pretrain(text_file, folder, PretrainConfig(**TINY))


def test_vocabulary_is_characters_by_frequency():
    vocab = build_vocabulary(["的的的了了我", "ABab 的"], max_vocab=100, min_count=1)
    assert vocab[:5] == list(SPECIAL_TOKENS)
    assert vocab[5:8] == ["的", "##b", "了"]  # lower-cased; ## inside Latin words; ties by token
    assert set(vocab[8:]) == {"我", "a", "##a"}
    assert build_vocabulary(["的的的了了我"], max_vocab=100, min_count=2)[5:] == ["的", "了"]
    assert build_vocabulary(["的的的了了我"], max_vocab=1, min_count=1)[5:] == ["的"]


def test_tokenizer_is_character_level():
    vocab = build_vocabulary(["他用iPhone拍了2024张照片，真好。"], min_count=1)
    tokenizer = make_tokenizer(vocab, seq_len=32)
    sentence = "他拍了照片，真好。"
    assert tokenizer.tokenize(sentence) == list(sentence)
    assert tokenizer.tokenize("iPhone 2024") == ["i", "##p", "##h", "##o", "##n", "##e",
                                                 "2", "##0", "##2", "##4"]
    assert tokenizer.tokenize("他说") == ["他", "[UNK]"]
    ids = tokenizer(sentence)["input_ids"]
    assert ids[0] == SPECIAL_TOKENS.index("[CLS]") and ids[-1] == SPECIAL_TOKENS.index("[SEP]")


def test_pack_and_masking():
    rows = pack(np.arange(5, 15, dtype=np.uint16), seq_len=4)
    assert rows.tolist() == [[2, 5, 6, 7], [2, 8, 9, 10], [2, 11, 12, 13], [2, 14, 0, 0]]
    ids = torch.from_numpy(rows.astype(np.int64))
    inputs, labels = mask_tokens(ids, torch.Generator().manual_seed(0), mask_prob=0.5)
    chosen = labels != -100
    assert chosen.any() and (inputs[chosen] == SPECIAL_TOKENS.index("[MASK]")).all()
    assert (labels[chosen] == ids[chosen]).all() and not chosen[:, 0].any() and not chosen[3, 2:].any()
    _, labels = mask_tokens(ids[3:], torch.Generator().manual_seed(0), mask_prob=1e-9)
    assert labels.tolist() == [[-100, 14, -100, -100]]  # never a batch with nothing to score


def test_saved_model_loads_with_auto_classes(tiny_model):
    folder, report = tiny_model
    assert {"config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", REPORT,
            CHECKPOINT} <= {p.name for p in folder.iterdir()}
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForMaskedLM.from_pretrained(folder)
    sentence = "宝玉笑道"
    batch = tokenizer(sentence, return_tensors="pt")
    assert tokenizer.convert_ids_to_tokens(batch["input_ids"][0][1:-1]) == list(sentence)
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (1, len(sentence) + 2, len(tokenizer))
    assert model.config.model_type == "roformer"  # the default architecture
    saved = json.loads((folder / REPORT).read_text(encoding="utf-8"))
    assert saved["steps"] == report["steps"] == TINY["max_steps"]
    assert 0 <= saved["heldout"]["masked_accuracy"] <= 1 and saved["heldout"]["masked_characters"] > 0


def test_plain_bert_architecture(tmp_path, text_file):
    folder = tmp_path / "bert"
    pretrain(text_file, folder, PretrainConfig(**{**TINY, "max_steps": 2, "architecture": "bert"}))
    model = transformers.AutoModelForMaskedLM.from_pretrained(folder)
    assert type(model).__name__ == "BertForMaskedLM"
    assert 0 <= masked_accuracy(folder, text_file, max_sequences=4)["masked_accuracy"] <= 1
    with pytest.raises(InputError, match="architecture"):
        PretrainConfig(architecture="gpt").check()


def test_masked_accuracy_of_a_saved_model(tmp_path, tiny_model, text_file):
    scores = masked_accuracy(tiny_model[0], text_file, max_sequences=10)
    assert scores["sequences"] == 10 and 0 <= scores["masked_accuracy"] <= 1
    assert scores["masked_characters"] > 0
    with pytest.raises(ModelError, match="cannot load"):
        masked_accuracy(tmp_path, ["文本"])


def test_resume_continues_exactly(tmp_path, text_file, tiny_model):
    """Ctrl-C after step 7, then --resume: the same weights as the uninterrupted run."""
    def interrupt(done, total, stage, **info):
        if stage == "train" and done == 7:
            raise KeyboardInterrupt

    folder = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        pretrain(text_file, folder, PretrainConfig(**TINY), progress=interrupt)
    assert torch.load(folder / CHECKPOINT, weights_only=True)["step"] == 7
    steps = []
    pretrain(text_file, folder, PretrainConfig(**TINY), resume=True,
             progress=lambda done, total, stage, **info: stage == "train" and steps.append(done))
    assert steps[0] == 8 and steps[-1] == TINY["max_steps"]
    load = transformers.AutoModelForMaskedLM.from_pretrained
    expected, got = load(tiny_model[0]).state_dict(), load(folder).state_dict()
    assert all(torch.equal(expected[name], got[name]) for name in expected)


def test_errors_are_one_line(tmp_path, text_file, tiny_model):
    config = PretrainConfig(**TINY)
    cases = [
        (["", "  ", "\n"], tmp_path / "a", {}, "no text"),
        (["短短"], tmp_path / "b", {}, "too small"),
        (["一二三"], tmp_path / "b", {}, "occurs at least 2 times"),
        (text_file, tmp_path / "missing" / "m", {}, "no such folder"),
        (text_file, tiny_model[0], {}, "already exists"),
        (text_file, tmp_path / "c", {"resume": True}, "no checkpoint.pt"),
        ((line for line in ["生成器"]), tmp_path / "d", {}, "not a generator"),
        (["不是同一个语料。"] * 200, tiny_model[0], {"resume": True}, "corpus differs"),
    ]
    for corpus, output, options, message in cases:
        with pytest.raises(InputError, match=message) as caught:
            pretrain(corpus, output, config, **options)
        assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match="multiple of heads"):
        pretrain(text_file, tmp_path / "e", PretrainConfig(**{**TINY, "heads": 3}))


def test_default_model_path(tmp_path, monkeypatch, tiny_model):
    monkeypatch.setenv(MODEL_ENV, str(tiny_model[0]))
    assert default_model_path() == tiny_model[0]
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    with pytest.raises(ModelError, match=MODEL_ENV):
        default_model_path()


@pytest.mark.skipif(not SHIPPED.is_dir(), reason="no shipped model")
def test_shipped_model(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert default_model_path() == SHIPPED
    assert sum(p.stat().st_size for p in SHIPPED.iterdir()) <= 20_000_000
    assert not (SHIPPED / CHECKPOINT).exists()
    tokenizer = transformers.AutoTokenizer.from_pretrained(SHIPPED)
    sentence = "中国人民银行昨天宣布，今年经济增长百分之八。"
    assert tokenizer.tokenize(sentence) == list(sentence)
    report = json.loads((SHIPPED / REPORT).read_text(encoding="utf-8"))
    held = report["heldout"]
    assert held["masked_accuracy"] > 3 * held["unigram_baseline_accuracy"]


def test_cli_end_to_end(cli, tmp_path, text_file):
    folder = tmp_path / "cli-model"
    done = cli("pretrain", str(text_file), "-o", str(folder), "--max-steps", "4",
               "--log-every", "2", *TINY_FLAGS)
    assert done.returncode == 0, done.stderr
    assert "step 4/4" in done.stderr and "held-out masked-character accuracy" in done.stderr
    assert (folder / "model.safetensors").is_file()
    again = cli("pretrain", str(text_file), "-o", str(folder), *TINY_FLAGS)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"zhtext pretrain: error: {folder} already exists: pass --overwrite to replace it, "
        f"or --resume to continue its training"]
    replaced = cli("pretrain", str(text_file), "-o", str(folder), "--overwrite", "--max-steps", "2",
                   "-q", *TINY_FLAGS)
    assert replaced.returncode == 0 and replaced.stderr == ""
    assert json.loads((folder / REPORT).read_text(encoding="utf-8"))["steps"] == 2


def test_cli_checkpoints_on_sigterm(tmp_path, text_file):
    """A killed run (SIGTERM: schedulers, `kill`) leaves a checkpoint that --resume continues."""
    import signal
    import subprocess
    import sys

    folder = tmp_path / "killed"
    command = [sys.executable, "-m", "zhtext", "pretrain", str(text_file), "-o", str(folder),
               "--max-steps", "100000", "--log-every", "1", "--checkpoint-every", "100000", *TINY_FLAGS]
    run = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    for line in run.stderr:
        if line.startswith("step 3/"):
            run.send_signal(signal.SIGTERM)
            break
    rest = run.communicate(timeout=120)[1]
    assert run.returncode == 143 and "interrupted" in rest   # 128 + SIGTERM
    state = torch.load(folder / CHECKPOINT, map_location="cpu", weights_only=True)
    assert state["step"] >= 3
