"""Dependency Model with Valence: inside–outside against brute force, EM, planted grammar, files, CLI."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from zhtext.conllu import left_chain, right_chain
from zhtext.dmv import (MAX_CHART_WORDS, DependencyModel, WordClasses, attach_punctuation, cluster_words,
                        combined_tree, default_model_path, function_word_sides, length_scores,
                        sentences_from_text, standardised, to_content_heads)
from zhtext.errors import InputError, ModelError
from zhtext.trees import eisner


# -- oracle: every projective tree, scored by the model's definition ------------------
def _is_tree(heads: list[int]) -> bool:
    if heads.count(0) != 1 or any(h == d for d, h in enumerate(heads, 1)):
        return False
    for d in range(1, len(heads) + 1):
        seen, x = set(), d
        while x:
            if x in seen:
                return False
            seen.add(x)
            x = heads[x - 1]
    return True


def _is_projective(heads: list[int]) -> bool:
    def dominates(h, d):
        while d:
            d = heads[d - 1]
            if d == h:
                return True
        return False
    return all(dominates(h, k) for d, h in enumerate(heads, 1) if h
               for k in range(min(h, d) + 1, max(h, d)))


def projective_trees(n: int):
    for heads in itertools.product(range(n + 1), repeat=n):
        if _is_tree(list(heads)) and _is_projective(list(heads)):
            yield list(heads)


def tree_log_prob(model: DependencyModel, c: np.ndarray, heads: list[int]) -> float:
    """log P(tree) straight from the DMV's definition (nearest dependents first)."""
    cont = np.log(-np.expm1(model.stop_))
    n = len(heads)
    total = sum(model.root_[c[d - 1]] for d, h in enumerate(heads, 1) if h == 0)
    for h in range(1, n + 1):
        ch = c[h - 1]
        left = sorted((d for d in range(1, h) if heads[d - 1] == h), reverse=True)
        right = sorted(d for d in range(h + 1, n + 1) if heads[d - 1] == h)
        for direction, dependents in ((0, left), (1, right)):
            for k, d in enumerate(dependents):
                total += cont[ch, direction, int(k > 0)] + model.attach_[ch, direction, c[d - 1]]
            total += model.stop_[ch, direction, int(bool(dependents))]
    return total


def random_model(seed: int = 0) -> DependencyModel:
    rng = np.random.default_rng(seed)
    classes = WordClasses(["a", "b", "c"])

    def distribution(shape):
        x = rng.gamma(0.5, size=shape) + 1e-9
        return np.log(x / x.sum(-1, keepdims=True))

    C = len(classes)
    return DependencyModel(classes, distribution(C), np.log(rng.uniform(0.05, 0.95, (C, 2, 2))),
                           distribution((C, 2, C)))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_inside_outside_equals_brute_force(n):
    model = random_model(n)
    words = list(np.random.default_rng(10 + n).choice(["a", "b", "c", "1", "xy"], size=n))
    c = model.classes_(words)
    trees = list(projective_trees(n))
    log_probs = np.array([tree_log_prob(model, c, t) for t in trees])
    z = np.logaddexp.reduce(log_probs)
    marginals = np.zeros((n + 1, n + 1))
    for heads, lp in zip(trees, log_probs):
        for d, h in enumerate(heads, 1):
            marginals[h, d] += np.exp(lp - z)
    assert model.log_likelihood([words]) == pytest.approx(z, abs=1e-9)
    np.testing.assert_allclose(model.posteriors(words), marginals, atol=1e-9)
    assert model.parse(words, viterbi=True) == trees[int(log_probs.argmax())]
    np.testing.assert_allclose(model.tree_scores(words), standardised(np.log(np.maximum(marginals, 1e-6)))
                               + standardised(length_scores(n)), atol=1e-6)


