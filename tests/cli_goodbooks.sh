#!/usr/bin/env bash
# cli_goodbooks.sh - integration test on the real goodbooks-10k data (skipped, exit 77, when
# $BOOKREC_SHARED_DATA/ratings.csv is absent): `bookrec stats` reports the 981,756 rows and 2,209 merged
# duplicates, and the tutorial's seed model trained for one epoch on 2 threads reaches test RMSE < 0.90
# (read from the training history JSON); the default mf model beats the user+book bias baseline's test RMSE.
set -u
. "$(dirname "$0")/shlib.sh"
need_goodbooks
scratch gb

"$CLI" stats --data "$DATA" > "$T/stats.txt" 2>&1 || fail "stats: $(cat "$T/stats.txt")"
cat "$T/stats.txt"
grep -E "^rows " "$T/stats.txt" | tr -d , | grep -qE " 981756$" || fail "stats rows: $(grep '^rows' "$T/stats.txt")"
grep -E "^duplicates " "$T/stats.txt" | tr -d , | grep -qE "^duplicates +2209 " || fail "stats duplicates: $(grep '^duplicates' "$T/stats.txt")"

"$CLI" train --data "$DATA" --arch seed --epochs 1 --threads 2 --out "$T/model.bkr" > "$T/train.txt" 2> "$T/train.err" \
  || fail "train: $(cat "$T/train.err")"
cat "$T/train.err" "$T/train.txt"
RMSE=$(node -e "const j=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')); console.log(j.final.test_rmse)" "$T/model.history.json")
echo "test RMSE after 1 epoch: $RMSE"
node -e "process.exit(Number(process.argv[1]) < 0.90 ? 0 : 1)" "$RMSE" || fail "test RMSE $RMSE is not < 0.90"

# the default model (mf) must beat the user+book bias baseline on the same split (issue: better models)
"$CLI" train --data "$DATA" --threads 2 --out "$T/mf.bkr" > /dev/null 2> "$T/mf.err" || fail "mf train: $(cat "$T/mf.err")"
"$CLI" eval --data "$DATA" --model "$T/mf.bkr" --no-rank --report "$T/eval" > "$T/eval.txt" 2>&1 \
  || fail "eval: $(cat "$T/eval.txt")"
cat "$T/eval.txt"
node -e "const j=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8'));
  const bias=j.rows.find(r=>/bias/.test(r.name)), mf=j.rows.find(r=>/^mf/.test(r.name));
  if (!bias || !mf) throw new Error('rows: '+j.rows.map(r=>r.name));
  console.log('mf test RMSE', mf.rmse, 'bias', bias.rmse);
  process.exit(mf.rmse < bias.rmse ? 0 : 1);" "$T/eval.json" || fail "mf does not beat the bias baseline"

finish "goodbooks CLI checks passed"
