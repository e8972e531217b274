"""The unsupervised segmenter: round trip, planted lexicon, model files, CLI end to end."""

from __future__ import annotations

import itertools
import math
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtext import segment as zs
from zhtext.errors import InputError, ModelError
from zhtext.evaluate import score
from zhtext.segment import Segmenter

CHARS = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴"


def planted_corpus(seed: int, sentences: int) -> tuple[list[str], list[list[str]]]:
    """Sentences drawn from a lexicon of 60 words of 2-3 distinct characters (Zipf-ish frequencies)."""
    pool = list(CHARS)
    random.Random(0).shuffle(pool)
    rng = random.Random(seed)
    lexicon, at = [], 0
    for k in range(60):
        size = 2 + k % 2
        lexicon.append("".join(pool[at: at + size]))
        at += size
    weights = [1 / (r + 1) ** 0.7 for r in range(len(lexicon))]
    gold = [rng.choices(lexicon, weights, k=rng.randint(3, 12)) for _ in range(sentences)]
    return ["".join(words) for words in gold], gold


@pytest.fixture(scope="module")
def model() -> Segmenter:
    texts, _ = planted_corpus(0, 3000)
    return Segmenter.fit(texts)


def test_planted_lexicon_is_recovered(model):
    texts, gold = planted_corpus(1, 300)
    predicted = [" ".join(model.cut(t)) for t in texts]
    result = score([" ".join(g) for g in gold], predicted)
    assert result.f1 > 0.9, result.as_dict()


def test_nvbe_method_also_learns(model):
    texts, gold = planted_corpus(0, 3000)
    nvbe = Segmenter.fit(texts, scorer="nvbe")
    result = score([" ".join(g) for g in gold[:300]], [" ".join(nvbe.cut(t)) for t in texts[:300]])
    assert result.f1 > 0.7 and nvbe.info["scorer"] == "nvbe"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_round_trip_on_random_unicode(model, text):
    exact = model.cut(text, keep_whitespace=True)
    assert "".join(exact) == text
    assert all(exact)
    assert model.cut(text) == [w for w in exact if not w.isspace()]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=CHARS[:40] + "，。 a1.%😀\u0301", max_size=60))
def test_round_trip_on_chinese_like_text(model, text):
    assert "".join(model.cut(text, keep_whitespace=True)) == text


def test_rules_and_bad_input(model):
    assert model.cut("") == []
    assert model.cut("，。！？……") == ["，", "。", "！", "？", "……"]
    assert model.cut("  \t ") == []
    mixed = "今年iPhone15卖了12.5%😀，見https://a.cn ！繁體字"
    words = model.cut(mixed)
    assert "iPhone15" in words and "12.5%" in words and "https://a.cn" in words and "😀" in words
    assert "".join(words) == mixed.replace(" ", "")
    assert model.cut("a\ud800b") == ["a", "\ud800", "b"]


def test_render_keeps_lines_and_separator(model):
    assert model.render("一二\n\n  \nab cd\n", sep="|").split("\n") == [
        "|".join(model.cut("一二")), "", "", "ab|cd", ""]


def test_segment_corpus_long_line_and_parallel_order(model, monkeypatch):
    texts, _ = planted_corpus(2, 400)
    text = "\n".join(texts)
    serial = "".join(model.segment_corpus([text]))
    assert serial.count("\n") == len(texts)
    monkeypatch.setattr(zs, "_BATCH_CHARS", 500)
    assert "".join(model.segment_corpus([text], jobs=2)) == serial
    long_line = "".join(texts)
    out = "".join(model.segment_corpus([long_line], max_chars=777))
    assert out.count("\n") == 1 and out.replace(" ", "").rstrip("\n") == long_line


def test_save_load_and_bad_model_files(model, tmp_path):
    path = tmp_path / "m.npz"
    model.save(path)
    again = Segmenter.load(path)
    texts, _ = planted_corpus(3, 20)
    assert [again.cut(t) for t in texts] == [model.cut(t) for t in texts]
    with pytest.raises(ModelError, match="no such segmenter model file"):
        Segmenter.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelError):
        Segmenter.load(tmp_path / "bad.npz")


def test_prior_lexicon_adds_words(model):
    text = "自行车"  # characters the planted corpus may not know as one word
    prior = Segmenter(model.rows, model.log_probs, model.autonomy, model.counts, model.max_n, model.info)
    assert prior.add_words(["自行车", "not-han", "太长太长太长太长"]) == 1
    assert prior.cut(text) == ["自行车"]


