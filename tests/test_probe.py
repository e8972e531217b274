"""Perturbed Masking probe on a tiny random BERT the tests build: batched = naive, alignment, CLI."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from zhtext.errors import InputError, ModelError  # noqa: E402
from zhtext.probe import BertSegmenter, Probe, align, expand, otsu_threshold  # noqa: E402
from zhtext.segment import Segmenter  # noqa: E402
from zhtext.vote import VoteSegmenter  # noqa: E402

CHARS = "我爱北京天安门中国人民大学生的了是在有和不这个一上们来到时"


def save_tiny_model(folder, vocabulary, **tokenizer_options):
    """A 2-layer randomly initialised BertForMaskedLM and its tokenizer, saved in HF format."""
    tokenizer = transformers.BertTokenizer(vocab={w: i for i, w in enumerate(vocabulary)},
                                           model_max_length=64, **tokenizer_options)
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocabulary), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=64)
    transformers.BertForMaskedLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: tiny models gain nothing from more, and a shared CPU makes them spin."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "，", "。", "！"]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny-bert"), SPECIALS + list(CHARS))


@pytest.fixture(scope="session")
def merging(tmp_path_factory):
    """WordPiece that merges characters: 北京 is one piece, abc is ab + ##c."""
    vocabulary = SPECIALS + list(CHARS) + ["北京", "##大", "##学", "##京", "ab", "##c"]
    return save_tiny_model(tmp_path_factory.mktemp("merging-bert"), vocabulary,
                           tokenize_chinese_chars=False)


@pytest.fixture(scope="session")
def probe(tiny):
    return Probe(tiny, device="cpu", batch_tokens=300)


SENTENCES = ["我爱北京天安门", "是不是", "我", "他们来了，我们也到了。", "中国人民大学"]


def test_batched_matrix_equals_naive(probe):
    matrices = probe.matrices(SENTENCES)
    for sentence, matrix in list(zip(SENTENCES, matrices))[:3]:
        naive = probe.matrix_naive(sentence)
        assert matrix.shape == naive.shape == (len(sentence), len(sentence))
        np.testing.assert_allclose(matrix, naive, rtol=1e-5, atol=1e-6)
    assert matrices[0][0, 1] > 0 and matrices[0][1, 0] > 0
    assert matrices[0][0, 1] != matrices[0][1, 0]


