"""New-word discovery: planted words recovered, lexicon formats, defaults."""

import math
import random

import jieba
import pytest

import numpy as np

from zhtext.discover import WordDiscoverer, default_min_count, discover
from zhtext.errors import InputError
from zhtext.lexicon import Lexicon
from zhtext.ngrams import NgramStats

HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def planted_corpus(seed=0, words=60, sentences=4000):
    """Sentences drawn from a Zipfian vocabulary of random 2-4 character words."""
    rng = random.Random(seed)
    vocab = set()
    while len(vocab) < words:
        vocab.add("".join(rng.sample(HAN, rng.choice([2, 2, 3, 4]))))
    vocab = sorted(vocab)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    lines = []
    for _ in range(sentences):
        lines.append("".join(rng.choices(vocab, weights, k=rng.randint(3, 9))) + "。")
    return vocab, lines


def test_planted_words_are_recovered():
    vocab, lines = planted_corpus()
    lexicon = discover(lines).with_min_length(2)
    found = set(lexicon.top(len(vocab)).words)
    recall = len(found & set(vocab)) / len(vocab)
    precision = len(found & set(vocab)) / len(found)
    assert recall >= 0.9 and precision >= 0.9, (recall, precision)


def test_lexicon_is_ranked_by_count_and_has_statistics():
    _, lines = planted_corpus(seed=1)
    lexicon = discover(lines)
    assert list(lexicon.counts) == sorted(lexicon.counts, reverse=True)
    entry = lexicon[lexicon.words[0]]
    assert entry.count == lexicon.counts[0] and entry.left_entropy >= 0
    multi = lexicon.with_min_length(2)
    assert (multi.cohesion >= 2.0 - 1e-9).all()  # passed the length-2 threshold at least


def test_words_longer_than_max_n_are_found_and_back_checked():
    _, lines = planted_corpus(seed=5)
    long_word = "甲乙丙丁戊己"  # six characters, beyond max_n = 4
    lines = [line[:5] + long_word + line[5:] if i % 7 == 0 else line for i, line in enumerate(lines)]
    lexicon = discover(lines)
    assert long_word in lexicon
    assert lexicon[long_word].count == len(lines[::7])
    # a chain of cohesive 4-grams that never formed a cohesive 4-gram window is dropped
    assert all(len(w) <= 4 or w == long_word for w in lexicon.words)


def test_min_count_grows_with_corpus_size():
    assert default_min_count(0) == 2
    assert default_min_count(2_000_000) == 4
    assert default_min_count(45_000_000) == 20
    assert default_min_count(350_000_000) > default_min_count(45_000_000)


def test_entropy_filter_only_removes():
    _, lines = planted_corpus(seed=2)
    loose = discover(lines)
    strict = discover(lines, min_entropy=1.0)
    assert set(strict.words) <= set(loose.words)
    assert (strict.left_entropy >= 1.0).all() and (strict.right_entropy >= 1.0).all()


def test_empty_and_non_chinese_input():
    assert len(discover([])) == 0
    rng = random.Random(0)
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "zebra", "wolf"]
    english = [" ".join(rng.choices(words, k=8)) for _ in range(300)]
    assert len(discover(english)) == 0   # Latin words are no entries of a Chinese lexicon
    found = discover(english, mixed=True)   # unless asked; spaces break fragments
    assert len(found) > 0 and "dog" in found
    assert all(any(w in word for word in words) for w in found.words)


def test_fitted_object_exposes_stats():
    _, lines = planted_corpus(seed=3, sentences=500)
    finder = WordDiscoverer(max_n=3).fit(lines)
    assert finder.min_count_ == 2 and finder.stats_.max_n == 3
    assert len(finder.lexicon_) > 0


def test_tsv_and_jieba_round_trip(tmp_path):
    vocab, lines = planted_corpus(seed=4, sentences=800)
    lexicon = discover(lines).with_min_length(2)
    lexicon.save(tmp_path / "lex.tsv")
    again = Lexicon.load(tmp_path / "lex.tsv")
    assert again.words == lexicon.words and list(again.counts) == list(lexicon.counts)
    assert tmp_path.joinpath("lex.tsv").read_text(encoding="utf-8").startswith("word\tcount\t")
    lexicon.save(tmp_path / "user.txt", format="jieba")
    assert Lexicon.load(tmp_path / "user.txt").words == lexicon.words
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(tmp_path / "user.txt"))
    word = next(w for w in lexicon.words if len(w) >= 3)
    assert word in tokenizer.lcut(word + "。", HMM=False)


