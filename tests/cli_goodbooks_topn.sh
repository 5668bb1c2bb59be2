#!/usr/bin/env bash
# cli_goodbooks_topn.sh - reader-trust test of the model `npm start` ships (EASE with bookrec's defaults) on the
# real goodbooks-10k data (skipped, exit 77, without $BOOKREC_SHARED_DATA/ratings.csv). It reads the lists as a
# reader would: a fantasy reader (The Hobbit, Harry Potter, The Name of the Wind, The Final Empire 5 stars, A Game
# of Thrones 4) gets the Kingkiller and Mistborn sequels near the top, each recommendation explained by books they
# rated; Pride and Prejudice's similar books are Austen's and the Brontës'; the held-out readers' NDCG@10 stays
# above a floor; and the persona suite's mean on-taste share stays above its floor (--min-share).
set -u
. "$(dirname "$0")/shlib.sh"
need_goodbooks
scratch gbt

M=$T/ease.bkr
"$CLI" train --arch ease --data "$DATA" --out "$M" > "$T/train.out" 2> "$T/train.err" || fail "train --arch ease: $(cat "$T/train.err")"
cat "$T/train.out"
json "${M%.bkr}.history.json" 'if (!(j.final.new_reader_ndcg10 >= 0.30) || !j.final.calibrated) { console.error(JSON.stringify(j.final)); process.exit(1); }' \
  || fail "held-out readers' NDCG@10 >= 0.30 with a match calibration"

# the fantasy reader
"$CLI" recommend --model "$M" --data "$DATA" --rate 7:5,2:5,192:5,389:5,39:4 -k 10 --explain > "$T/fantasy.out" 2>&1 \
  || fail "recommend: $(cat "$T/fantasy.out")"
cat "$T/fantasy.out"
TOP=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2}' "$T/fantasy.out")
echo "$TOP" | head -3 | grep -qx 307 || fail "The Wise Man's Fear (307) is not in the fantasy reader's top 3"
[ "$(echo "$TOP" | grep -cxE '565|603|562')" -ge 2 ] || fail "fewer than two of Mistborn #2, #3 and The Way of Kings in the top 10"
[ "$(grep -c 'because you liked' "$T/fantasy.out")" -ge 8 ] || fail "most recommendations are not explained"
grep 'because you liked' "$T/fantasy.out" | grep -vqE "The Hobbit|Harry Potter and the Sorcerer|The Name of the Wind|The Final Empire|A Game of Thrones" \
  && fail "an explanation names a book the reader did not rate"
grep -q "match" "$T/fantasy.out" || fail "no match column"

# Pride and Prejudice's neighbours
"$CLI" similar --model "$M" --data "$DATA" --book 10 -k 5 > "$T/pp.out" 2>&1 || fail "similar: $(cat "$T/pp.out")"
cat "$T/pp.out"
[ "$(awk '$1 ~ /^[0-9]+$/ {print $2}' "$T/pp.out" | grep -cxE '43|76|63|171|230')" -ge 3 ] \
  || fail "fewer than three of Jane Eyre, Sense and Sensibility, Wuthering Heights, Emma, Persuasion among Pride and Prejudice's 5 nearest"

# the persona suite, with its floor
"$CLI" eval --personas --model "$M" --data "$DATA" --min-share 0.7 > "$T/personas.out" 2>&1 \
  || fail "persona suite below its floor: $(grep -iE 'mean share|below' "$T/personas.out")"
grep -iE "mean share" "$T/personas.out"
finish "cli_goodbooks_topn: all checks passed"
