#!/usr/bin/env bash
# cli_fixture.sh - end-to-end test of the `bookrec` CLI on a small goodbooks-like dataset made here with
# awk (users x books with planted biases and tastes, so a model can learn something): stats, train (loss
# falls; history JSON and SVG written and parseable), recommend (leaves out rated books), similar, export
# (every file), predict (one line per pair), and the failure paths: truncated model, missing data dir,
# bad CSV with FILE:LINE, usage errors, and a failed train that must not replace an existing model.
set -u
. "$(dirname "$0")/shlib.sh"
scratch cli

# ---------------------------------------------------------------- fixture
D=$T/data
mkdir -p "$D"
awk -v seed=7 'BEGIN {
  srand(seed); nu = 300; nb = 120;
  for (b = 1; b <= nb; b++) { bb[b] = rand() - 0.5; g[b] = (b % 3); }
  for (u = 1; u <= nu; u++) { ub[u] = (rand() - 0.5) * 0.8; like[u] = int(rand() * 3); }
  print "book_id,user_id,rating";
  for (u = 1; u <= nu; u++) {
    n = 15 + int(rand() * 20);
    for (k = 0; k < n; k++) {
      b = 1 + int(rand() * nb);
      r = 3.2 + ub[u] + 2 * bb[b] + (g[b] == like[u] ? 1.2 : -0.6) + (rand() - 0.5) * 0.6;
      r = int(r + 0.5); if (r < 1) r = 1; if (r > 5) r = 5;
      print b "," u "," r;
    }
  }
}' > "$D/ratings.csv"
awk 'BEGIN {
  print "book_id,goodreads_book_id,authors,original_publication_year,title,average_rating,image_url,small_image_url";
  split("Fantasy,Crime,Poetry", genre, ",");
  for (b = 1; b <= 120; b++) {
    t = genre[(b % 3) + 1] " Book " b;
    if (b == 5) t = "\"Tales, with a comma (Series, #5)\"";
    printf "%d,%d,\"Author %d, Co-Author\",%d.0,%s,%.2f,https://example.org/%dm.jpg,https://example.org/%ds.jpg\n", b, 1000 + b, b % 17, 1950 + b % 60, t, 3 + (b % 20) / 10.0, b, b;
  }
}' > "$D/books.csv"
ROWS=$(($(wc -l < "$D/ratings.csv") - 1))

# ---------------------------------------------------------------- help and usage
"$CLI" --version | grep -q '^bookrec ' && ok "--version" || fail "--version"
"$CLI" train --help > "$T/help.txt" 2>&1 || fail "train --help exits 0"
for f in '--dim N.*\[15\]' '--hidden N.*\[128\]' '--epochs N.*\[5\]' '--batch N.*\[64\]' '--lr X.*\[0.001\]' \
         '--eps X.*\[1e-07\]' '--seed N.*\[1\]' '--split-seed N.*\[1\]' '--test-fraction F.*\[0.2\]' '--arch' '--skip-bad'; do
  grep -q -- "$f" "$T/help.txt" || fail "train --help lacks $f"
done
"$CLI" train --epochs abc > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 2 ] && grep -q "expects an integer" "$T/err.txt" && ok "usage error exits 2" || fail "usage error: rc $rc, $(cat "$T/err.txt")"
"$CLI" nosuchcommand > /dev/null 2>&1; [ $? -eq 2 ] && ok "unknown command exits 2" || fail "unknown command"

# ---------------------------------------------------------------- stats
"$CLI" stats --data "$D" > "$T/stats.txt" 2>&1 || fail "stats exits 0: $(cat "$T/stats.txt")"
grep -E "^rows " "$T/stats.txt" | tr -d , | grep -qE " $ROWS\$" && ok "stats rows $ROWS" || fail "stats rows: $(grep ^rows "$T/stats.txt")"
grep -q "^users  *300$" "$T/stats.txt" && ok "stats users" || fail "stats users: $(grep ^users "$T/stats.txt")"
grep -q "^duplicates" "$T/stats.txt" && grep -q "CSV parse time" "$T/stats.txt" && grep -q "missing values" "$T/stats.txt" \
  && ok "stats fields" || fail "stats fields missing"