# -- EM ---------------------------------------------------------------------------------
def toy_corpus(count: int, seed: int = 1):
    """A planted grammar: [D] [A] N V [D] [A] N; D and A depend on their N, both Ns on V, V is the root."""
    rng = np.random.default_rng(seed)
    D, A, N, V = ["the", "a"], ["big", "red", "old"], ["dog", "cat", "man", "girl"], ["saw", "chased", "liked"]

    def phrase():
        parts = ([str(rng.choice(D))] if rng.random() < 0.7 else []) + \
                ([str(rng.choice(A))] if rng.random() < 0.5 else [])
        return parts + [str(rng.choice(N))]

    data = []
    for _ in range(count):
        subject, obj = phrase(), phrase()
        v = len(subject) + 1
        heads = [len(subject)] * (len(subject) - 1) + [v] + [0] + \
                [v + len(obj)] * (len(obj) - 1) + [v]
        data.append((subject + [str(rng.choice(V))] + obj, heads))
    return data, WordClasses(D + A + N + V)


def test_em_never_lowers_the_likelihood():
    data, classes = toy_corpus(60)
    sentences = [w for w, _ in data]
    model = DependencyModel.fit(sentences, classes=classes, iterations=15, tolerance=0.0, smoothing=0.0)
    history = np.array(model.history_)
    assert len(history) == 15
    assert np.all(np.diff(history) >= -1e-7 * np.abs(history[1:]))
    assert history[-1] > history[0] + 1.0
    # with the default prior the objective (log-likelihood + log prior) climbs too
    smoothed = DependencyModel.fit(sentences, classes=classes, iterations=10, tolerance=0.0)
    assert np.all(np.diff(smoothed.history_) >= -1e-7 * np.abs(smoothed.history_[1:]))


def test_planted_structure_is_recovered():
    data, classes = toy_corpus(300)
    model = DependencyModel.fit([w for w, _ in data], classes=classes)

    def accuracy(parse):
        pairs = [(p, g) for words, heads in data for p, g in zip(parse(words), heads)]
        return sum(p == g for p, g in pairs) / len(pairs)

    dmv = accuracy(model.parse)
    chains = max(accuracy(lambda w: left_chain(len(w))), accuracy(lambda w: right_chain(len(w))))
    assert dmv > chains + 0.2, (dmv, chains)


def test_initializers_start_from_their_chain_and_best_keeps_the_highest_objective():
    data, classes = toy_corpus(200)
    sentences = [w for w, _ in data]
    for start, chain in (("right", right_chain), ("left", left_chain)):
        begun = DependencyModel.fit(sentences, classes=classes, initializer=start, iterations=0)
        assert all(begun.parse(words, viterbi=True) == chain(len(words)) for words in sentences[:50])
    best = DependencyModel.fit(sentences, classes=classes)
    choice = best.info_["initializer_choice"]
    scores = choice["log_likelihoods"]
    assert set(scores) == {"harmonic", "right", "left"} and choice["held_out_sentences"] == 4
    assert best.info_["initializer"] == max(scores, key=scores.get) == "harmonic"
    held = sentences[::50]
    assert best.log_likelihood(held) == pytest.approx(scores["harmonic"], rel=1e-5)   # float32 as saved
    assert scores["harmonic"] > max(scores["right"], scores["left"]) + 1.0
    with pytest.raises(InputError, match="initializer"):
        DependencyModel.fit(sentences, classes=classes, initializer="random")


# -- classes, edge cases ---------------------------------------------------------------
def test_classes_are_label_free_rules():
    classes = WordClasses.fit([["我们", "的", "的", "北京"], ["的", "我们"]], clusters=None, top_words=2,
                              min_suffix_count=1)
    assert list(classes.words) == ["的", "我们"]
    assert classes.names[classes.class_of("北京")] == "<-京>"
    assert classes.class_of("東京") == classes.class_of("东京")          # traditional folded
    assert classes.names[classes.class_of("１９９８")] == "<NUM>"        # full width read as NFKC
    assert {classes.names[classes.class_of(w)] for w in ("20万", "3.5億", "第6")} == {"<NUM>"}
    assert classes.names[classes.class_of("iPhone")] == "<LATIN>"
    assert classes.names[classes.class_of("天安门")] == "<HAN3+>"
    assert classes.is_punctuation("，") and classes.is_punctuation("……") and not classes.is_punctuation("的")


