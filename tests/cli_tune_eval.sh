#!/usr/bin/env bash
# cli_tune_eval.sh - end-to-end test of `bookrec tune` and the ranking part of `bookrec eval` on the small
# goodbooks-like fixture (tests/fixtures/goodbooks-mini): tune prints one table row per combination and the
# best flags, --trials samples, --out writes parseable JSON; eval --all --report writes ONE table (Markdown
# and JSON) with RMSE/MAE and the ranking columns for dataset users and new readers, the same figures on a
# second run (determinism), the new-reader protocol's variants (5, 10, loved-only) with mean, sd, min and max over
# reader seeds and the mean popularity rank, and bad flags are usage errors. Not a quality test: the fixture is tiny.
set -u
. "$(dirname "$0")/shlib.sh"
need_fixture
scratch tune

# ---------------------------------------------------------------- tune
"$CLI" tune --data "$D" --arch mf --lr 0.003,0.01 --l2 0.05 --dim 8 --epochs 8 --patience 2 --threads 2 \
  --out "$T/tune.json" > "$T/tune.txt" 2> "$T/tune.err"
rc=$?
[ $rc -eq 0 ] || { fail "tune exited $rc"; cat "$T/tune.err" >&2; }
rows=$(grep -c '^| 0\.0' "$T/tune.txt")
[ "$rows" = 2 ] && ok "tune: one row per combination" || fail "tune: expected 2 rows, got $rows"
grep -q 'best by validation rmse: bookrec train --arch mf --dim 8' "$T/tune.txt" && ok "tune: best flags printed" \
  || fail "tune: no best flags line"
grep -q 'test part unused' "$T/tune.err" && ok "tune: says the test part is unused" || fail "tune: no test-part note"
n=$(json "$T/tune.json" 'console.log(j.runs.length)')
[ "$n" = 2 ] && ok "tune: JSON has 2 runs" || fail "tune: JSON runs = $n"
json "$T/tune.json" 'for (const r of j.runs) if (!(r.valid_rmse > 0 && r.valid_rmse < 2 && r.best_epoch >= 1)) process.exit(1)' \
  && ok "tune: validation RMSE and best epoch in range" || fail "tune: bad validation figures"

"$CLI" tune --data "$D" --arch mf --lr 0.003,0.01 --l2 0.02,0.05 --dim 8 --epochs 3 --trials 1 --threads 1 \
  > "$T/tune1.txt" 2> /dev/null || fail "tune --trials 1 failed"
rows=$(grep -c '^| 0\.0' "$T/tune1.txt")
[ "$rows" = 1 ] && ok "tune --trials 1: one run" || fail "tune --trials 1: $rows rows"

"$CLI" tune --data "$D" --arch nope > /dev/null 2>&1
[ $? -eq 2 ] && ok "tune: unknown --arch is a usage error" || fail "tune: unknown --arch not a usage error"
"$CLI" tune --data "$D" --lr 0.01,abc > /dev/null 2>&1
[ $? -eq 2 ] && ok "tune: bad --lr list is a usage error" || fail "tune: bad --lr list not a usage error"

# ---------------------------------------------------------------- eval with ranking
run_eval() {
  "$CLI" eval --data "$D" --all --archs mf --new-readers 40 --new-reader-min 20 --foldin-ratings 10 --threads 2 \
    --report "$1" > "$1.out" 2> "$1.err"
}
run_eval "$T/rep"
rc=$?
[ $rc -eq 0 ] || { fail "eval --all exited $rc"; cat "$T/rep.err" >&2; }
[ -s "$T/rep.md" ] && [ -s "$T/rep.json" ] && ok "eval: report written as Markdown and JSON" || fail "eval: report files missing"
tables=$(grep -c '^| model |' "$T/rep.md")
[ "$tables" = 1 ] && ok "eval: one table" || fail "eval: $tables tables in the Markdown"
for col in 'NDCG@10' 'HR@10' 'Recall@10' 'coverage@10' 'new NDCG@10' 'new HR@10' 'new Recall@10' 'new coverage@10'; do
  grep -q "| $col |" "$T/rep.md" || fail "eval: no column $col"