def test_bands_and_layers_equal_the_matrix(probe):
    matrices = probe.matrices(SENTENCES, layers=[0, 1, 2])
    bands = probe.bands(SENTENCES, layers=[1, -1])
    for matrix, band in zip(matrices, bands):
        expected = (np.diagonal(matrix, 1, -2, -1) + np.diagonal(matrix, -1, -2, -1)) / 2
        np.testing.assert_allclose(band, expected[[1, 2]], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(matrix[0], 0.0, atol=1e-6)   # embeddings ignore other positions


def test_cosine_distance(tiny):
    cosine = Probe(tiny, device="cpu", distance="cosine")
    matrix = cosine.matrices(["我爱北京"])[0]
    np.testing.assert_allclose(matrix, cosine.matrix_naive("我爱北京"), rtol=1e-5, atol=1e-6)
    assert np.all((matrix >= 0) & (matrix <= 2))


def test_sequence_counts(tiny):
    probe = Probe(tiny, device="cpu")
    n = 9
    probe.matrices(["我" * n])
    assert probe.sequences == n + n * (n - 1) // 2
    probe.sequences = 0
    probe.bands(["我" * n])
    assert probe.sequences == 2 * n - 1


def test_long_sentence_windows(tiny):
    probe = Probe(tiny, device="cpu", window=8)
    sentence = CHARS[:20]
    band = probe.bands([sentence])[0]
    assert band.shape == (19,) and np.all(band > 0)
    matrix = probe.matrices([sentence])[0]
    assert matrix[0, 19] == 0 and matrix[0, 1] > 0        # too far apart to share a window
    # a pair is computed inside one window: the same as probing that window's text alone
    near = Probe(tiny, device="cpu").matrices([sentence[:8]])[0]
    np.testing.assert_allclose(matrix[0, 1], near[0, 1], rtol=1e-5)


def test_pretokenized_words(probe):
    words = ["我", "爱", "北京", "天安门"]
    matrix = probe.matrices([words])[0]
    assert matrix.shape == (4, 4)
    np.testing.assert_allclose(matrix, probe.matrix_naive(words), rtol=1e-5, atol=1e-6)


def test_alignment_with_merging_wordpiece(merging):
    tokenizer = transformers.AutoTokenizer.from_pretrained(merging)
    chars = align(tokenizer, "北京大学 abc")
    assert chars.units == ["北", "京", "大", "学", "a", "b", "c"]
    assert chars.group_of.tolist() == [0, 0, 1, 2, 3, 3, 4]  # pieces 北京 ##大 ##学 ab ##c
    words = align(tokenizer, ["北京", "大学", "，", "abc"])
    assert words.group_of.tolist() == [0, 1, 2, 3]
    assert (words.piece_stop - words.piece_start).tolist() == [1, 2, 1, 2]  # 大学, abc: 2 pieces each


def test_merged_groups_expand_to_units(merging):
    probe = Probe(merging, device="cpu")
    matrix = probe.matrices(["北京大学 abc"])[0]
    assert matrix.shape == (7, 7)
    np.testing.assert_allclose(matrix, probe.matrix_naive("北京大学 abc"), rtol=1e-5, atol=1e-6)
    assert matrix[0, 1] == matrix.max()               # inseparable: as bound as anything
    band = probe.bands(["北京大学 abc"])[0]
    assert np.isinf(band[[0, 4]]).all() and np.isfinite(band[[1, 2, 3, 5]]).all()


def test_expand():
    groups = np.array([[0, 2.0], [3.0, 0]])
    units = expand(groups, np.array([0, 0, 1]))
    assert units.tolist() == [[0, 3, 2], [3, 0, 2], [3, 3, 0]]


def test_cpu_when_cuda_is_absent(tiny, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    probe = Probe(tiny, device="auto")
    assert probe.device.type == "cpu"
    assert next(probe.encoder.parameters()).dtype == torch.float32
    with pytest.raises(InputError, match="no CUDA"):
        Probe(tiny, device="cuda")


def test_missing_model_is_one_line_error(tmp_path):
    with pytest.raises(ModelError, match="zhtext pretrain") as info:
        Probe(str(tmp_path / "no-model"))
    assert "\n" not in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="zhtext pretrain"):
        Probe(str(tmp_path / "empty"))


def test_bad_layer_and_distance(tiny):
    with pytest.raises(InputError, match="layer 5"):
        Probe(tiny, device="cpu", layer=5)
    with pytest.raises(InputError, match="distance"):
        Probe(tiny, device="cpu", distance="manhattan")


def test_otsu_separates_two_modes():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 0.3, 500), rng.normal(5, 0.3, 300)])
    assert 1 < otsu_threshold(values) < 4


@pytest.mark.parametrize("text", ["我爱北京天安门，中国人民大学生。我是 学生abc123！", "", "  \t",
                                  "的", "https://example.com 我们来了！！"])
def test_segmenter_keeps_text_and_cuts_punctuation(probe, text):
    segmenter = BertSegmenter(probe=probe)
    words = segmenter.cut(text)
    assert "".join(segmenter.cut(text, keep_whitespace=True)) == text
    assert "".join(words) == "".join(text.split())
    for mark in "，。！":
        assert all(mark not in w or w == mark for w in words)


def test_segmenter_threshold_extremes(probe):
    never = BertSegmenter(probe=probe, threshold=0.0)
    always = BertSegmenter(probe=probe, threshold=np.inf)
    assert never.cut("我爱北京。我们") == ["我爱北京", "。", "我们"]
    assert always.cut("我爱北京。") == ["我", "爱", "北", "京", "。"]
    lines = ["我爱北京", "", "中国人民"]
    assert list(always.cut_lines(lines)) == [always.cut(line) for line in lines]