def test_word_clusters_follow_the_neighbours():
    rng = np.random.default_rng(0)
    nouns, verbs = ["狗", "猫", "马", "牛"], ["跑", "坐", "吃", "睡"]
    sentences = [["这", "只", str(rng.choice(nouns)), "很", "好"] for _ in range(50)] + \
                [["他", str(rng.choice(verbs)), "了", "。"] for _ in range(50)]
    ids = cluster_words(sentences, nouns + verbs, ["这", "只", "很", "他", "了", "。"], k=2)
    assert len(set(ids[:4])) == 1 and len(set(ids[4:])) == 1 and ids[0] != ids[4]
    classes = WordClasses.fit(sentences + [["小狗"]], clusters=2)   # a rare word takes its last character's cluster
    assert classes.class_of("小狗") == classes.class_of("狗") and len(classes) == 2 + 7
    assert classes.class_of("大马") == classes.class_of("马")


@pytest.fixture(scope="module")
def small_model():
    data, _ = toy_corpus(100)
    chinese = [["我们", "在", "北京", "上学", "。"], ["他", "说", "，", "这", "是", "好", "的", "开始", "。"]] * 10
    return DependencyModel.fit([w for w, _ in data] + chinese, classes=30, iterations=5)


def _check_tree(heads: list[int], n: int) -> None:
    assert len(heads) == n and _is_tree(heads)


@pytest.mark.parametrize("words", [["我"], ["。"], ["，", "。", "！"], ["iPhone", "12", "很", "好", "用", "！"],
                                   ["the", "dog", "在", "東京", "saw", "ＡＢＣ", "１２３", "。"], ["", " "]])
def test_any_sentence_gets_a_tree(small_model, words):
    heads = small_model.parse(words)
    _check_tree(heads, len(words))
    mu = small_model.posteriors(words)
    np.testing.assert_allclose(mu[:, 1:].sum(axis=0), 1.0)
    _check_tree(combined_tree(small_model, words, np.random.default_rng(0).random((len(words),) * 2)),
                len(words))


def test_long_sentences_are_windowed(small_model):
    words = (["the", "dog", "saw", "a", "cat", "，"] * 60)[:300]
    heads = small_model.parse(words)
    _check_tree(heads, 300)
    _check_tree(small_model.parse(words[:MAX_CHART_WORDS]), MAX_CHART_WORDS)
    assert _is_projective(heads)
    np.testing.assert_allclose(small_model.posteriors(words)[:, 1:].sum(axis=0), 1.0)
    assert small_model.parse([]) == [] and np.isfinite(small_model.log_likelihood([words]))


def test_punctuation_keeps_trees_projective():
    rng = np.random.default_rng(3)
    for n in range(2, 8):
        trees = list(projective_trees(n))
        for _ in range(40):
            heads = list(trees[rng.integers(len(trees))])
            marks = set(rng.choice(n + 4, size=4, replace=False).tolist())
            where = [t for t in range(n + 4) if t not in marks]         # the words' positions, 0-based
            full, words = [-1] * (n + 4), [str(rng.choice(list("，。、（）《》“”"))) for _ in range(n + 4)]
            for k, t in enumerate(where):
                full[t] = 0 if heads[k] == 0 else where[heads[k] - 1] + 1
                words[t] = "词"
            done = attach_punctuation(full, words)
            assert _is_tree(done) and _is_projective(done)
            assert [done[t] for t in where] == [full[t] for t in where]
    assert attach_punctuation([-1, -1, -1], ["。", "。", "。"]) == [2, 3, 0]
    assert attach_punctuation([], []) == []


def test_punctuation_follows_universal_dependencies():
    # 他 说 ， 北京 、 上海 和 “ 广州 大学 ” 好 。  (a right-branching tree over the words)
    words = ["他", "说", "，", "北京", "、", "上海", "“", "广州", "大学", "”", "好", "。"]
    heads = [2, 0, -1, 6, -1, 9, -1, 9, 11, -1, 2, -1]
    done = attach_punctuation(heads, words)
    assert done[2] == 2                       # ， on the word before it
    assert done[4] == 6                       # 、 on the conjunct it introduces
    assert done[6] == done[9] == 9            # “ and ” on the head of what they enclose
    assert done[11] == 2                      # the final mark on the root word
    assert attach_punctuation([-1, 0], ["（", "好"]) == [2, 0]    # an unclosed mark: inside its pair
    assert attach_punctuation([-1, 0], ["，", "好"]) == [2, 0]    # a mark that opens the sentence


