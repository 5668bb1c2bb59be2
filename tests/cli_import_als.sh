#!/usr/bin/env bash
# cli_import_als.sh - end-to-end test of `bookrec import-als` on factor files laid out exactly as Spark MLlib's ALS
# writes them (model.itemFactors.write.json(DIR): a directory of part-*-c000.json files of JSON lines
# {"id":...,"features":[...]}, with _SUCCESS and .crc files beside them), made from a model bookrec trains itself on a
# small catalogue generated here with awk (`bookrec export --als-json`, then split into two part files with some ids
# written as strings). The imported model must give the same top-10 as the original for new readers (--rate) and
# for dataset readers (--user), export as it is, and take its readers' order from --ratings; Spark's settings (the
# default) give a model too. Failure paths: a book without factors (a warning with a count; --strict: an error), a
# wrong dimension, a malformed line, a duplicate id, factors of a book not in the books file, an empty directory,
# compressed part files, bad flags: each names the file and line.
set -u
. "$(dirname "$0")/shlib.sh"
scratch importals

D=$T/data
three_tastes "$D" 5 300 60 18

M=$T/orig.bkr
"$CLI" train --arch ials --data "$D" --dim 12 --held-out 30 --out "$M" > "$T/train.out" 2>&1 \
  || fail "train --arch ials: $(cat "$T/train.out")"
"$CLI" export --model "$M" --data "$D" --out "$T/exp" --als-json "$T/als" > "$T/export.out" 2>&1 \
  || fail "export --als-json: $(cat "$T/export.out")"
[ -f "$T/als/itemFactors/_SUCCESS" ] && [ -s "$T/als/userFactors/part-00000.json" ] || fail "--als-json writes both tables"

# Spark's layout: the book table cut into two part files, ids 7 and 22 as strings, bookkeeping files beside them
S=$T/spark
mkdir -p "$S/itemFactors" "$S/userFactors"
P0=part-00000-5e1c0f2a-9b7d-4c3e-8a61-0d2f3b4c5d6e-c000.json
P1=part-00001-5e1c0f2a-9b7d-4c3e-8a61-0d2f3b4c5d6e-c000.json
sed -e 's/^{"id":7,/{"id":"7",/' -e 's/^{"id":22,/{"id":"22",/' "$T/als/itemFactors/part-00000.json" > "$T/items.jsonl"
head -n 25 "$T/items.jsonl" > "$S/itemFactors/$P0"
tail -n +26 "$T/items.jsonl" > "$S/itemFactors/$P1"
cp "$T/als/userFactors/part-00000.json" "$S/userFactors/$P0"
for t in itemFactors userFactors; do
  : > "$S/$t/_SUCCESS"; echo crc > "$S/$t/._SUCCESS.crc"; echo crc > "$S/$t/.$P0.crc"
done
grep -q '"id":"7"' "$S/itemFactors/$P0" "$S/itemFactors/$P1" || fail "the test data has a string id"

# bookrec's own fold-in settings (the defaults bookrec train used), so the lists must be the same
BR="--lambda 0.001 --reg-exp 1 --alpha 10 --weights 0,0,0.5,1,1"
I=$T/imported.bkr
# shellcheck disable=SC2086
if "$CLI" import-als --data "$D" --items "$S/itemFactors" --users "$S/userFactors" $BR -o "$I" > "$T/imp.out" 2> "$T/imp.err"; then
  ok "import-als of two part files"
else
  fail "import-als: $(cat "$T/imp.err")"
fi
grep -q "imported 60 books and 300 readers, 12 factors each, from 2 + 1 files" "$T/imp.out" \
  || fail "import-als says what it read: $(cat "$T/imp.out")"
[ -s "$T/imp.err" ] && fail "a clean import warns: $(cat "$T/imp.err")"