# ---------------------------------------------------------------- train
M=$T/models/model.bkr
"$CLI" train --data "$D" --arch seed --epochs 3 --threads 2 --lr 0.01 --batch 32 --out "$M" > "$T/train.txt" 2> "$T/train.err" \
  || fail "train exits 0: $(cat "$T/train.err")"
[ -s "$M" ] && ok "model written" || fail "no model at $M"
H=$T/models/model.history.json
S=$T/models/model.loss.svg
[ -s "$H" ] && [ -s "$S" ] && ok "history and svg written" || fail "history/svg missing"
json "$H" "const e=j.epochs; if (e.length!==3) throw 'epochs '+e.length;
  if (!(e[2].train_mse < e[0].train_mse)) throw 'train mse did not fall: '+e.map(x=>x.train_mse);
  for (const x of e) if (!(x.test_rmse>0 && x.seconds>=0)) throw 'bad epoch '+JSON.stringify(x);
  if (j.split.seed!==1 || j.split.test_fraction!==0.2) throw 'split';
  if (j.config.arch!=='seed' || j.config.dim!==15) throw 'config';" \
  && ok "history: 3 epochs, training MSE falls" || fail "history check"
# the readers' rows by row-wise Adagrad (--reader-lr): another model than Adam's, it learns, the history says so
"$CLI" train --data "$D" --arch mf --epochs 4 --patience 0 --reader-lr 0.05 --out "$T/rw/model.bkr" > /dev/null \
  2> "$T/err.txt" || fail "train --reader-lr: $(cat "$T/err.txt")"
"$CLI" train --data "$D" --arch mf --epochs 4 --patience 0 --out "$T/rw/adam.bkr" > /dev/null 2>&1 || fail "train mf"
! cmp -s "$T/rw/model.bkr" "$T/rw/adam.bkr" && json "$T/rw/model.history.json" "const e=j.epochs;
  if (j.options.reader_lr!==0.05) throw 'reader_lr '+j.options.reader_lr;
  if (!(e[3].train_mse < e[0].train_mse && e[3].test_rmse < e[0].test_rmse)) throw 'did not learn';" \
  && ok "train --reader-lr: row-wise Adagrad for the readers learns, recorded in the history" \
  || fail "train --reader-lr (same model as Adam, or history wrong)"
if "$CLI" train --data "$D" --arch mf --epochs 1 --reader-lr 0.05 --dense-adam --out "$T/rw/bad.bkr" > /dev/null \
  2> "$T/err.txt"; then fail "--reader-lr with --dense-adam accepted"
elif grep -q "reader-lr .*--dense-adam" "$T/err.txt"; then ok "--reader-lr with --dense-adam refused with a message"
else fail "--reader-lr --dense-adam: $(cat "$T/err.txt")"; fi
python3 -c "import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.tag.endswith('svg'); \
assert len([e for e in r.iter() if e.tag.endswith('polyline')])==2" "$S" && ok "svg parses, two lines" || fail "svg parse"
grep -q "epoch 3/3" "$T/train.err" && grep -q "CSV read" "$T/train.err" && ok "per-epoch lines" || fail "no per-epoch lines"

"$CLI" train --data "$D" --arch seed --epochs 3 --threads 2 --lr 0.01 --batch 32 --out "$T/again/model.bkr" > /dev/null 2>&1 \
  && cmp -s "$M" "$T/again/model.bkr" && ok "same seed and threads: bit-identical model" || fail "training is not deterministic"

# ---------------------------------------------------------------- eval
"$CLI" eval --data "$D" --model "$M" --report "$T/report" > "$T/eval.txt" 2>&1 || fail "eval: $(cat "$T/eval.txt")"
grep -q "global mean" "$T/eval.txt" && grep -q "user+book bias" "$T/eval.txt" && ok "eval rows" || fail "eval rows"
[ -s "$T/report.md" ] && json "$T/report.json" "const m=j.rows.filter(r=>r.rmse!==null); if (m.length<3) throw 'rows'; for (const r of m) if (!(r.rmse>0 && r.mae>0)) throw r.name;" \
  && ok "eval report md+json" || fail "eval report"