def test_length_scores_prefer_short_arcs():
    scores = length_scores(4)
    assert scores[1, 2] == scores[2, 1] == 0.0 and scores[1, 4] == pytest.approx(-np.log(3))
    assert np.all(scores[0, 1:] == pytest.approx(-np.log(4))) and np.all(np.diag(scores) == 0)
    assert length_scores(0).shape == (1, 1)


def test_function_words_become_leaves():
    # 北京 的 大学 , the DMV's analysis 北京 ← 的 ← 大学: UD's is 的 ← 北京 ← 大学
    assert to_content_heads([2, 3, 0], [None, 0, None]) == [3, 1, 0]
    # 在 北京 上学, 在 the head of its object on its right: 在 ← 北京 ← 上学
    assert to_content_heads([3, 1, 0], [1, None, None]) == [2, 3, 0]
    # a function word at the root hands the root to its complement; its other dependents follow
    assert to_content_heads([2, 0, 2, 3], [None, 1, None, None]) == [3, 3, 0, 3]
    # 北京 → 和 → 上海, 和 with its complement on the right but no dependent there: a leaf of its head
    assert to_content_heads([2, 3, 0], [None, 1, None]) == [3, 3, 0]
    # a mark is never the complement; an unattached mark (-1) stays unattached
    assert to_content_heads([2, 0, 2, -1], [None, 1, None, None], [False, False, True, False]) == [0, 1, 1, -1]
    rng = np.random.default_rng(5)
    for n in range(1, 7):
        trees = list(projective_trees(n))
        for _ in range(30):
            heads = list(trees[rng.integers(len(trees))])
            sides = [None if rng.random() < 0.5 else int(rng.integers(2)) for _ in range(n)]
            done = to_content_heads(heads, sides)
            assert _is_tree(done) and _is_projective(done)
            f = int(rng.integers(n))                   # one function word alone: a leaf
            alone = to_content_heads(heads, [None] * f + [int(rng.integers(2))] + [None] * (n - f - 1))
            assert _is_tree(alone) and f + 1 not in alone


def test_function_word_sides_come_from_phrase_boundaries():
    classes = WordClasses(["的", "和", "书"])
    text = [["他", "的", "，", "书"], ["，", "和", "书"], ["书", "的"], ["书", "和", "书"]]
    assert function_word_sides(text, classes) == {"的": 0, "和": 1, "书": 0}
    model = DependencyModel.fit(text * 5, iterations=2)
    assert model.function_words_["的"] == 0 and model.function_words_["和"] == 1


def test_the_shipped_model_makes_function_words_leaves():
    model = DependencyModel.load(default_model_path())
    function_words = list(model.function_words_)
    assert function_words[0] == "的" and {"在", "是", "和"} <= set(function_words[:5]) and len(function_words) == 64
    words = ["北京", "的", "大学"]
    assert model.parse(words, content_heads=False)[:2] == [2, 3] and model.parse(words) == [3, 1, 0]


def test_combined_with_flat_impacts_is_the_dmv_posterior_tree(small_model):
    words = ["他", "说", "，", "这", "是", "好", "的", "开始", "。"]
    flat = np.ones((len(words), len(words))) - np.eye(len(words))
    assert combined_tree(small_model, words, flat, content_heads=False) == eisner(
        standardised(small_model.arc_scores(words)))
    z = standardised(small_model.arc_scores(words))
    assert abs(z[0, 1:].sum() + z[1:, 1:].sum()) < 1e-9 and z[:, 0].sum() == 0


def test_bad_arguments_are_refused(small_model):
    with pytest.raises(InputError):
        DependencyModel.fit("我们 在 北京")
    with pytest.raises(InputError):
        DependencyModel.fit(["我们在北京"])           # a sentence must be a list of words
    with pytest.raises(InputError):
        small_model.parse("我们在北京")
    with pytest.raises(InputError):
        DependencyModel.fit([["。"]])                 # nothing but punctuation


