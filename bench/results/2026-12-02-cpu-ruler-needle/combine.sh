#!/usr/bin/env bash
# Joins a model's RULER and needle run folders into one report (the two runs as shards 0 and 1 of one folder).
set -eu
m=$1 out=/work/runs/combined-$1
rm -rf $out; mkdir -p $out
i=0
for kind in ruler needle; do
  d=/work/runs/cpu-$kind-$m
  [ -f $d/results.jsonl ] || continue
  cp $d/results.jsonl $out/results-shard-$i-of-2.jsonl
  cp $d/manifest.json $out/manifest-shard-$i-of-2.json
  [ -f $d/fidelity.jsonl ] && cp $d/fidelity.jsonl $out/fidelity-shard-$i-of-2.jsonl
  i=$((i+1))
done
/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar /tmp/mainbuild/ctxbench.jar report --title "$m on CPU: RULER and the needle grid" $out