def test_without_reference_words():
    lexicon = Lexicon.from_columns(["中国", "新词", "人民"], [5, 4, 3])
    assert lexicon.without(["中国", "人民"]).words == ("新词",)


def test_discovery_statistics_equal_a_plain_fit():
    _, lines = planted_corpus(seed=6, sentences=1500)
    finder = WordDiscoverer().fit(lines)
    plain = NgramStats.fit(lines, max_n=4, min_count=finder.min_count_, entropy=False)
    ours = dict(zip(finder.stats_.strings(), zip(finder.stats_.counts, finder.stats_.cohesions)))
    assert ours.keys() == set(plain.strings())
    for gram, count, cohesion in zip(plain.strings(), plain.counts, plain.cohesions):
        assert ours[gram][0] == count
        assert ours[gram][1] == pytest.approx(cohesion, nan_ok=True)


# -- entries and new words (numbers, Latin, collocations, scripts) ---------------------------
def novel_with_plants(bundled, seed=3):
    """红楼梦's first 3,000 paragraphs with planted new words and planted collocations.

    New words (not in jieba's dictionary) go in 40 times each; collocations of
    two frequent free words (都 + 把, 也 + 把) 200 times each; numbers and Latin
    terms as in technical text.
    """
    rng = random.Random(seed)
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:3000]
    plants = {"鲲鹏芯": 40, "墨子号": 40, "天宫站": 40, "都把": 200, "也把": 200,
              "2008年": 60, "DDR3内存": 60, "iPhone15": 60}
    for word, times in plants.items():
        for _ in range(times):
            k = rng.randrange(len(lines))
            at = rng.randrange(len(lines[k]) + 1)
            lines[k] = lines[k][:at] + word + lines[k][at:]
    return lines


def test_new_words_rank_above_collocations(bundled):
    from zhtext.lexicon import jieba_dictionary

    finder = WordDiscoverer().fit(novel_with_plants(bundled))
    known = Lexicon.load(jieba_dictionary()).words
    new = finder.new_words(known).ranked("score").words
    for word in ("鲲鹏芯", "墨子号", "天宫站"):
        assert word in new
    assert "都把" not in new and "也把" not in new   # both parts occur mostly elsewhere
    assert "都把" in finder.lexicon_ or "也把" in finder.lexicon_   # found as strings, judged collocations
    assert "宝玉" not in new   # known to jieba


def test_chains_of_free_words_are_collocations_and_names_are_not(bundled):
    """正说着 = 正 + 说着 and 说着 = 说 + 着: every part at every level occurs mostly outside
    the string that holds it, so it is a collocation although 说着 is no known word. A name
    made of known characters stays new: each bracketing holds a part seen mostly inside it."""
    from zhtext.discover import COLLOCATION, NEW
    from zhtext.lexicon import jieba_dictionary

    finder = WordDiscoverer().fit(bundled / "hongloumeng.txt")
    known = set(Lexicon.load(jieba_dictionary()).words)
    status = dict(zip(finder.lexicon_.words, finder.statuses(known)))
    assert "说着" not in known and status["说着"] == COLLOCATION
    assert status["正说着"] == COLLOCATION and status["请了安"] == COLLOCATION
    for name in ("梨香院", "蘅芜苑", "栊翠庵"):
        assert all(c in known for c in name) and status[name] == NEW, name