# -- files ----------------------------------------------------------------------------------
def test_save_load_and_pickle(small_model, tmp_path):
    path = tmp_path / "dmv.npz"
    small_model.save(path)
    loaded = DependencyModel.load(path)
    words = ["the", "big", "dog", "saw", "a", "cat", "在", "北京", "。"]
    assert loaded.parse(words) == small_model.parse(words)
    assert loaded.classes_.names == small_model.classes_.names
    assert loaded.history_ == small_model.history_
    copy = pickle.loads(pickle.dumps(small_model))
    assert copy.parse(words) == small_model.parse(words)
    np.testing.assert_allclose(copy.posteriors(words), small_model.posteriors(words))


def test_bad_model_files_are_one_line_errors(small_model, tmp_path):
    good = tmp_path / "good.npz"
    small_model.save(good)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    other = tmp_path / "other.npz"
    np.savez(other, header=np.frombuffer(b'{"format": "zhtext-segmenter", "version": 2}', np.uint8))
    data = dict(np.load(good))
    future = tmp_path / "future.npz"
    np.savez(future, **{**data, "header": np.frombuffer(b'{"format": "zhtext-dmv", "version": 99}', np.uint8)})
    broken = tmp_path / "broken.npz"
    np.savez(broken, **{**data, "attach": data["attach"][:, :, :3]})
    for path, words in [(tmp_path / "missing.npz", "no such"), (garbage, "not a readable zhtext"),
                        (other, "not a zhtext"), (future, "version 99"), (broken, "corrupt")]:
        with pytest.raises(ModelError) as error:
            DependencyModel.load(path)
        assert words in str(error.value) and str(path) in str(error.value)
        assert "\n" not in str(error.value)


def test_sentences_from_text():
    from zhtext.segment import Segmenter
    segmenter = Segmenter.fit(["我们在北京上学。他说，这是好的开始！", "我们在北京。"] * 5)
    sentences = list(sentences_from_text(["我们在北京上学。他说，这是好的开始！", ""], segmenter))
    assert len(sentences) == 2 and sentences[0][-1] == "。" and sentences[1][-1] == "！"
    assert "".join(sentences[1]) == "他说，这是好的开始！"


def test_clustered_classes_fit(small_model):
    data, _ = toy_corpus(80)
    model = DependencyModel.fit([w for w, _ in data], classes="clusters", iterations=3)
    assert len(model.classes_) == 7 and model.info_["iterations"] == 3   # no Han word: the fixed classes
    _check_tree(model.parse(["the", "dog", "saw", "a", "cat"]), 5)


# -- CLI: zhtext parse --method pm|dmv|combined ------------------------------------------------
CONLLU = """# sent_id = 1
# text = 我爱北京。
1\t我\t_\tPRON\t_\t_\t2\tnsubj\t_\t_
2\t爱\t_\tVERB\t_\t_\t0\troot\t_\t_
3\t北京\t_\tPROPN\t_\t_\t2\tobj\t_\t_
4\t。\t_\tPUNCT\t_\t_\t2\tpunct\t_\t_

# sent_id = 2
# text = 他们来了，我们也到了。
1\t他们\t_\tPRON\t_\t_\t2\tnsubj\t_\t_
2\t来\t_\tVERB\t_\t_\t0\troot\t_\t_
3\t了\t_\tAUX\t_\t_\t2\taux\t_\t_
4\t，\t_\tPUNCT\t_\t_\t2\tpunct\t_\t_
5\t我们\t_\tPRON\t_\t_\t7\tnsubj\t_\t_
6\t也\t_\tADV\t_\t_\t7\tadvmod\t_\t_
7\t到\t_\tVERB\t_\t_\t2\tconj\t_\t_
8\t了\t_\tAUX\t_\t_\t7\taux\t_\t_
9\t。\t_\tPUNCT\t_\t_\t2\tpunct\t_\t_

"""