ids() { awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2}' "$1" | tr '\n' ' '; }
for rate in 3:5,6:5,9:4,12:5,4:1 1:5,4:5,7:4 2:5,5:4,8:5,11:5,14:4,3:1; do
  "$CLI" recommend --model "$M" --data "$D" --rate "$rate" -k 10 > "$T/a.out" 2>&1 || fail "recommend original: $(cat "$T/a.out")"
  "$CLI" recommend --model "$I" --data "$D" --rate "$rate" -k 10 > "$T/b.out" 2>&1 || fail "recommend imported: $(cat "$T/b.out")"
  A=$(ids "$T/a.out"); B=$(ids "$T/b.out")
  [ "$(echo "$A" | wc -w)" = 10 ] || fail "ten books for --rate $rate: $(cat "$T/a.out")"
  [ "$A" = "$B" ] || fail "--rate $rate: original top-10 [$A], imported [$B]"
done
for u in 3 100 299; do
  "$CLI" recommend --model "$M" --data "$D" --user $u -k 10 > "$T/a.out" 2>&1 || fail "recommend --user $u: $(cat "$T/a.out")"
  "$CLI" recommend --model "$I" --data "$D" --user $u -k 10 > "$T/b.out" 2>&1 || fail "recommend --user $u imported"
  [ "$(ids "$T/a.out")" = "$(ids "$T/b.out")" ] || fail "--user $u: [$(ids "$T/a.out")] vs [$(ids "$T/b.out")]"
done
ok "the imported model recommends the original's top-10 (3 new readers, 3 dataset readers)"

"$CLI" export --model "$I" --data "$D" --out "$T/exp2" > "$T/export2.out" 2>&1 || fail "export of the imported model: $(cat "$T/export2.out")"
[ -s "$T/exp2/model-items.bkr" ] && [ -s "$T/exp2/model-users.bkr" ] && [ -s "$T/exp2/vecs.tsv" ] \
  || fail "export writes the site's files for the imported model"
json "$T/exp2/manifest.json" 'if (j.model.arch !== "ials" || j.model.dim !== 12 || j.model.n_items !== 60) { console.error(JSON.stringify(j.model)); process.exit(1); }' \
  || fail "manifest: arch ials, dim 12, 60 books"

# --ratings: the readers in the ratings' order (ids kept); Spark's settings (the default) also give a model
# shellcheck disable=SC2086
"$CLI" import-als --data "$D" --ratings "$D/ratings.csv" --items "$S/itemFactors" --users "$S/userFactors" $BR -o "$T/r.bkr" \
  > "$T/r.out" 2>&1 || fail "import-als --ratings: $(cat "$T/r.out")"
"$CLI" recommend --model "$T/r.bkr" --data "$D" --user 100 -k 10 > "$T/b.out" 2>&1 || fail "recommend --user with --ratings"
"$CLI" recommend --model "$M" --data "$D" --user 100 -k 10 > "$T/a.out" 2>&1
[ "$(ids "$T/a.out")" = "$(ids "$T/b.out")" ] || fail "--ratings: reader 100 gets another list"
"$CLI" import-als --data "$D" --items "$S/itemFactors" --users "$S/userFactors" -o "$T/spark.bkr" > "$T/s.out" 2>&1 \
  || fail "import-als with Spark's settings: $(cat "$T/s.out")"
grep -q "confidence 1 + 1 w(r), w = 1,2,3,4,5 on 1..5; L2 0.1 x the reader's ratings (Spark)" "$T/s.out" \
  || fail "Spark's defaults: alpha 1, w(r) = r, regParam 0.1 per rating: $(cat "$T/s.out")"
"$CLI" recommend --model "$T/spark.bkr" --data "$D" --rate 3:5,6:5,9:4 -k 5 > "$T/b.out" 2>&1 || fail "recommend, Spark settings"

# bad inputs: each says what and where
bad() { # bad NAME EXPECTED-TEXT ARGS...: import-als must exit 1 and say EXPECTED-TEXT
  local name=$1 want=$2; shift 2
  if "$CLI" import-als --data "$D" "$@" -o "$T/bad.bkr" > "$T/bad.out" 2>&1; then
    fail "$name: accepted"
  elif ! grep -qF -- "$want" "$T/bad.out"; then
    fail "$name: expected '$want', got: $(cat "$T/bad.out")"
  fi
  [ -e "$T/bad.bkr" ] && fail "$name: a model was written"
}
mk() { rm -rf "$T/x"; cp -r "$S" "$T/x"; }