def test_module_one_liners(tmp_path):
    texts, _ = planted_corpus(4, 500)
    path = tmp_path / "raw.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    lines = list(zs.segment(path))
    assert len(lines) == len(texts) and "".join(lines[0]) == texts[0]
    assert zs.fit(texts).cut(texts[0]) == zs.fit(path).cut(texts[0])


def test_cli_end_to_end(tmp_path, cli):
    texts, gold = planted_corpus(5, 1500)
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts[:1000]) + "\n", encoding="utf-8")
    test = tmp_path / "test.txt"
    test.write_text("\n".join(texts[1000:]) + "\n\n，。\n" + "好" * 3_000_000 + "\n", encoding="utf-8")
    out, model = tmp_path / "out.txt", tmp_path / "m.npz"
    result = cli("segment", str(test), "--corpus", str(raw), "--save", str(model), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) == len(texts) - 1000 + 4
    assert score([" ".join(g) for g in gold[1000:]], lines[:500]).f1 > 0.9
    assert lines[500] == "" and lines[501] == "， 。" and lines[502].replace(" ", "") == "好" * 3_000_000
    again = tmp_path / "again.txt"
    result = cli("segment", str(test), "--model", str(model), "--jobs", "2", "--sep", "/", "-o", str(again))
    assert result.returncode == 0, result.stderr
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8").replace(" ", "/")
    fitted = cli("fit", str(raw), "-o", str(tmp_path / "f.npz"), "-q")
    assert fitted.returncode == 0 and (tmp_path / "f.npz").exists()
    broken = tmp_path / "broken.npz"
    broken.write_text("garbage", encoding="utf-8")
    for bad in (broken, tmp_path / "absent.npz"):
        failed = cli("segment", str(test), "--model", str(bad))
        assert failed.returncode == 2 and len(failed.stderr.strip().splitlines()) == 1


def test_numbers_are_whole_words(model):
    for text in ("12345", "３．１４", "12.5%", "第12.5%的", "2001年2002年", "零下－５度", "-"):
        words = model.cut(text)
        assert "".join(words) == text
        cuts = set(itertools.accumulate(len(w) for w in words)) | {0}
        for match in re.finditer(r"[-－]?[0-9０-９][0-9０-９.．%％]*", text):  # a word of its own
            assert match.start() in cuts and match.end() in cuts
            assert not cuts & set(range(match.start() + 1, match.end()))


def _number_corpus(seed: int, with_digits: bool) -> list[str]:
    """Sentences counting things in Chinese numbers (and, ``with_digits``, in digits), the
    small numbers and 个 the most frequent, as in real text."""
    rng = random.Random(seed)
    things = ["苹果", "朋友", "城市", "问题", "学生", "工厂", "办法", "故事"]
    verbs = ["我们看到", "他说有", "这里来了", "那边住着", "昨天走了"]
    lines = []
    for _ in range(1500):
        number = rng.choices("两三四五六七八九", [20, 6, 3, 2, 2, 1, 1, 1])[0]
        if with_digits and rng.random() < 0.4:
            number = str(rng.randint(2, 99))
        lines.append(rng.choice(verbs) + number + rng.choices("个种次位", [20, 3, 2, 2])[0] + rng.choice(things))
    return lines


def test_a_number_and_its_measure_word_are_two_words(monkeypatch):
    """个 种 次 位 follow digits more often than chance, so 三个 is a number and a measure word,
    not a word (which the model would learn without that evidence); a corpus with no digits
    cannot tell."""
    from zhtext.encode import encode

    from zhtext.encode import _Encoder

    vocab = encode(_number_corpus(0, True), breaks=zs.outside_han).vocab
    assert zs.measure_words(vocab) == "个位次种"
    encoder = _Encoder(zs.outside_han)
    for piece in ("买了3", "个和１", "０个", "", "苹果"):     # a digit ending one piece counts for the next
        encoder.add(piece)
    _, pieces = encoder.finish()
    assert dict(zip(pieces.chars, pieces.after_number.tolist())) == {"个": 2, "买": 0, "了": 0, "和": 0,
                                                                      "苹": 0, "果": 0}
    phrases = zs.number_phrases(zs.word_rows(["三个", "十五次", "零件", "一定", "个", "三个人"]), "个次件定")
    assert phrases.tolist() == [True, True, False, True, False, False]
    learned = Segmenter.fit(_number_corpus(0, True))
    assert learned.info["measure_words"] == "个位次种"
    assert not {w for w in learned.words() if len(w) == 2 and w[0] in "两三四五六七八九"}
    assert "三" in learned.cut("我们看到三个学生")
    without = Segmenter.fit(_number_corpus(0, False))
    assert without.info["measure_words"] == ""
    halves = [learned, without, Segmenter.fit(_number_corpus(1, True))]
    assert Segmenter.average(halves).info["measure_words"] == "个位次种"   # the slice without digits abstains
    monkeypatch.setattr(zs, "measure_words", lambda vocab, min_count: "")
    blind = Segmenter.fit(_number_corpus(0, True))
    assert {w for w in blind.words() if len(w) == 2 and w[0] in "两三四五六七八九"}


