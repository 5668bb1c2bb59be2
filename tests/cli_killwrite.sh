#!/usr/bin/env bash
# cli_killwrite.sh - "nothing lost": kills `bookrec train` with SIGKILL while it replaces a model file X:
# at random points of whole runs, the moment the temp file of the atomic write appears (mid-write), and,
# with strace holding its fsync calls, after the new model is in the temp file but before the rename.
# After every kill, X must still load and predict the same, and be byte-identical to a complete model (training
# is deterministic); the temp files killed runs leave behind must not break a last, complete run.
# The data is a deterministic synthetic ratings file (awk) whose model is ~30 MB, so the write takes a
# while. Exit 0 pass, 1 fail, 77 skip (no CLI).
set -u
CLI=${BOOKREC_CLI:-}
if [ -z "$CLI" ] || [ ! -x "$CLI" ]; then echo "SKIP: BOOKREC_CLI is not set or not executable"; exit 77; fi
if ! "$CLI" train --help >/dev/null 2>&1; then echo "SKIP: this bookrec has no train command"; exit 77; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bookrec-killwrite.XXXXXX")
cleanup() { [ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 40,000 readers x 2-4 ratings, embeddings of 192: a ~30 MB model file, so its write takes a while
awk 'BEGIN { srand(20240611); print "book_id,user_id,rating";
  for (u = 1; u <= 40000; u++) { n = 2 + int(rand() * 3);
    for (k = 0; k < n; k++) { b = 1 + int(rand() * rand() * 2000); r = 1 + int(rand() * 5); print b "," u "," r } } }' \
  > "$work/ratings.csv"
R="$work/ratings.csv"
X="$work/models/model.bkr"
TRAIN=("$CLI" train --arch seed --ratings "$R" --epochs 1 --threads 1 --dim 192 --hidden 8 --out "$X")

# (user, book) pairs the model is asked about after every kill; their answers must not change
awk -F, 'NR > 1 && NR % 5000 == 2 { print $2 "," $1 }' "$R" | sed '1i user_id,book_id' > "$work/pairs.csv"

loads() { # $1: label. The model at X must exist, load and predict, byte-identical to a complete model.
  if [ ! -f "$X" ]; then bad "$1: $X is gone"; return; fi
  if ! "$CLI" predict --model "$X" --pairs "$work/pairs.csv" >"$work/predict.out" 2>&1; then
    bad "$1: $X does not load any more:"; sed 's/^/    /' "$work/predict.out" | tail -5
  elif [ -f "$work/first.predict" ] && ! cmp -s "$work/predict.out" "$work/first.predict"; then
    bad "$1: the model at $X predicts differently"
  fi
  # training is deterministic (same seed and threads), so every complete model is this very file
  if [ -f "$work/first.bkr" ] && ! cmp -s "$X" "$work/first.bkr"; then bad "$1: $X is not byte-identical to a complete model"; fi
}
# moves the temp files a killed run left next to X aside (restored before the last run); prints how many
stash_temps() {
  local n=0 t
  for t in "$X".tmp.*; do [ -e "$t" ] || continue; mv "$t" "$work/stray.$(basename "$t")"; n=$((n + 1)); done
  echo "$n"
}

# the previous model
t0=$(date +%s.%N)
if ! "${TRAIN[@]}" >"$work/first.log" 2>&1; then echo "FAIL: the first training failed:"; tail -5 "$work/first.log"; exit 1; fi
t1=$(date +%s.%N)
loads "first run"
[ "$fail" = 0 ] || exit 1
cp "$X" "$work/first.bkr"
cp "$work/predict.out" "$work/first.predict"
[ "$(wc -l < "$work/first.predict")" -ge 10 ] || { echo "FAIL: too few predictions: $(cat "$work/first.predict")"; exit 1; }
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
size=$(stat -c %s "$X")
echo "a full training run takes ${ms} ms; model ${size} bytes"

# 1) kills at random points over the whole run
RANDOM=4242
kills=0
for i in $(seq 1 10); do
  delay=$((RANDOM % (ms + 50)))
  "${TRAIN[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); state="killed after ${delay} ms"; else state="finished before ${delay} ms"; fi
  wait "$pid" 2>/dev/null
  pid=
  loads "random run $i ($state)"
  left=$(stash_temps)
  [ "$left" -gt 0 ] && echo "random run $i: killed during the model write (temp file left)"
done
echo "random kills: $kills of 10 runs were killed before they finished"

# 2) kills during the model write. (a) the moment the temp file appears (mid-write); (b) with strace
#    holding every fsync for 3 s, so the run is killed with the new model fully written to the temp file
#    but not yet renamed over X. A hit = the run died leaving its temp file, i.e. inside the write.
hits=0
partial=0
killed2=0
for i in $(seq 1 8); do
  "${TRAIN[@]}" >/dev/null 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if compgen -G "$X.tmp.*" >/dev/null; then kill -9 "$pid" 2>/dev/null && killed2=$((killed2 + 1)); break; fi
  done
  wait "$pid" 2>/dev/null
  pid=
  loads "write-time run $i"
  for t in "$X".tmp.*; do [ -e "$t" ] && [ "$(stat -c %s "$t")" -lt "$size" ] && partial=$((partial + 1)); done
  left=$(stash_temps)
  [ "$left" -gt 0 ] && hits=$((hits + 1))
done
echo "(a) killed as the temp file appeared: $hits of 8 runs died inside the write ($partial with the temp file partly written)"
slow=0
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
  for i in 1 2 3; do
    strace -f -o /dev/null -e trace=fsync -e inject=fsync:delay_enter=3000000 "${TRAIN[@]}" >/dev/null 2>&1 &
    spid=$!
    while kill -0 "$spid" 2>/dev/null && ! compgen -G "$X.tmp.*" >/dev/null; do sleep 0.005; done
    sleep 0.5
    pid=$(cat "/proc/$spid/task/$spid/children" 2>/dev/null | awk '{ print $1 }')
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    wait "$spid" 2>/dev/null
    pid=
    loads "fsync-delayed run $i"
    left=$(stash_temps)
    [ "$left" -gt 0 ] && slow=$((slow + 1))
  done
  echo "(b) killed while the fsync of the written temp file was held: $slow of 3 runs"
  [ "$slow" -ge 1 ] || bad "strace is here, yet no run was killed inside its model write"
else
  echo "(b) skipped: strace is not available (or not allowed) here"
fi
hits=$((hits + slow))
if [ "$hits" -lt 1 ]; then echo "note: no run was caught inside its model write on this machine (the write was too fast)"; fi

# 3) leftover temp files must not break later runs: put them back, then train to the end
for t in "$work"/stray.*; do [ -e "$t" ] && mv "$t" "$(dirname "$X")/$(basename "$t" | sed 's/^stray\.//')"; done
stray=$(ls "$X".tmp.* 2>/dev/null | wc -l)
echo "stray temp files next to the model before the last run: $stray"
if ! "${TRAIN[@]}" >"$work/last.log" 2>&1; then bad "a run after the kills failed:"; tail -5 "$work/last.log"; fi
loads "last run"

if [ "$fail" = 0 ]; then echo "PASS: the model survived $((kills + killed2 + slow)) SIGKILLs, $hits of them inside the model write"; exit 0; fi
exit 1