mk; sed -i '/^{"id":"22",/d' "$T/x/itemFactors/$P0"
"$CLI" import-als --data "$D" --items "$T/x/itemFactors" --users "$T/x/userFactors" -o "$T/miss.bkr" > "$T/miss.out" 2>&1 \
  || fail "a book without factors is a warning: $(cat "$T/miss.out")"
grep -q "1 of the 60 books in .*books.csv have no factors and are left out of the model (22)" "$T/miss.out" \
  || fail "the warning counts and names the book: $(cat "$T/miss.out")"
grep -q "imported 59 books" "$T/miss.out" || fail "59 books imported"
bad "--strict, a book without factors" "1 of the 60 books in $D/books.csv have no factors (22) (--strict)" \
  --strict --items "$T/x/itemFactors" --users "$T/x/userFactors"

mk; awk 'NR == 17 { sub(/,[^,]*\]}$/, "]}") } { print }' "$S/itemFactors/$P1" > "$T/x/itemFactors/$P1"
bad "wrong dimension" "$T/x/itemFactors/$P1:17: features has 11 values, expected 12 (as at $T/x/itemFactors/$P0:1)" \
  --items "$T/x/itemFactors" --users "$T/x/userFactors"

mk; awk 'NR == 4 { print "{\"id\": 12, \"features\": [0.1, 0.2"; next } { print }' "$S/userFactors/$P0" > "$T/x/userFactors/$P0"
bad "malformed line" "$T/x/userFactors/$P0:4: not a JSON object" --items "$T/x/itemFactors" --users "$T/x/userFactors"

mk; sed -n 3p "$S/itemFactors/$P0" >> "$T/x/itemFactors/$P1"
DUP=$(sed -n 3p "$S/itemFactors/$P0" | sed 's/^{"id":"\{0,1\}\([0-9]*\).*/\1/')
bad "duplicate id" "$T/x/itemFactors/$P1:$(wc -l < "$T/x/itemFactors/$P1"): book $DUP appears twice (first at $T/x/itemFactors/$P0:3)" \
  --items "$T/x/itemFactors" --users "$T/x/userFactors"

mk; echo '{"id": 9999, "features": [0,0,0,0,0,0,0,0,0,0,0,0]}' >> "$T/x/itemFactors/$P1"
bad "a book not in the books file" "book 9999 has factors but is not in $D/books.csv (1 such books)" \
  --items "$T/x/itemFactors" --users "$T/x/userFactors"

mk; echo '{"id": 3.5, "features": [0,0,0,0,0,0,0,0,0,0,0,0]}' >> "$T/x/itemFactors/$P1"
bad "a fractional id" "id 3.5 is not an integer" --items "$T/x/itemFactors" --users "$T/x/userFactors"

mk; rm "$T/x/itemFactors/"part-*
bad "no part files" "no part-* files in the directory" --items "$T/x/itemFactors" --users "$T/x/userFactors"
mk; gzip "$T/x/itemFactors/$P1"
bad "compressed part files" "compressed part files are not read" --items "$T/x/itemFactors" --users "$T/x/userFactors"
bad "no --users" "needs --items PATH and --users PATH" --items "$S/itemFactors"
bad "both scalings" "not both" --items "$S/itemFactors" --users "$S/userFactors" --lambda 0.01 --reg-param 0.1
bad "bad weights" "--weights expects 5 numbers" --items "$S/itemFactors" --users "$S/userFactors" --weights 1,2,-3,4,5
mk; awk '{ sub(/,[^,]*\]}$/, "]}") } { print }' "$S/userFactors/$P0" > "$T/x/userFactors/$P0"
bad "a reader table of another dimension" "the book factors have 12 values ($T/x/itemFactors/$P0:1), the reader factors 11" \
  --items "$T/x/itemFactors" --users "$T/x/userFactors"
"$CLI" import-als --data "$D" --items "$S/itemFactors" --users "$T/als/userFactors/part-00000.json" -o "$T/one.bkr" \
  > "$T/one.out" 2>&1 || fail "a single JSON-lines file: $(cat "$T/one.out")"

finish "import-als: all checks passed"
