#!/usr/bin/env bash
# cli_topn.sh - end-to-end test of the top-N models (EASE, iALS) in the `bookrec` CLI on a small catalogue made here with awk
# (three tastes: readers love the books of their taste and dislike the others): train --arch ease (held-out
# readers, match calibration, history JSON), --curve, recommend for a dataset reader and for new readers given
# with --rate and --rated (same list either way; rated books left out; lists follow the taste; --explain names
# only rated books), similar books from the same taste, export (version 2 model parts, no projector files without
# vectors), eval --all --archs ease, and the failure paths: bad --rate, a --rated file with a bad line (FILE:LINE),
# --explain with a rating model.
set -u
. "$(dirname "$0")/shlib.sh"
scratch topn

D=$T/data
three_tastes "$D" 11 400 90 22

M=$T/ease.bkr
if "$CLI" train --arch ease --data "$D" --dim 8 --lambda 20 --held-out 40 --out "$M" > "$T/train.out" 2> "$T/train.err"; then
  ok "train --arch ease"
else
  fail "train --arch ease: $(cat "$T/train.err")"
fi
grep -q "held-out new readers" "$T/train.out" || fail "train prints the held-out readers' figures"
json "${M%.bkr}.history.json" 'if (j.config.arch !== "ease" || j.config.dim !== 8 || !(j.final.new_reader_ndcg10 > 0.3)) { console.error(JSON.stringify(j.final)); process.exit(1); }' \
  || fail "history JSON: arch ease, dim 8, held-out NDCG@10 > 0.3 on three clean tastes"
[ "$(head -c 12 "$M" | tail -c 4 | od -An -tu4 | tr -d ' ')" = 2 ] || fail "an EASE model file is format version 2"

"$CLI" train --arch ease --data "$D" --held-out 40 --curve 2,8,30 > "$T/curve.out" 2>&1 || fail "--curve: $(cat "$T/curve.out")"
[ "$(grep -cE '^ +(2|8|30) ' "$T/curve.out")" = 3 ] || fail "--curve prints one line per K: $(cat "$T/curve.out")"

# a Fantasy reader (genre[(b % 3) + 1]: b % 3 == 0 is Fantasy) who disliked a Crime book
"$CLI" recommend --model "$M" --data "$D" --rate 3:5,6:5,9:4,12:5,4:1 -k 5 --explain > "$T/rate.out" 2> "$T/rate.err" \
  || fail "recommend --rate: $(cat "$T/rate.err")"
printf 'book_id,rating\n3,5\n6,5\n9,4\n12,5\n4,1\n' > "$T/rated.csv"
"$CLI" recommend --model "$M" --data "$D" --rated "$T/rated.csv" -k 5 --explain > "$T/rated.out" 2>&1 || fail "recommend --rated"
cmp -s "$T/rate.out" "$T/rated.out" || fail "--rate and --rated give different lists"
LIST=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2}' "$T/rate.out")
[ "$(echo "$LIST" | wc -w)" = 5 ] || fail "five books listed: $(cat "$T/rate.out")"
for b in $LIST; do
  case " 3 6 9 12 4 " in *" $b "*) fail "rated book $b recommended";; esac
  [ $((b % 3)) = 0 ] || fail "book $b is off the reader's taste (Fantasy: b % 3 == 0)"
done
grep -q "match" "$T/rate.out" || fail "a calibrated model shows the match"
grep "because you liked" "$T/rate.out" | grep -vqE "Fantasy Book (3|6|9|12)\b" && fail "--explain names an unrated book: $(grep because "$T/rate.out")"
grep -q "because you liked" "$T/rate.out" || fail "--explain prints the reasons"

"$CLI" recommend --model "$M" --data "$D" --user 3 -k 5 > "$T/user.out" 2>&1 || fail "recommend --user: $(cat "$T/user.out")"
"$CLI" similar --model "$M" --data "$D" --book 6 -k 3 > "$T/sim.out" 2>&1 || fail "similar: $(cat "$T/sim.out")"
for b in $(awk '$1 ~ /^[0-9]+$/ {print $2}' "$T/sim.out"); do [ $((b % 3)) = 0 ] || fail "similar to 6: book $b"; done