def test_fragments_of_known_words_are_not_new(bundled):
    """Brute force on the novel: a word is a fragment exactly when a known word one
    character longer, seen at least min count times, holds more than half of its
    occurrences; fragments are not new."""
    from zhtext.discover import FRAGMENT, NEW
    from zhtext.lexicon import jieba_dictionary

    text = (bundled / "hongloumeng.txt").read_text(encoding="utf-8")
    finder = WordDiscoverer().fit(bundled / "hongloumeng.txt")
    known = set(Lexicon.load(jieba_dictionary()).words)
    status = finder.statuses(known)
    new = set(finder.new_words(known).words)
    fragments = {w for w, s in zip(finder.lexicon_.words, status) if s == FRAGMENT}
    assert {"在话下", "年半载"} <= fragments and not fragments & new
    assert new == {w for w, s in zip(finder.lexicon_.words, status) if s == NEW}
    chars = {c for c in text if "\u4e00" <= c <= "\u9fff"}

    def inside_known(word):
        longer = [k for c in chars for k in (c + word, word + c) if k in known and len(k) <= finder.max_n]
        counts = [text.count(k) for k in longer]
        return any(2 * c > text.count(word) for c in counts if c >= finder.min_count_)
    for word in new | fragments:
        assert inside_known(word) == (word in fragments), word


def test_numbers_and_latin_are_never_entries_by_default(bundled):
    lines = novel_with_plants(bundled)
    words = WordDiscoverer().fit(lines).lexicon_.words
    assert all(all(not c.isascii() and not c.isdigit() for c in w) for w in words)
    mixed = WordDiscoverer(mixed=True).fit(lines).lexicon_.words
    assert "iPhone15" in mixed or any("DDR3" in w for w in mixed)
    for word in mixed:   # letter/digit runs are whole: never a piece of iPhone15, DDR3, 2008
        for run in ("iPhone15", "DDR3", "2008"):
            assert not (run not in word and any(run[i:j] in word and (j - i) > 1 and (
                word.startswith(run[i:j]) or word.endswith(run[i:j])) and (i > 0 or j < len(run))
                for i in range(len(run)) for j in range(i + 1, len(run) + 1))), word


def test_a_number_and_its_measure_word_is_no_entry(bundled):
    """一个 and 两个 are frequent in the novel, which writes no digits, so it cannot tell 个 is a
    measure word; with numbers in digits it can, and neither is an entry. The shipped base
    holds no such pair: against it, their keyness is unknown, not "absent from general text"."""
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:3000]
    keyed = WordDiscoverer(background="default").fit(lines).lexicon_
    assert "一个" in keyed and "两个" in keyed
    assert math.isnan(keyed["一个"].keyness) and not math.isnan(keyed["宝玉"].keyness)
    assert "一个" not in keyed.ranked("keyness").words[:100]
    counted = lines + [f"他们买了{n}个橘子" for n in range(2, 40)]
    lexicon = WordDiscoverer(background=None).fit(counted).lexicon_
    assert "一个" not in lexicon and "两个" not in lexicon and "一面" in lexicon   # 面: no measure word here


def test_jieba_export_keeps_numbers_and_latin_whole(bundled, tmp_path):
    lexicon = WordDiscoverer(mixed=True).fit(novel_with_plants(bundled)).lexicon_
    path = tmp_path / "user.txt"
    lexicon.save(path, format="jieba")
    entries = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines()]
    assert entries and not any(e[0].isascii() or e[-1].isascii() for e in entries)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(path))
    for hmm in (True, False):
        words = tokenizer.lcut("他在2008年买了DDR3内存和iPhone15。", HMM=hmm)
        assert "2008" in words and "DDR3" in words and "iPhone15" in words, words


def test_traditional_forms_of_known_words_are_known(bundled):
    lines = novel_with_plants(bundled)[:1500]
    rng = random.Random(5)
    for _ in range(100):
        k = rng.randrange(len(lines))
        at = rng.randrange(len(lines[k]) + 1)
        lines[k] = lines[k][:at] + "問題" + lines[k][at:]
    finder = WordDiscoverer().fit(lines)
    assert "問題" in finder.lexicon_
    assert "問題" not in finder.new_words(["问题"]).words
    assert "問題" in finder.new_words(["问题"], fold=False).words