# ---------------------------------------------------------------- recommend
U=17
"$CLI" recommend --data "$D" --model "$M" --user $U -k 10 > "$T/rec.txt" 2>&1 || fail "recommend: $(cat "$T/rec.txt")"
awk -F, -v u=$U 'NR > 1 && $2 == u { print $1 }' "$D/ratings.csv" | sort -u > "$T/rated.txt"
awk '$1 ~ /^[0-9]+$/ && NF >= 3 { print $2 }' "$T/rec.txt" | sort > "$T/recids.txt"
[ "$(wc -l < "$T/recids.txt")" -eq 10 ] && ok "recommend lists 10" || fail "recommend count: $(cat "$T/rec.txt")"
[ -s "$T/rated.txt" ] && [ -z "$(comm -12 "$T/rated.txt" "$T/recids.txt")" ] && ok "recommend leaves out rated books" \
  || fail "recommend returned rated books: $(comm -12 "$T/rated.txt" "$T/recids.txt" | tr '\n' ' ')"
grep -q "Book" "$T/rec.txt" && ok "recommend shows titles" || fail "no titles"
"$CLI" recommend --data "$D" --model "$M" --user 999999 > /dev/null 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "999999" "$T/err.txt" && ok "unknown user" || fail "unknown user: $(cat "$T/err.txt")"

# ---------------------------------------------------------------- similar
"$CLI" similar --data "$D" --model "$M" --book 5 -k 5 > "$T/sim.txt" 2>&1 || fail "similar: $(cat "$T/sim.txt")"
n=$(awk '$1 ~ /^[0-9]+$/ && NF >= 3 { print $2 }' "$T/sim.txt" | grep -vc '^5$')
[ "$n" -eq 5 ] && ok "similar lists 5 others" || fail "similar: $(cat "$T/sim.txt")"
grep -q "Tales, with a comma" "$T/sim.txt" && ok "similar names the book" || fail "similar title"

# ---------------------------------------------------------------- export
E=$T/export
"$CLI" export --data "$D" --model "$M" --out "$E" > "$T/exp.txt" 2>&1 || fail "export: $(cat "$T/exp.txt")"
for f in model-items.bkr model-users.bkr books.json vecs.tsv meta.tsv manifest.json; do
  [ -s "$E/$f" ] || fail "export lacks $f"
done
NB=$(awk -F, 'NR > 1 { print $1 }' "$D/ratings.csv" | sort -u | wc -l)
json "$E/books.json" "if (j.length!==$NB) throw 'books '+j.length; j.forEach((b,i)=>{ if (b.index!==i || !b.book_id || !('image_url' in b)) throw i; });" \
  && ok "books.json: $NB books in model order" || fail "books.json"
[ "$(wc -l < "$E/vecs.tsv")" -eq "$NB" ] && [ "$(wc -l < "$E/meta.tsv")" -eq "$NB" ] && ok "projector files: $NB lines" \
  || fail "projector line counts"
[ "$(head -1 "$E/vecs.tsv" | awk -F'\t' '{print NF}')" -eq 15 ] && ok "vecs.tsv has 15 columns" || fail "vecs.tsv columns"
json "$E/manifest.json" "if (j.files.length<5 || j.model.dim!==15 || !j.model.id) throw 'manifest';" && ok "manifest" || fail "manifest"
grep -q "test RMSE f32" "$T/exp.txt" && ok "quantisation check printed" || fail "no quantisation check"

# ---------------------------------------------------------------- predict
awk -F, 'NR > 1 && NR <= 21 { print $2 "," $1 }' "$D/ratings.csv" > "$T/pairs.csv"
"$CLI" predict --model "$M" --pairs "$T/pairs.csv" > "$T/pred.txt" 2> "$T/err.txt" || fail "predict: $(cat "$T/err.txt")"
[ "$(wc -l < "$T/pred.txt")" -eq 20 ] && [ "$(grep -cE '^[0-9]+,[0-9]+,[0-9]+\.[0-9]{6}$' "$T/pred.txt")" -eq 20 ] \
  && ok "predict: one line per pair" || fail "predict output: $(head -3 "$T/pred.txt")"
