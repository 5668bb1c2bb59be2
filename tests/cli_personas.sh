#!/usr/bin/env bash
# cli_personas.sh - end-to-end test of `bookrec eval --personas` on the goodbooks-like fixture with generated
# book_tags.csv / tags.csv (CRLF, a quoted name): each fixture genre is a shelf on its 60 books; every book also has
# to-read (a shelf name that must be kept), 18 filler tags, "whimsy" on every 10th book and "poetry" on every 10th
# book as its 21st strongest tag (so no book carries it). Checks the base rates, the seeds, the 10 titles per
# taste, that a small mf model follows the tastes better than the base rate on average, the report files, and
# that an unknown taste or two models are refused. Not a quality test beyond that.
set -u
CLI=${BOOKREC_CLI:?BOOKREC_CLI must name the bookrec binary}
SRC=${BOOKREC_SOURCE_DIR:?BOOKREC_SOURCE_DIR must name the source tree}
D=$SRC/tests/fixtures/goodbooks-mini
[ -f "$D/books.csv" ] || { echo "no fixture at $D: skipped"; exit 77; }
unset BOOKREC_DATA
T=$(mktemp -d "${TMPDIR:-/tmp}/bookrec-personas.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/shlib.sh"

mkdir -p "$T/tags"
printf 'tag_id,tag_name\r\n0,to-read\r\n1,fantasy\r\n2,crime\r\n3,"romance"\r\n4,science\r\n5,history\r\n6,poetry\r\n7,whimsy\r\n' \
  > "$T/tags/tags.csv"
for t in $(seq 10 27); do printf '%d,filler-%d\r\n' "$t" "$t"; done >> "$T/tags/tags.csv"
awk -F, 'NR > 1 { b = $1; g = $2
  printf "%s,0,900\r\n%s,%d,%d\r\n", g, g, 1 + int((b - 1) / 60), 500 + b % 7
  for (t = 10; t <= 27; t++) printf "%s,%d,%d\r\n", g, t, 100 + t
  if (b % 10 == 0) printf "%s,6,1\r\n%s,7,200\r\n", g, g }' "$D/books.csv" > "$T/body.csv"
{ printf 'goodreads_book_id,tag_id,count\r\n'; cat "$T/body.csv"; } > "$T/tags/book_tags.csv"

"$CLI" train --data "$D" --arch mf --dim 16 --epochs 30 --lr 0.01 --l2 0.05 --patience 0 --threads 1 \
  --out "$T/m/model.bkr" > /dev/null 2> "$T/train.err" || { fail "train failed"; cat "$T/train.err" >&2; }
TASTES=fantasy,crime,romance,science,history,to-read,whimsy,poetry
"$CLI" eval --data "$D" --personas --model "$T/m/model.bkr" --tags "$T/tags" --tastes $TASTES --report "$T/rep" \
  > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] && ok "eval --personas ran" || { fail "eval --personas exited $rc"; cat "$T/err" >&2; }
grep -q '^fantasy ' "$T/out" && grep -q '^poetry ' "$T/out" && ok "a table row per taste" || fail "table rows missing"
n=$(grep -c '^ *[0-9]*\. \[' "$T/out")
[ "$n" = 70 ] && ok "10 titles for each of the 7 tastes with books" || fail "expected 70 listed titles, got $n"
[ -s "$T/rep.md" ] && [ -s "$T/rep.json" ] && ok "report written as Markdown and JSON" || fail "report files missing"
json "$T/rep.json" '
  const p = Object.fromEntries(j.personas.map(x => [x.taste, x]));
  const genres = ["fantasy", "crime", "romance", "science", "history"];
  for (const [i, g] of genres.entries()) {
    const x = p[g];
    if (x.books_on_shelf !== 60 || Math.abs(x.base - 0.2) > 1e-12) { console.error(g, "base", x.base); process.exit(1); }
    if (x.seeds.length !== 5 || x.top.length !== 10) { console.error(g, "lists"); process.exit(1); }
    for (const s of x.seeds) { const b = Number(s.book_id); if (Math.floor((b - 1) / 60) !== i) { console.error(g, "seed", b); process.exit(1); } }
    for (const t of x.top) if (t.on_shelf !== (Math.floor((Number(t.book_id) - 1) / 60) === i) || !t.title) { console.error(g, "on_shelf"); process.exit(1); }
    if (!(x.share >= 0 && x.share <= 1) || x.hits !== x.top.filter(t => t.on_shelf).length) process.exit(1);
  }
  if (p["to-read"].share !== 1 || p["to-read"].base !== 1) { console.error("to-read", p["to-read"].share); process.exit(1); }
  if (p.whimsy.books_on_shelf !== 30) { console.error("whimsy", p.whimsy.books_on_shelf); process.exit(1); }
  if (p.poetry.books_on_shelf !== 0 || p.poetry.share !== null || p.poetry.top.length !== 0) { console.error("poetry"); process.exit(1); }
  const mean = genres.reduce((s, g) => s + p[g].share, 0) / genres.length;
  console.log("mean genre share", mean.toFixed(2));
  if (!(mean > 0.3)) process.exit(1);
' > "$T/check.txt" && ok "shares, base rates, seeds, 20-strongest rule, shelf names kept ($(cat "$T/check.txt"))" \
  || fail "persona figures wrong: $(cat "$T/check.txt")"

"$CLI" eval --data "$D" --personas --model "$T/m/model.bkr" --tags "$T/tags" --tastes fantasy,nope > /dev/null 2> "$T/err2"
[ $? -eq 1 ] && grep -q "no tag named 'nope'" "$T/err2" && ok "unknown taste: error naming it" || fail "unknown taste: $(cat "$T/err2")"
"$CLI" eval --data "$D" --personas --model "$T/m/model.bkr,$T/m/model.bkr" --tags "$T/tags" > /dev/null 2>&1
[ $? -eq 2 ] && ok "two models: usage error" || fail "two models accepted"
finish "all ok"