def test_cli_new_only_with_several_references(cli, tmp_path, bundled):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(novel_with_plants(bundled)[:1500]) + "\n", encoding="utf-8")
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("鲲鹏芯\n", encoding="utf-8")
    second.write_bytes("\ufeff墨子号 3 n\n".encode("utf-8"))   # a BOM, jieba's format
    one = cli("discover", str(corpus), "--new-only", "--reference", str(first), "-q").stdout
    both = cli("discover", str(corpus), "--new-only", "--reference", str(first), "--reference",
               str(second), "-q").stdout
    words = lambda out: [row.split("\t")[0] for row in out.splitlines()[1:]]
    assert "墨子号" in words(one) and "鲲鹏芯" not in words(one)
    assert "墨子号" not in words(both) and "宝玉" in words(both)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("墨子号\n".encode("gbk"))
    result = cli("discover", str(corpus), "--new-only", "--reference", str(gbk))
    assert result.returncode == 2 and "not UTF-8" in result.stderr and len(result.stderr.splitlines()) == 1


def test_cli_numbers_only_corpus_warns(cli, tmp_path):
    corpus = tmp_path / "n.txt"
    corpus.write_text("2008 1999 3.14 hello world DDR3\n" * 50, encoding="utf-8")
    result = cli("discover", str(corpus))
    assert result.returncode == 0 and "lexicon is empty" in result.stderr
    assert result.stdout.splitlines() == ["word\tcount\tcohesion\tleft_entropy\tright_entropy\tscore\tkeyness"]


# -- keyness: domain contrast against a background -----------------------------------------
def test_keyness_is_signed_dunning_g2():
    stats = pytest.importorskip("scipy.stats")
    from zhtext.keyness import keyness

    rng = random.Random(0)
    for _ in range(50):
        size_a, size_b = rng.randint(100, 10**6), rng.randint(100, 10**7)
        a, b = rng.randint(1, 99), rng.randint(0, 99)
        table = [[a, b], [size_a - a, size_b - b]]
        g2 = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
        sign = 1 if a / size_a > b / size_b else -1
        assert keyness([a], size_a, [b], size_b)[0] == pytest.approx(sign * g2, rel=1e-9, abs=1e-9)
    assert keyness([7], 1000, [14], 2000)[0] == 0   # the same rate: no contrast
    absent = keyness([2, 20], 10**5, [0, 0], 10**7)   # b = 0: finite, growing with a
    assert np.isfinite(absent).all() and 0 < absent[0] < absent[1]


def test_occurrences_are_exact_string_counts():
    from zhtext.encode import encode
    from zhtext.keyness import occurrences

    rng = random.Random(1)
    lines = ["".join(rng.choices("哈哈一二三問问題题，", k=rng.randint(0, 30))) for _ in range(300)]
    words = ["哈", "哈哈", "哈哈哈", "一二", "二三一", "问题", "問題", "甲乙"]
    fold = {"問": "问", "題": "题"}
    folded = ["".join(fold.get(c, c) for c in line) for line in lines]

    def overlapping(word, line):
        return sum(line.startswith(word, i) for i in range(len(line)))

    expected = [sum(overlapping("".join(fold.get(c, c) for c in w), line) for line in folded)
                for w in words]
    assert occurrences(encode(lines), words).tolist() == expected
    assert expected[5] == expected[6] > 0   # traditional and simplified forms pooled


def domain_and_general(bundled, seed=3):
    """A domain corpus and general text, both from 红楼梦's first 3,000 paragraphs: the even ones
    with planted domain words (not in the novel, 40 times each), and the odd ones as they are."""
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:3000]
    rng = random.Random(seed)
    domain = lines[0::2]
    for word in ("鲲鹏芯", "墨子号", "天宫站"):
        for _ in range(40):
            k = rng.randrange(len(domain))
            at = rng.randrange(len(domain[k]) + 1)
            domain[k] = domain[k][:at] + word + domain[k][at:]
    return domain, lines[1::2]


