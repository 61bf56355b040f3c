#!/usr/bin/env bash
# kill_during_save.sh — no data lost when training is killed.
#
#   tests/cli/kill_during_save.sh NNOCR WORK_DIR [ITERATIONS]
#
# Trains a tiny CRNN for STEPS steps twice: once without interruption (the
# reference), and once with SIGKILL sent at a random moment — in every other
# iteration the moment a checkpoint's temporary file appears, that is in the
# middle of a save. After the kill the checkpoint must be whole: absent (killed
# before the first save) or a file that loads (`nnocr read --model` on it).
# The same command then resumes from it to
# STEPS, and the final checkpoint and model file must equal the reference's
# byte for byte: same seed, same thread count, same weights, optimizer state
# and step. A checkpoint is written (and fsync'ed) every step, so a good part
# of a run's time is spent saving. Prints one line per iteration; exit status 1 on the first
# failure. ctest runs a few iterations; run it with 20 for the full check.
set -u
NNOCR=${1:?usage: kill_during_save.sh NNOCR WORK_DIR [ITERATIONS]}
WORK=${2:?usage: kill_during_save.sh NNOCR WORK_DIR [ITERATIONS]}
ITERATIONS=${3:-3}
STEPS=40
CORPUS=$(cd "$(dirname "$0")/../../data/corpus" && pwd)/en.txt

# Height 16, two small conv stages, one BiLSTM layer of 16, dropout before
# the classifier (the dropout masks must resume too): about 100 steps/s.
ARCH='{"height":16,"stages":[{"channels":4,"convs":1,"pool_h":2,"pool_w":2},{"channels":8,"convs":1,"pool_h":2,"pool_w":2}],"hidden":16,"layers":1,"dropout":0.2}'
train_args() {  # train_args DIR: the one command line every run uses, in $args
  args=(train --out "$1/model.safetensors" --checkpoint "$1/train.ckpt" --steps $STEPS --checkpoint-every 1
        --eval-every 1000000 --val-lines 0 --batch 2 --warmup 5 --max-chars 8 --corpus "$CORPUS" --threads 1
        --loader-workers 1 --seed 11 --arch "$ARCH")
}
fail() {
  echo "FAIL (iteration $i): $*" >&2
  exit 1
}

rm -rf "$WORK"
mkdir -p "$WORK/reference"
train_args "$WORK/reference"
"$NNOCR" "${args[@]}" --quiet > /dev/null || fail "the reference run failed"
i=0
mid_save=0
for ((i = 1; i <= ITERATIONS; ++i)); do
  run="$WORK/run$i"
  rm -rf "$run"
  mkdir -p "$run"
  train_args "$run"
  "$NNOCR" "${args[@]}" > "$run/killed.out" 2> "$run/killed.err" &
  pid=$!  # the nnocr process itself
  if ((i % 2 == 1)); then
    # Wait for a checkpoint's temporary file after a random number of saves
    # have begun (the first ones come within a few hundred milliseconds).
    want=$((1 + RANDOM % (STEPS / 2)))
    shopt -s nullglob
    seen=0 last=""
    while kill -0 $pid 2> /dev/null; do
      tmp=("$run"/train.ckpt.tmp-nnocr-*)  # a glob, no process started: polls fast
      if ((${#tmp[@]} > 0)) && [[ ${tmp[0]} != "$last" ]]; then
        last=${tmp[0]}
        seen=$((seen + 1))
        ((seen >= want)) && break
      fi
    done
    shopt -u nullglob
    kill -KILL $pid 2> /dev/null
    how="on seeing its temporary file number $want"
  else
    # A random moment between 0.1 and 0.7 s: from before the first save
    # (start-up takes about 0.2 s) to after the last.
    sleep "0.$(printf '%03d' $((100 + RANDOM % 600)))"
    kill -KILL $pid 2> /dev/null
    how="at a random moment"
  fi
  wait $pid 2> /dev/null
  leftover=$(compgen -G "$run/train.ckpt.tmp-nnocr-*" | wc -l)
  ((leftover > 0)) && mid_save=$((mid_save + 1))

  # The checkpoint is whole, or absent.
  if [[ -e $run/train.ckpt ]]; then
    "$NNOCR" read --threads 1 --model "$run/train.ckpt" --line "$run/none.png" > /dev/null 2> "$run/load.err"
    grep -q "none.png" "$run/load.err" && ! grep -q "nnocr: error" "$run/load.err" ||
      fail "the checkpoint left by the kill does not load: $(cat "$run/load.err")"
  fi
  # Resume to the end; the reference's bytes must come out.
  "$NNOCR" "${args[@]}" > /dev/null 2> "$run/resumed.err" || fail "resuming failed: $(tail -n 3 "$run/resumed.err")"
  # The resumed run removed the killed save's temporary file.
  stale=$(compgen -G "$run/*.tmp-nnocr-*" | wc -l)
  ((stale == 0)) || fail "$stale temporary file(s) of the killed run are still there after the resume"
  step=$(sed -n 's/^resumed from .* at step \([0-9]*\)$/\1/p' "$run/resumed.err")
  resumed="resumed at step $step of $STEPS"
  [[ -z $step ]] && resumed="started afresh (killed before the first save)"
  cmp -s "$run/train.ckpt" "$WORK/reference/train.ckpt" ||
    fail "the resumed run's checkpoint differs from the uninterrupted run's ($resumed)"
  cmp -s "$run/model.safetensors" "$WORK/reference/model.safetensors" ||
    fail "the resumed run's model file differs from the uninterrupted run's ($resumed)"
  echo "iteration $i: killed $how ($([[ $leftover -gt 0 ]] && echo "mid-save: a temporary file was left" || echo "not mid-save")), $resumed, final checkpoint and model identical"
done
echo "kill_during_save: $ITERATIONS iterations passed ($mid_save killed during a save)"
