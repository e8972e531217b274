"""New-word discovery: planted words recovered, lexicon formats, defaults."""

import random

import jieba
import pytest

from zhtext.discover import WordDiscoverer, default_min_count, discover
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
    found = discover(english)  # letters are word characters; spaces break fragments
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