def test_segmenter_threshold_is_chosen_without_labels(probe):
    segmenter = BertSegmenter(probe=probe)
    segmenter.cut("我爱北京天安门中国人民大学")
    assert segmenter.threshold is not None and segmenter.threshold > 0


# -- the vote of the statistical segmenter and the masked LM --------------------------
VOTE_TEXTS = ["我爱北京天安门", "中国人民大学生", "我们来到北京了", "他们是大学生", "中国人民来了"] * 40


@pytest.fixture(scope="module")
def statistical():
    return Segmenter.fit(VOTE_TEXTS)


def test_vote_arithmetic(probe, statistical):
    vote = VoteSegmenter(statistical, BertSegmenter(probe=probe, threshold=np.e, spread=0.5))
    band = np.exp(np.array([1.0, 1.4, 1.6, 0.6, 0.4, np.nan]))   # z = 0, -0.8, -1.2, 0.8, 1.2, NaN
    cut = np.array([True, True, True, False, False, False])
    assert (vote.votes(cut, band) > 0).tolist() == [True, True, False, False, True, False]


@pytest.mark.parametrize("text", ["我爱北京天安门，中国人民大学生。我是 学生abc123！", "", "  \t", "的",
                                  "https://example.com 我们来了！！", "龍飛鳳舞😀ok"])
def test_vote_keeps_text(probe, statistical, text):
    vote = VoteSegmenter(statistical, BertSegmenter(probe=probe))
    assert "".join(vote.cut(text, keep_whitespace=True)) == text
    assert "".join(vote.cut(text)) == "".join(text.split())


def test_vote_extremes_follow_one_voter(probe, statistical):
    text = "我爱北京天安门。中国人民大学生"
    deaf = VoteSegmenter(statistical, BertSegmenter(probe=probe, threshold=1.0, spread=np.inf))
    assert deaf.cut(text) == statistical.cut(text)   # the LM's evidence is worth nothing
    loud = VoteSegmenter(statistical, BertSegmenter(probe=probe, threshold=np.inf, spread=1.0))
    assert loud.cut(text) == list("我爱北京天安门。中国人民大学生")
    with pytest.raises(InputError, match="spread"):
        VoteSegmenter(statistical, BertSegmenter(probe=probe, threshold=1.0))


def test_vote_calibrates_without_labels(probe, statistical):
    bert = BertSegmenter(probe=probe)
    lines = list(VoteSegmenter(statistical, bert).cut_lines(VOTE_TEXTS[:5]))
    assert len(lines) == 5 and bert.threshold > 0 and bert.spread > 0


# -- the command line -----------------------------------------------------------
CONLLU = """\
# sent_id = 1
# text = 我爱北京。
1\t我\t_\tPRON\t_\t_\t2\tnsubj\t_\t_
2\t爱\t_\tVERB\t_\t_\t0\troot\t_\t_
3\t北京\t_\tPROPN\t_\t_\t2\tobj\t_\t_
4\t。\t_\tPUNCT\t_\t_\t2\tpunct\t_\t_

"""


def test_cli_parses_conllu_over_gold_words(cli, tiny, tmp_path):
    from zhtext.conllu import read_conllu, score_dependencies
    gold = tmp_path / "gold.conllu"
    gold.write_text(CONLLU, encoding="utf-8")
    pred = tmp_path / "pred.conllu"
    result = cli("parse", str(gold), "--model", tiny, "--device", "cpu", "--threads", "1",
                 "--decoder", "cle", "-o", str(pred), "-q")
    assert result.returncode == 0, result.stderr
    (sentence,) = read_conllu(pred)
    assert sentence.forms == ["我", "爱", "北京", "。"] and sentence.heads.count(0) == 1
    assert "# sent_id = 1" in sentence.comments
    assert score_dependencies(gold, pred).tokens == 4


