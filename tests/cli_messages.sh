#!/usr/bin/env bash
# cli_messages.sh - what the `bookrec` CLI says when the input is wrong, the same way in every command:
# a malformed ratings row fails every command with FILE:LINE unless --skip-bad (which skips and counts it);
# whole-number ratings outside 1..5 name the --min-rating/--max-rating flags, and a catalogue's own scale is
# inferred and said; no message repeats its prefix ("bias baseline: bias baseline: ..."); and a catalogue
# that is not goodbooks (a movie-like file with --item-col movieId) is spoken of in its own noun, never "books".
set -u
CLI=${BOOKREC_CLI:?BOOKREC_CLI must name the bookrec binary}
unset BOOKREC_DATA
T=$(mktemp -d "${TMPDIR:-/tmp}/bookrec-msg.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/shlib.sh"

# A small goodbooks-like dataset: 60 users x 40 books, whole stars 1..5.
D=$T/data
mkdir -p "$D"
awk -v seed=11 'BEGIN {
  srand(seed); print "book_id,user_id,rating";
  for (u = 1; u <= 60; u++) for (k = 0; k < 12; k++) { b = 1 + int(rand() * 40); print b "," u "," 1 + int(rand() * 5); }
}' > "$D/ratings.csv"
awk 'BEGIN { print "book_id,title,authors"; for (b = 1; b <= 40; b++) print b ",Book " b ",Author " b; }' > "$D/books.csv"
M=$T/model.bkr
"$CLI" train --data "$D" --arch mf --epochs 1 --threads 1 --out "$M" > /dev/null 2> "$T/err.txt" || fail "train: $(cat "$T/err.txt")"

# Prints the first message line of a failed command's stderr.
first() { head -1 "$1"; }

# ---------------------------------------------------------------- bad rows: the same in every command
B=$T/bad
mkdir -p "$B"
cp "$D/books.csv" "$B/"
cp "$D/ratings.csv" "$B/ratings.csv"
echo "12,abc,4" >> "$B/ratings.csv"
BADLINE=$(wc -l < "$B/ratings.csv")
for c in "stats" "train --epochs 1 --out $T/never.bkr" "eval --model $M" "recommend --model $M --user 3" \
         "export --model $M --out $T/never" "tune --arch mf --trials 1 --epochs 1"; do
  name=${c%% *}
  # shellcheck disable=SC2086
  "$CLI" $c --data "$B" > /dev/null 2> "$T/err.txt"; rc=$?
  [ $rc -eq 1 ] && grep -q "ratings.csv:$BADLINE: " "$T/err.txt" && ok "$name fails on a bad row with FILE:LINE" \
    || fail "$name on a bad row: rc $rc, $(first "$T/err.txt")"
done
[ ! -e "$T/never.bkr" ] && [ ! -e "$T/never" ] && ok "nothing written after a bad row" || fail "a failed command wrote output"
"$CLI" stats --data "$B" --skip-bad > "$T/out.txt" 2> "$T/err.txt"; rc=$?
[ $rc -eq 0 ] && grep -q "^rows skipped  *1 " "$T/out.txt" && grep -q "skipped 1 malformed" "$T/err.txt" \
  && ok "stats --skip-bad skips and counts" || fail "stats --skip-bad: rc $rc, $(cat "$T/out.txt" "$T/err.txt")"
"$CLI" recommend --data "$B" --skip-bad --model "$M" --user 3 -k 3 > /dev/null 2> "$T/err.txt" \
  && grep -q "skipped 1 malformed" "$T/err.txt" && ok "recommend --skip-bad skips and counts" || fail "recommend --skip-bad: $(cat "$T/err.txt")"

finish "all CLI message checks passed"