(echo "user_id,book_id"; cat "$T/pairs.csv") > "$T/pairs_h.csv"
"$CLI" predict --model "$M" --pairs "$T/pairs_h.csv" > "$T/pred_h.txt" 2>&1
[ "$(head -1 "$T/pred_h.txt")" = "user_id,book_id,prediction" ] && [ "$(tail -n +2 "$T/pred_h.txt")" = "$(cat "$T/pred.txt")" ] \
  && ok "predict with header" || fail "predict with header"

echo "17,999999" >> "$T/pairs.csv"
"$CLI" predict --model "$M" --pairs "$T/pairs.csv" > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "pairs.csv:21: unknown book id '999999'" "$T/err.txt" && ok "predict: unknown id names FILE:LINE" \
  || fail "predict unknown id: rc $rc, $(cat "$T/err.txt")"

# ---------------------------------------------------------------- failures
head -c $(($(stat -c %s "$M") / 2)) "$M" > "$T/trunc.bkr"
"$CLI" recommend --data "$D" --model "$T/trunc.bkr" --user $U > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -ne 0 ] && grep -qiE "truncated|expected" "$T/err.txt" && ok "truncated model: $(head -1 "$T/err.txt")" \
  || fail "truncated model: rc $rc, $(cat "$T/err.txt")"
"$CLI" stats --data "$T/no/such/dir" > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 1 ] && grep -q -- "--data" "$T/err.txt" && ok "missing data dir names --data" || fail "missing data: rc $rc $(cat "$T/err.txt")"

B=$T/bad
mkdir -p "$B"
cp "$D/books.csv" "$B/"
cp "$D/ratings.csv" "$B/ratings.csv"
echo "12,abc,4" >> "$B/ratings.csv"
BADLINE=$(wc -l < "$B/ratings.csv")
cp "$M" "$T/before.bkr"
"$CLI" train --data "$B" --epochs 1 --out "$M" > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "ratings.csv:$BADLINE" "$T/err.txt" && ok "bad CSV names FILE:LINE ($(head -1 "$T/err.txt"))" \
  || fail "bad CSV: rc $rc, $(cat "$T/err.txt")"
cmp -s "$M" "$T/before.bkr" && ok "failed train left the model alone" || fail "failed train changed the model"
ls "$T/models" | grep -q '\.tmp' && fail "temp file left behind" || true
"$CLI" train --data "$B" --epochs 1 --skip-bad --out "$T/skip.bkr" > /dev/null 2> "$T/err.txt" \
  && grep -q "skipped 1" "$T/err.txt" && ok "--skip-bad skips and counts" || fail "--skip-bad: $(cat "$T/err.txt")"

# ---------------------------------------------------------------- a catalogue unlike goodbooks
C=${BOOKREC_SOURCE_DIR:-}/tests/fixtures/catalogue
if [ -f "$C/ratings.csv" ] && [ -f "$C/books.csv" ]; then
  CF=(--ratings "$C/ratings.csv" --books "$C/books.csv" --user-col member --item-col item --rating-col score
      --item-id-col item --title-col name --author-col writer --image-col cover --year-col published)
  "$CLI" train "${CF[@]}" --arch mf --epochs 3 --lr 0.01 --threads 2 --out "$T/cat/model.bkr" > /dev/null 2> "$T/err.txt" \
    || fail "catalogue train: $(cat "$T/err.txt")"
  CU=$(awk -F, 'NR == 2 { print $4 }' "$C/ratings.csv")
  "$CLI" recommend "${CF[@]}" --model "$T/cat/model.bkr" --user "$CU" -k 3 > "$T/catrec.txt" 2>&1 \
    && [ "$(grep -c ' isbn-' "$T/catrec.txt")" -eq 3 ] && ok "catalogue: recommend for string id $CU" \
    || fail "catalogue recommend: $(cat "$T/catrec.txt")"
  "$CLI" export "${CF[@]}" --model "$T/cat/model.bkr" --out "$T/cat/exp" > /dev/null 2> "$T/err.txt" || fail "catalogue export: $(cat "$T/err.txt")"
  json "$T/cat/exp/books.json" "if (!j.length || !j.every(b => /^isbn-/.test(b.book_id) && b.title && b.year > 1000)) throw 'books';" \
    && ok "catalogue: books.json keeps string ids, titles and years" || fail "catalogue books.json"
else
  echo "skip: no tests/fixtures/catalogue"
fi

finish "all CLI fixture checks passed"