def test_cli_constituency_and_pictures(cli, tiny, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("我爱 北京\n\n中国 人民\n", encoding="utf-8")
    tree, heat = tmp_path / "tree.svg", tmp_path / "heat.svg"
    result = cli("parse", str(text), "--model", tiny, "--pretokenized", "--tree", "constituency",
                 "--threads", "1", "--sentence", "2", "--draw", str(tree), "--heatmap", str(heat))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["(我爱 北京)", "(中国 人民)"]
    assert "人民" in tree.read_text(encoding="utf-8")
    assert "人" in heat.read_text(encoding="utf-8") and "<svg" in heat.read_text(encoding="utf-8")


def test_cli_errors_are_one_line(cli, tiny, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("我爱北京\n", encoding="utf-8")
    missing = cli("parse", str(text), "--model", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "zhtext pretrain" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    wrong = cli("parse", str(text), "--model", tiny, "--tree", "constituency", "--format", "conllu")
    assert wrong.returncode == 2 and "brackets" in wrong.stderr


def test_cli_segments_with_bert_and_vote(cli, tiny, tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(VOTE_TEXTS) + "\n", encoding="utf-8")
    text = tmp_path / "in.txt"
    text.write_text("我爱北京天安门，中国人民大学生。\n\n我是 学生abc123！\n", encoding="utf-8")
    for method in ("bert", "vote"):
        out = tmp_path / f"{method}.txt"
        extra = ["--corpus", str(raw)] if method == "vote" else []
        result = cli("segment", str(text), "--method", method, "--bert", tiny, "--device", "cpu",
                     *extra, "-o", str(out), "-q")
        assert result.returncode == 0, result.stderr
        lines = out.read_text(encoding="utf-8").split("\n")
        assert [line.replace(" ", "") for line in lines] == ["我爱北京天安门，中国人民大学生。", "", "我是学生abc123！", ""]
        assert " ， " in lines[0] and "abc123" in lines[2].split()


def test_cli_segment_method_errors_are_one_line(cli, tiny, tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("我爱北京\n", encoding="utf-8")
    for args, message in ((["--method", "bert", "--model", "m.npz"], "--bert DIR"),
                          (["--bert", tiny], "--method bert or vote"),
                          (["--method", "vote", "--bert", tiny, "--jobs", "2"], "--jobs"),
                          (["--method", "bert", "--bert", str(tmp_path / "nothing")], "zhtext pretrain")):
        result = cli("segment", str(text), *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_heatmap_svg_keeps_text(tmp_path):
    pytest.importorskip("matplotlib")
    from zhtext.plots import draw_heatmap
    path = tmp_path / "heat.svg"
    draw_heatmap(np.arange(9.0).reshape(3, 3), ["我", "爱", "北京"], path)
    assert "北京" in path.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="svg or .png"):
        draw_heatmap(np.zeros((1, 1)), ["我"], tmp_path / "heat.pdf")


def test_masked_lm_output_does_not_depend_on_chunking(probe, monkeypatch):
    """θ comes from the first CALIBRATION_PAIRS pairs of the text, however its lines are chunked
    (batches of other sizes agree to float rounding, which can move Otsu's threshold by a bin)."""
    import zhtext.probe as zp

    monkeypatch.setattr(zp, "CALIBRATION_PAIRS", 400)
    big = BertSegmenter(probe=probe)
    in_big_chunks = list(big.cut_lines(VOTE_TEXTS))
    monkeypatch.setattr(zp, "CHUNK_CHARS", 30)
    small = BertSegmenter(probe=probe)
    in_small_chunks = list(small.cut_lines(VOTE_TEXTS))
    assert small.threshold == pytest.approx(big.threshold, rel=1e-2)
    assert in_small_chunks == in_big_chunks
    explicit = BertSegmenter(probe=probe).calibrate(VOTE_TEXTS)   # then each line alone cuts the same
    assert explicit.calibrated and [explicit.cut(text) for text in VOTE_TEXTS] == list(explicit.cut_lines(VOTE_TEXTS))