def test_corpus_without_chinese_is_a_one_line_error():
    from zhtext.errors import InputError

    for corpus in (["abc 123"], ["。！"], [""]):
        with pytest.raises(InputError, match="no Chinese"):
            Segmenter.fit(corpus)


def test_autonomies_match_brute_force_entropies():
    """nVBE of every candidate, from counts taken by brute force over the Han runs."""
    import math
    from collections import Counter

    runs = ["中文分词中文", "分词工具", "中文工具分词", "工具中文"]
    model = Segmenter.fit(runs, scorer="nvbe", min_count=2)
    def entropy(gram, side):
        around = []
        for k, run in enumerate(runs):
            at = run.find(gram)
            while at >= 0:
                edge = at == 0 if side == "left" else at + len(gram) == len(run)
                around.append(("edge", k, at) if edge else run[at - 1] if side == "left" else run[at + len(gram)])
                at = run.find(gram, at + 1)
        counts = Counter(around).values()
        total = sum(counts)
        return math.log(total) - sum(c * math.log(c) for c in counts) / total

    chars = Counter("".join(runs))
    h0 = math.log(sum(chars.values())) - sum(c * math.log(c) for c in chars.values()) / sum(chars.values())
    grams = {n: sorted({r[i:i + n] for r in runs for i in range(len(r) - n + 1)
                        if n == 1 or sum(r2.count(r[i:i + n]) for r2 in runs) >= 2}) for n in (1, 2)}
    vbe = {g: (entropy(g, "left") - (h0 if len(g) == 1 else entropy(g[1:], "left")),
               entropy(g, "right") - (h0 if len(g) == 1 else entropy(g[:-1], "right")))
           for n in grams for g in grams[n]}
    for n, kept in grams.items():
        mean_l = sum(vbe[g][0] for g in kept) / len(kept)
        mean_r = sum(vbe[g][1] for g in kept) / len(kept)
        for g in kept:
            expected = (vbe[g][0] - mean_l + vbe[g][1] - mean_r) * len(g)   # nvbe scores a(w)·|w|
            assert model.score(g) == pytest.approx(expected, abs=1e-5), g