done
for row in 'global mean / popularity' 'user+book bias' 'mf (--all)'; do
  grep -q "^| $row |" "$T/rep.md" || fail "eval: no row $row"
done
json "$T/rep.json" '
  const mf = j.rows.find(r => r.name === "mf (--all)");
  const pop = j.rows.find(r => r.name === "global mean / popularity");
  const ok = v => typeof v === "number" && v >= 0 && v <= 1;
  if (!mf || !pop) process.exit(1);
  for (const k of ["hr", "ndcg", "recall", "coverage", "new_hr", "new_ndcg", "new_recall", "new_coverage"])
    if (!ok(mf[k]) || !ok(pop[k])) { console.error("bad", k); process.exit(1); }
  if (!(mf.rmse > 0 && mf.rmse < 2)) process.exit(1);
  if (!(mf.hr >= mf.ndcg)) process.exit(1); /* binary NDCG@k never exceeds HR@k */
' && ok "eval: every ranking figure present and in [0, 1]" || fail "eval: ranking figures missing or out of range"
run_eval "$T/rep2"
node -e 'const f = require("fs"); const a = JSON.parse(f.readFileSync(process.argv[1])).rows,
  b = JSON.parse(f.readFileSync(process.argv[2])).rows; process.exit(JSON.stringify(a) === JSON.stringify(b) ? 0 : 1)' \
  "$T/rep.json" "$T/rep2.json" && ok "eval: same figures on a second run" || fail "eval: figures differ between two runs"

# the new-reader protocol: 5 / 10 / loved-only fold-in, mean ± sd over reader seeds, popularity rank
for col in 'new5 NDCG@10' 'loved NDCG@10' 'new pop rank' 'pop rank' 'loved coverage@10'; do
  grep -q "| $col |" "$T/rep.md" || fail "eval: no column $col"
done
grep -q '±' "$T/rep.md" && ok "eval: new-reader figures shown with their spread" || fail "eval: no ± in the Markdown"
json "$T/rep.json" '
  const mf = j.rows.find(r => r.name === "mf (--all)"), pop = j.rows.find(r => r.name === "global mean / popularity");
  for (const p of ["new5_", "new_", "loved_"]) for (const f of ["hr", "ndcg", "recall", "coverage", "poprank"]) {
    const k = p + f;
    if (typeof mf[k] !== "number" || !(mf[k + "_min"] <= mf[k] + 1e-12 && mf[k] <= mf[k + "_max"] + 1e-12) ||
        !(mf[k + "_sd"] >= 0)) { console.error("bad", k); process.exit(1); }
  }
  if (!(pop.new_poprank < mf.new_poprank)) process.exit(1); /* popularity recommends the best-known books */
  if (!(pop.poprank >= 1 && pop.poprank < 30)) process.exit(1);
' && ok "eval: every variant has mean, sd, min, max; popularity has the lowest popularity rank" \
  || fail "eval: protocol figures missing or inconsistent"
"$CLI" eval --data "$D" --all --archs mf --new-readers 40 --seeds 1 --threads 1 --report "$T/one" > /dev/null 2>&1 \
  || fail "eval --seeds 1 failed"
json "$T/one.json" 'const mf = j.rows.find(r => r.name === "mf (--all)"); if (mf.new_ndcg_sd !== 0) process.exit(1)' \
  && ok "eval --seeds 1: no spread" || fail "eval --seeds 1: spread not 0"
grep -q 'over 1 reader seeds' "$T/one.md" && ok "eval --seeds 1: the caption says so" || fail "eval --seeds 1: caption"
"$CLI" eval --data "$D" --all --archs mf --seeds 0 > /dev/null 2>&1
[ $? -eq 2 ] && ok "eval: --seeds 0 is a usage error" || fail "eval: --seeds 0 not a usage error"
"$CLI" eval --data "$D" --all --archs mf --foldin-few 10 > /dev/null 2>&1
[ $? -eq 2 ] && ok "eval: --foldin-few >= --foldin-ratings is a usage error" || fail "eval: --foldin-few 10 accepted"

"$CLI" eval --data "$D" --all --archs nope > /dev/null 2>&1
[ $? -eq 2 ] && ok "eval: unknown --archs is a usage error" || fail "eval: unknown --archs not a usage error"

finish "all ok"