"$CLI" export --model "$M" --data "$D" --out "$T/exp" > "$T/export.out" 2>&1 || fail "export: $(cat "$T/export.out")"
[ -s "$T/exp/model-items.bkr" ] && [ -s "$T/exp/model-users.bkr" ] || fail "export writes both model parts"
[ -e "$T/exp/vecs.tsv" ] && fail "an EASE export has no vecs.tsv without --vectors"
grep -q "top-10 lists" "$T/export.out" || fail "export checks the quantised lists: $(cat "$T/export.out")"

"$CLI" eval --data "$D" --all --archs ease,ease4,ials8 --seeds 1 --new-readers 30 --threads 1 --report "$T/rep" > "$T/eval.out" 2>&1 \
  || fail "eval --archs ease: $(tail -5 "$T/eval.out")"
json "$T/rep.json" 'const rows = j.rows || j.table?.rows || []; const names = JSON.stringify(j); if (!names.includes("ease (--all)") || !names.includes("ease4 (--all)") || !names.includes("ials8 (--all)")) process.exit(1);' \
  || fail "eval report has the ease and ials rows"

# iALS: the same reader, the same taste; its export has book vectors for the projector
"$CLI" train --arch ials --data "$D" --dim 8 --held-out 40 --threads 2 --out "$T/ials.bkr" > "$T/ials.out" 2>&1 \
  || fail "train --arch ials: $(cat "$T/ials.out")"
json "$T/ials.history.json" 'if (j.config.arch !== "ials" || !(j.final.new_reader_ndcg10 > 0.3)) { console.error(JSON.stringify(j.final)); process.exit(1); }' \
  || fail "iALS history JSON: arch ials, held-out NDCG@10 > 0.3"
"$CLI" recommend --model "$T/ials.bkr" --data "$D" --rate 3:5,6:5,9:4,12:5,4:1 -k 5 > "$T/ials-rate.out" 2>&1 || fail "recommend with iALS"
for b in $(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2}' "$T/ials-rate.out"); do
  [ $((b % 3)) = 0 ] || fail "iALS: book $b is off the reader's taste"
done
"$CLI" export --model "$T/ials.bkr" --data "$D" --out "$T/iexp" > /dev/null 2>&1 || fail "export iALS"
[ -s "$T/iexp/vecs.tsv" ] || fail "an iALS export writes vecs.tsv"

# a catalogue past 30,000 books: --arch ease trains iALS instead and says so
awk 'BEGIN { srand(5); print "book_id,user_id,rating"; for (b = 1; b <= 30001; b++) print b "," (1 + b % 1500) "," (1 + b % 5);
  for (u = 1; u <= 1500; u++) for (k = 0; k < 20; k++) print (1 + int(rand() * 30001)) "," u "," (1 + int(rand() * 5)) }' > "$T/big.csv"
"$CLI" train --arch ease --ratings "$T/big.csv" --dim 4 --epochs 2 --held-out 20 --out "$T/big.bkr" > "$T/big.out" 2> "$T/big.err" \
  || fail "train --arch ease on 30,001 books: $(cat "$T/big.err")"
grep -q "training iALS instead" "$T/big.err" || fail "past 30,000 books EASE gives way to iALS and says so: $(cat "$T/big.err")"
json "$T/big.history.json" 'if (j.config.arch !== "ials") process.exit(1)' || fail "the 30,001-book model is iALS"

# failure paths
"$CLI" recommend --model "$M" --data "$D" --rate 3=5 > /dev/null 2> "$T/e1" && fail "bad --rate accepted"
grep -q "ID:RATING" "$T/e1" || fail "bad --rate message: $(cat "$T/e1")"
printf 'book_id,rating\n3,5\n6,five\n' > "$T/bad.csv"
"$CLI" recommend --model "$M" --data "$D" --rated "$T/bad.csv" > /dev/null 2> "$T/e2" && fail "bad --rated accepted"
grep -q "bad.csv:3:" "$T/e2" || fail "bad --rated names FILE:LINE: $(cat "$T/e2")"
"$CLI" train --arch mf --data "$D" --epochs 1 --out "$T/mf.bkr" > /dev/null 2>&1 || fail "train mf"
"$CLI" recommend --model "$T/mf.bkr" --data "$D" --rate 3:5 --explain > /dev/null 2> "$T/e3" && fail "--explain with mf accepted"
grep -q "EASE" "$T/e3" || fail "--explain with mf names what is needed: $(cat "$T/e3")"
finish "cli_topn: all checks passed"