def test_traditional_text_uses_what_simplified_text_taught():
    """Statistics are pooled over the script-folded text: a model learned from simplified text
    cuts the traditional form of a sentence where it cuts the simplified one, and the output
    keeps the input's characters (a mixed line too)."""
    from opencc import OpenCC

    texts, gold = planted_corpus(0, 3000)
    to_traditional = OpenCC("s2t").convert
    simplified_model = Segmenter.fit(texts)
    assert any(to_traditional(t) != t for t in texts[:50])
    for text in texts[:200]:
        traditional = to_traditional(text)
        mixed = traditional[: len(text) // 2] + text[len(text) // 2:]
        for variant in (traditional, mixed):
            words = simplified_model.cut(variant)
            assert "".join(words) == variant
            assert [len(w) for w in words] == [len(w) for w in simplified_model.cut(text)]


def test_base_model_carries_a_small_corpus_and_fades_before_a_large_one(tmp_path):
    """A base learned from plenty of text lifts a segmenter learned from a few sentences
    of the same language; the user's words stay words where the base has no evidence."""
    texts, gold = planted_corpus(0, 3000)
    base = Segmenter.fit(texts)
    base.save(tmp_path / "base.npz")
    small_texts, small_gold = planted_corpus(7, 40)
    alone = Segmenter.fit(small_texts)
    pooled = Segmenter.fit(small_texts, base=tmp_path / "base.npz")
    truth = [" ".join(g) for g in small_gold]

    def f1(model):
        return score(truth, [" ".join(model.cut(t)) for t in small_texts]).f1

    assert f1(pooled) > f1(alone) + 0.05 and f1(pooled) > 0.9
    assert pooled.info["base"]["name"] == "base.npz" and len(pooled) >= len(base)
    domain = ["".join(words) + "乒乓球拍" for words in small_gold] * 10   # a word the base never saw
    assert "乒乓球拍" in Segmenter.fit(domain, base=base).cut("我的乒乓球拍")
    with pytest.raises(InputError, match="joint"):
        Segmenter.fit(small_texts, base=Segmenter.fit(texts[:300], scorer="nvbe"))


def test_the_base_weighs_its_whole_text_for_a_small_corpus_and_less_before_a_large_one():
    """W = the base's characters up to BASE_WEIGHT, BASE_WEIGHT from twice that, falling
    geometrically (no jump) between; a fitted model records the weight it used."""
    from zhtext.segment import BASE_WEIGHT, base_weight

    full = 40 * BASE_WEIGHT
    assert base_weight(50_000, full) == base_weight(BASE_WEIGHT, full) == full
    assert base_weight(2 * BASE_WEIGHT, full) == base_weight(10 * BASE_WEIGHT, full) == BASE_WEIGHT
    sizes = [BASE_WEIGHT * (1 + k / 100) for k in range(101)]
    weights = [base_weight(n, full) for n in sizes]
    assert all(a > b for a, b in zip(weights, weights[1:]))
    assert max(a / b for a, b in zip(weights, weights[1:])) < 1.1   # continuous: no 40-fold jump
    texts, _ = planted_corpus(3, 200)
    base = Segmenter.fit(planted_corpus(0, 1000)[0])
    pooled = Segmenter.fit(texts, base=base)
    assert pooled.info["base"]["weight"] == base.info["chars"]
    assert pooled.info["chars"] == sum(len(t) for t in texts) + base.info["chars"]


def test_model_files_of_another_version_or_damaged_are_named(model, tmp_path):
    import json

    import numpy as np

    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path) as data:
        arrays = dict(data)
    header = json.loads(bytes(arrays["header"]).decode())
    for change, message in (({"version": 1}, "version 1 is not supported"),
                            ({"format": "other"}, "not a zhtext segmenter model")):
        bad = tmp_path / f"bad{len(message)}.npz"
        np.savez(bad, **{**arrays, "header": np.frombuffer(json.dumps({**header, **change}).encode(), np.uint8)})
        with pytest.raises(ModelError, match=message) as caught:
            Segmenter.load(bad)
        assert str(bad) in str(caught.value)
    short = tmp_path / "short.npz"
    np.savez(short, **{**arrays, "counts": arrays["counts"][:-1]})
    with pytest.raises(ModelError, match="corrupt"):
        Segmenter.load(short)


def test_cli_base_options(tmp_path, cli):
    texts, _ = planted_corpus(0, 1500)
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts) + "\n", encoding="utf-8")
    base = tmp_path / "base.npz"
    assert cli("fit", str(raw), "--base", "none", "-o", str(base), "-q").returncode == 0
    small = tmp_path / "small.txt"
    small.write_text("\n".join(texts[:30]) + "\n", encoding="utf-8")
    pooled = cli("segment", str(small), "--base", str(base), "-q")
    alone = cli("segment", str(small), "--base", "none", "-q")
    assert pooled.returncode == alone.returncode == 0 and pooled.stdout != alone.stdout
    assert pooled.stdout.replace(" ", "") == small.read_text(encoding="utf-8")
    for bad in (tmp_path / "absent.npz", small):
        failed = cli("segment", str(small), "--base", str(bad))
        assert failed.returncode == 2 and str(bad) in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    refused = cli("segment", str(small), "--model", str(base), "--base", str(base))
    assert refused.returncode == 2 and "--base needs a model learned here" in refused.stderr