@pytest.mark.parametrize("kind", ["corpus", "lexicon", "model"])
def test_planted_domain_words_rank_first_by_keyness(bundled, tmp_path, kind):
    from zhtext.corpus import Corpus

    domain, general = domain_and_general(bundled)
    if kind == "lexicon":   # general text's own discovered lexicon with counts, as a TSV file
        discover(general).save(tmp_path / "general.tsv")
        background = tmp_path / "general.tsv"
    else:
        background = Corpus.from_texts(general) if kind == "corpus" else "default"
    lexicon = WordDiscoverer(background=background).fit(domain).lexicon_.with_min_length(2)
    ranked = lexicon.ranked("keyness").words
    planted = [ranked.index(w) for w in ("鲲鹏芯", "墨子号", "天宫站")]
    general_words = [ranked.index(w) for w in ("我们", "一个", "没有", "自己") if w in lexicon]
    assert len(general_words) >= 3 and max(planted) < min(general_words), (planted, general_words)
    if kind != "model":   # against the novel itself only the planted words are new
        assert max(planted) < 15, planted
    assert (lexicon.keyness[np.isfinite(lexicon.keyness)] < 0).any()   # under-represented: negative


def test_keyness_needs_a_background():
    _, lines = planted_corpus(seed=7, sentences=300)
    lexicon = discover(lines)
    assert np.isnan(lexicon.keyness).all()
    with pytest.raises(InputError, match="background"):
        lexicon.ranked("keyness")
    with pytest.raises(InputError):
        lexicon.ranked("surprise")


def test_keyness_survives_tsv_round_trip(tmp_path):
    from zhtext.keyness import Background

    _, lines = planted_corpus(seed=8, sentences=600)
    general = Lexicon.from_columns(["的", "了"], [1000, 500])
    lexicon = WordDiscoverer(background=Background.from_lexicon(general)).fit(lines).lexicon_
    assert np.isfinite(lexicon.keyness).all() and (lexicon.keyness > 0).all()   # none in general
    lexicon.save(tmp_path / "lex.tsv")
    again = Lexicon.load(tmp_path / "lex.tsv")
    assert np.allclose(again.keyness, lexicon.keyness, atol=1e-4)
    assert again.ranked("keyness").words == lexicon.ranked("keyness").words


def test_jieba_export_only_fills_single_character_cuts(bundled, tmp_path):
    """With the calibrated export loaded, jieba (HMM off) changes a sentence's cut where it cut
    the span into single characters; compounds of its own words are left out."""
    from zhtext.lexicon import jieba_dictionary, jieba_frequencies

    plain = jieba.Tokenizer()
    assert jieba_frequencies(["特别是", "过程中"], plain) == [0, 0]
    lines = (bundled / "hongloumeng.txt").read_text(encoding="utf-8").splitlines()[:1500]
    finder = WordDiscoverer().fit(lines)
    new = finder.new_words(Lexicon.load(jieba_dictionary()).words)
    new.save(tmp_path / "user.txt", format="jieba", extends=plain)
    entries = dict(line.split() for line in (tmp_path / "user.txt").read_text(encoding="utf-8").splitlines())
    assert entries and all(int(f) >= 1 for f in entries.values())
    extended = jieba.Tokenizer()
    extended.load_userdict(str(tmp_path / "user.txt"))
    changed = single = 0
    for line in lines[:1000]:
        before = _spans(plain.lcut(line, HMM=False))
        for start, end in _spans(extended.lcut(line, HMM=False)) - before:
            inside = [(a, b) for a, b in before if start <= a and b <= end]
            changed += 1
            single += sum(b - a for a, b in inside) == end - start and all(b - a == 1 for a, b in inside)
    # frequencies are integers: an entry at the least, 1, may also beat a few cuts into words
    assert changed > 100 and single >= 0.9 * changed, (single, changed)


def _spans(words):
    """The (start, end) offsets of a cut's words."""
    out, at = set(), 0
    for word in words:
        out.add((at, at + len(word)))
        at += len(word)
    return out


def test_keyness_on_a_giant_line_of_one_character_stays_linear():
    from zhtext.encode import encode
    from zhtext.keyness import LONGEST, occurrences

    encoded = encode(["啊" * 40, "中国人民"])
    assert occurrences(encoded, ["啊" * LONGEST, "啊" * (LONGEST + 1), "中国"]).tolist() == \
        [40 - LONGEST + 1, 0, 1]
    finder = WordDiscoverer(min_count=2, background="default").fit(["啊" * 300_000] * 2)
    assert finder.lexicon_.words and all(set(w) == {"啊"} for w in finder.lexicon_.words)