@pytest.fixture(scope="module")
def dmv_file(small_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("dmv") / "dmv.npz"
    small_model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from test_probe import CHARS, SPECIALS, save_tiny_model
    return save_tiny_model(tmp_path_factory.mktemp("tiny-bert"), SPECIALS + list(CHARS + "他也到"))


@pytest.mark.parametrize("method", ["dmv", "pm", "combined"])
def test_cli_parse_methods(cli, tmp_path, dmv_file, method, request):
    from zhtext.conllu import read_conllu, score_dependencies
    gold = tmp_path / "gold.conllu"
    gold.write_text(CONLLU, encoding="utf-8")
    pred = tmp_path / "pred.conllu"
    lm = [] if method == "dmv" else ["--model", request.getfixturevalue("tiny_lm"), "--device", "cpu",
                                     "--threads", "1"]
    result = cli("parse", str(gold), "--method", method, "--dmv", dmv_file, *lm, "-o", str(pred), "-q")
    assert result.returncode == 0, result.stderr
    parsed = list(read_conllu(pred))
    assert [s.forms for s in parsed] == [s.forms for s in read_conllu(gold)]
    assert all(_is_tree(s.heads) for s in parsed) and "# sent_id = 2" in parsed[1].comments
    assert score_dependencies(gold, pred).tokens == 13


def test_cli_dmv_text_input_and_errors(cli, tmp_path, dmv_file):
    result = cli("parse", "-", "--pretokenized", "--method", "dmv", "--dmv", dmv_file, "-q",
                 input="我们 在 北京 上学 。\n\n，\n")
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines() if line and not line.startswith("#")]
    assert [row[1] for row in lines] == ["我们", "在", "北京", "上学", "。", "，"]
    missing = cli("parse", "-", "--method", "dmv", "--dmv", str(tmp_path / "none.npz"), input="我们\n")
    assert missing.returncode == 2 and "no such dependency model file" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    constituency = cli("parse", "-", "--method", "dmv", "--dmv", dmv_file, "--tree", "constituency",
                       input="我们\n")
    assert constituency.returncode == 2 and "--method pm" in constituency.stderr


def test_cli_function_words_are_leaves_unless_function_heads(cli, tiny_lm):
    def heads(*options):
        result = cli("parse", "-", "--pretokenized", *options, "-q", input="北京 的 大学\n")
        assert result.returncode == 0, result.stderr
        return [int(row.split("\t")[6]) for row in result.stdout.splitlines() if row and row[0] != "#"], result
    assert heads()[0] == [3, 1, 0]                                       # the shipped DMV, UD's convention
    assert heads("--function-heads")[0][:2] == [2, 3]                    # its own tree: 北京 ← 的 ← 大学
    _, pm = heads("--method", "pm", "--function-heads", "--model", tiny_lm, "--device", "cpu")
    assert "--function-heads is an option of the dependency model" in pm.stderr


def test_cli_parse_default_method_follows_the_input(cli, tmp_path, dmv_file, tiny_lm):
    """Words (CoNLL-U, --pretokenized, plain lines cut by the segmenter) without --model: the
    DMV's trees; with --model, or over characters (--segmenter none): the combined ones."""
    gold = tmp_path / "gold.conllu"
    gold.write_text(CONLLU, encoding="utf-8")
    lm = ["--model", tiny_lm, "--device", "cpu", "--threads", "1"]

    def parsed(*options, source=str(gold), stdin=None):
        result = cli("parse", source, "--dmv", dmv_file, *options, "-q", input=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout
    assert parsed() == parsed("--method", "dmv")
    words = "我 爱 北京 。\n"
    assert parsed("--pretokenized", source="-", stdin=words) == \
        parsed("--pretokenized", "--method", "dmv", source="-", stdin=words)
    assert parsed(*lm) == parsed(*lm, "--method", "combined")
    line = "我们爱北京。\n"
    plain = parsed(source="-", stdin=line)
    assert plain == parsed("--method", "dmv", source="-", stdin=line)
    assert [row.split("\t")[1] for row in plain.splitlines()[1:] if row] == ["我们", "爱", "北京", "。"]
    characters = parsed(*lm, "--segmenter", "none", source="-", stdin=line)
    assert characters == parsed(*lm, "--segmenter", "none", "--method", "combined", source="-", stdin=line)
    assert [row.split("\t")[1] for row in characters.splitlines()[1:] if row] == list("我们爱北京。")
    ignored = cli("parse", str(gold), "--dmv", dmv_file, "--method", "dmv", "--layer", "2", "-q")
    assert ignored.returncode == 0 and "--layer ignored" in ignored.stderr