def test_e_step_is_the_same_for_any_number_of_threads(bundled):
    """Fixed-point expected counts: slicing the corpus between threads changes no bit."""
    import numpy as np

    from zhtext.encode import encode
    from zhtext.script import fold_table

    text = (bundled / "hongloumeng.txt").read_text(encoding="utf-8")[:200_000]
    encoded = encode([text], breaks=zs.outside_han, fold=fold_table())
    rows, autonomy, counts = zs.autonomy_table(encoded)
    weights = np.log(counts / counts.sum()) + autonomy * (rows > 0).sum(axis=1)
    results = [zs.corpus_e_step(encoded, rows, threads=k)(weights) for k in (1, 2, 7)]
    for expected, loglik in results[1:]:
        assert np.array_equal(expected, results[0][0]) and loglik == results[0][1]
    assert results[0][0].sum() > 0


def _by_row(model: Segmenter) -> dict:
    """Each candidate's ``(log p, autonomy, count)``, keyed by its row of code points."""
    return {tuple(r): (p, a, c) for r, p, a, c in
            zip(model.rows.tolist(), model.log_probs, model.autonomy, model.counts)}


def test_average_is_the_mixture_of_slice_models():
    """p(w) = Σ N_k p_k(w) / Σ N_k, a(w) the count-weighted mean, counts summed; fit(slice_chars)
    is the average of the models of consecutive slices of at least that many characters."""
    import numpy as np

    texts, gold = planted_corpus(0, 3000)
    halves = [Segmenter.fit(texts[:1500]), Segmenter.fit(texts[1500:])]
    mixed = Segmenter.average(halves)
    assert mixed.info["slices"] == 2 and mixed.info["chars"] == sum(m.info["chars"] for m in halves)
    assert np.isclose(np.exp(mixed.log_probs.astype(np.float64)).sum(), 1.0, atol=1e-5)
    first, second, both = map(_by_row, (*halves, mixed))
    n1, n2 = (m.info["chars"] for m in halves)
    shared = sorted(set(first) & set(second) & set(both))
    assert len(shared) > 60
    for row in shared[:50]:
        (p1, a1, c1), (p2, a2, c2), (p, a, c) = first[row], second[row], both[row]
        assert c == pytest.approx(c1 + c2)
        assert a == pytest.approx((c1 * a1 + c2 * a2) / (c1 + c2), abs=1e-5)
        assert math.exp(p) == pytest.approx((n1 * math.exp(p1) + n2 * math.exp(p2)) / (n1 + n2), rel=1e-3)
    result = score([" ".join(g) for g in gold[:300]], [" ".join(mixed.cut(t)) for t in texts[:300]])
    assert result.f1 > 0.9

    size = sum(map(len, texts)) // 3 + 1
    sliced = Segmenter.fit(texts, slice_chars=size)
    cuts, chars, start = [], 0, 0
    for k, text in enumerate(texts):
        chars += len(text)
        if chars >= size:
            cuts.append(texts[start:k + 1])
            chars, start = 0, k + 1
    cuts += [texts[start:]] if start < len(texts) else []
    by_hand = Segmenter.average(Segmenter.fit(part) for part in cuts)
    assert sliced.info["slices"] == len(cuts) == 3 and sliced.info["slice_chars"] == size
    assert np.array_equal(sliced.rows, by_hand.rows) and np.array_equal(sliced.log_probs, by_hand.log_probs)


def test_average_and_slices_refuse_what_they_cannot_do(model):
    texts, _ = planted_corpus(0, 300)
    for options in ({"base": model}, {"scorer": "nvbe"}, {"engine": "dask"}, {"slice_chars": 0}):
        with pytest.raises(InputError, match="slice_chars"):
            Segmenter.fit(texts, **{"slice_chars": 1000, **options})
    with pytest.raises(InputError, match="no model"):
        Segmenter.average([])
    with pytest.raises(InputError, match="joint"):
        Segmenter.average([model, Segmenter.fit(texts, scorer="nvbe")])


def test_cli_fit_slices(tmp_path, cli):
    texts, _ = planted_corpus(0, 1500)
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = tmp_path / "sliced.npz"
    refused = cli("fit", str(raw), "--slice-chars", "5000", "-o", str(out))
    assert refused.returncode == 2 and "--base none" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not out.exists()
    on_dask = cli("fit", str(raw), "--slice-chars", "5000", "--base", "none", "--engine", "dask", "-o", str(out))
    assert on_dask.returncode == 2 and "--engine dask" in on_dask.stderr and not out.exists()
    assert cli("fit", str(raw), "--slice-chars", "5000", "--base", "none", "-o", str(out), "-q").returncode == 0
    assert Segmenter.load(out).info["slices"] >= 2
