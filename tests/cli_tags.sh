#!/usr/bin/env bash
# cli_tags.sh - end-to-end test of `bookrec train --tags DIR` on the small goodbooks-like fixture with generated
# book_tags.csv / tags.csv (CRLF, as goodbooks ships them): shelf names are dropped and counted, the kept tags
# are reported and recorded in the history JSON, the trained model loads and predicts; a malformed book_tags
# row is an error naming file and line; --tags with the seed arch is a usage error.
set -u
. "$(dirname "$0")/shlib.sh"
need_fixture
scratch tags

# tags: 0 to-read (a shelf name, on every book), 1..4 genre-like tags, book b gets tag 1 + b % 4 and 1 + (b+1) % 4
mkdir -p "$T/tags"
printf 'tag_id,tag_name\r\n0,to-read\r\n1,fantasy\r\n2,mystery\r\n3,romance\r\n4,history\r\n' > "$T/tags/tags.csv"
awk -F, 'NR > 1 { printf "%s,0,900\r\n%s,%d,%d\r\n%s,%d,%d\r\n", $2, $2, 1 + $1 % 4, 50 + $1 % 7, $2, 1 + ($1 + 1) % 4, 10 }' \
  "$D/books.csv" > "$T/body.csv"
{ printf 'goodreads_book_id,tag_id,count\r\n'; cat "$T/body.csv"; } > "$T/tags/book_tags.csv"

"$CLI" train --data "$D" --arch mf --dim 8 --epochs 3 --patience 0 --threads 1 --tags "$T/tags" \
  --out "$T/m/model.bkr" > "$T/train.out" 2> "$T/train.err"
rc=$?
if [ $rc -ne 0 ]; then fail "train --tags exited $rc"; cat "$T/train.err" >&2; fi
grep -q 'tags: 4 kept' "$T/train.err" && ok "4 tags kept" || fail "expected 'tags: 4 kept' in: $(grep tags: "$T/train.err")"
grep -q '1 shelf-name tags dropped (to-read' "$T/train.err" && ok "to-read dropped" || fail "to-read not reported dropped"
grep -q '"n_tags":[[:space:]]*4' "$T/m/model.history.json" && ok "history records n_tags 4" || fail "history lacks n_tags 4"
uid=$(awk -F, 'NR == 2 { print $2 }' "$D/ratings.csv")
bid=$(awk -F, 'NR == 2 { print $1 }' "$D/ratings.csv")
head -1 "$D/ratings.csv" | grep -q '^book_id,user_id' || { uid=$(awk -F, 'NR == 2 { print $1 }' "$D/ratings.csv"); bid=$(awk -F, 'NR == 2 { print $2 }' "$D/ratings.csv"); }
printf 'user_id,book_id\n%s,%s\n' "$uid" "$bid" > "$T/pairs.csv"
if "$CLI" predict --model "$T/m/model.bkr" --pairs "$T/pairs.csv" > "$T/pred.out" 2> "$T/pred.err" &&
   grep -Eq '[1-5]\.[0-9]' "$T/pred.out"; then ok "tag model loads and predicts"
else fail "predict with the tag model: $(cat "$T/pred.err")"; fi

# malformed row on line 3 of book_tags.csv
mkdir -p "$T/bad"
cp "$T/tags/tags.csv" "$T/bad/"
{ printf 'goodreads_book_id,tag_id,count\r\n'; head -1 "$T/body.csv"; printf '12,x,3\r\n'; } > "$T/bad/book_tags.csv"
"$CLI" train --data "$D" --arch mf --dim 8 --epochs 1 --patience 0 --tags "$T/bad" --out "$T/b/model.bkr" \
  > /dev/null 2> "$T/bad.err"
rc=$?
[ $rc -ne 0 ] && grep -q 'book_tags.csv:3:' "$T/bad.err" && ok "malformed row named with file:line" ||
  fail "malformed book_tags row: rc $rc, $(cat "$T/bad.err" | tail -1)"
[ -e "$T/b/model.bkr" ] && fail "a model was written after a tag error"

"$CLI" train --data "$D" --arch seed --tags "$T/tags" --out "$T/s/model.bkr" > /dev/null 2> "$T/seed.err"
rc=$?
[ $rc -eq 2 ] && grep -q 'needs --arch mf or ncf' "$T/seed.err" && ok "--tags with seed is a usage error" ||
  fail "--tags --arch seed: rc $rc, $(tail -1 "$T/seed.err")"

finish "cli_tags: all checks passed"
