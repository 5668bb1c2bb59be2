#!/usr/bin/env bash
# cli_eval_cap.sh - regression test of `bookrec eval` on a catalogue where every user qualifies as a new reader
# (610 users, each with 20..27 ratings; generated here, never committed): the new-reader hold-out is capped at
# 20% of the users (122), so the other users still train and eval ends with its table; the core's message is
# printed with its prefix once. Not a quality test: the ratings are arithmetic, not tastes.
set -u
. "$(dirname "$0")/shlib.sh"
scratch cap

# 610 users x (20 + u % 8) ratings over 300 books; ratings depend on user and book so they are not constant
mkdir -p "$T/d"
awk 'BEGIN { print "book_id,user_id,rating"
  for (u = 1; u <= 610; u++) for (q = 0; q < 20 + u % 8; q++) {
    b = 1 + (u * 7 + q * 13) % 300; printf "%d,%d,%d\n", b, u, 1 + (u + 3 * b) % 5 } }' > "$T/d/ratings.csv"

"$CLI" eval --data "$T/d" --all --archs mf --threads 1 > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] && ok "eval --all on 610 users all with >= 20 ratings" || { fail "eval exited $rc"; cat "$T/err" >&2; }
grep -q '122 new readers held out' "$T/err" && ok "hold-out capped at 20% of the users (122)" \
  || fail "no cap warning: $(grep -i 'readers' "$T/err" | head -3)"
grep -q '^mf (--all)' "$T/out" && ok "the table has the trained row" || fail "no mf (--all) row"
grep -q 'no training ratings' "$T/err" && fail "a part was left without training ratings"

# too few users to hold anyone out: a clear error, the core's prefix printed once
awk 'BEGIN { print "book_id,user_id,rating"; for (u = 1; u <= 4; u++) for (b = 1; b <= 25; b++) printf "%d,%d,%d\n", b, u, 1 + (u + b) % 5 }' \
  > "$T/d/ratings.csv"
"$CLI" eval --data "$T/d" --all --archs mf --threads 1 > /dev/null 2> "$T/err2"
[ $? -eq 1 ] && ok "4 users: refused" || fail "4 users: not refused with status 1"
grep -q 'too few to hold any reader out' "$T/err2" && ok "4 users: says why" || fail "4 users: $(cat "$T/err2")"
if grep -Eq '([a-z -]+): \1:' "$T/err2"; then fail "doubled prefix: $(cat "$T/err2")"; else ok "no doubled prefix"; fi

finish "all ok"
