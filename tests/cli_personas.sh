#!/usr/bin/env bash
# cli_personas.sh - end-to-end test of `bookrec eval --personas` on the goodbooks-like fixture with generated
# book_tags.csv / tags.csv (CRLF, a quoted name). Every book has to-read, favorites and fiction above everything
# (a shelf name, a shelf name, a generic label: none may stop a book seeding), its genre's shelf (the 60 books of
# a block: fantasy, crime, romance, science, history), 18 weaker filler tags, "whimsy" as 5th tag of every 10th
# book (carried, never strong enough to seed) and "poetry" on every 10th book as its 24th tag (never carried).
# Even history books also have "Clàssics" above their genre (they seed classics, no longer history); history books
# 1 mod 4 have "classic" as a weak tag (carried, not seeding). Checks the synonyms (crime in mystery; classic and
# Clàssics folded together; a name=shelf/shelf taste), the seed rule and one seed per series, base rates, the 10
# titles per taste, the mean share line, that a small mf model follows the tastes better than the base rate on
# average, --min-share, the report files, and that an unknown taste or two models are refused.
set -u
. "$(dirname "$0")/shlib.sh"
need_fixture
scratch personas

mkdir -p "$T/tags"
printf 'tag_id,tag_name\r\n0,to-read\r\n1,fantasy\r\n2,crime\r\n3,"romance"\r\n4,science\r\n5,history\r\n6,poetry\r\n' \
  > "$T/tags/tags.csv"
printf '7,whimsy\r\n8,Clàssics\r\n9,classic\r\n30,fiction\r\n31,favorites\r\n40,saga\r\n' >> "$T/tags/tags.csv"
for t in $(seq 10 27); do printf '%d,filler-%d\r\n' "$t" "$t"; done >> "$T/tags/tags.csv"
# "saga" above everything on the 6 books of one series and on 4 other books: 5 books may seed it, one of the series
SAGA=$(node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").split("\n").slice(1);
  console.log(rows.filter(r => r.includes("(The Spell Cycle")).map(r => r.split(",")[0]).join(" "))' "$D/books.csv")
[ "$(echo $SAGA | wc -w)" = 6 ] || fail "fixture: expected 6 books of The Spell Cycle, got '$SAGA'"
awk -F, -v saga="$SAGA 243 247 251 255" 'BEGIN { split(saga, s, " "); for (k in s) in_saga[s[k]] = 1 }
  NR > 1 { b = $1; g = $2
  if (b in in_saga) printf "%s,40,2000\r\n", g
  printf "%s,0,900\r\n%s,31,890\r\n%s,30,880\r\n%s,%d,%d\r\n", g, g, g, g, 1 + int((b - 1) / 60), 500 + b % 7
  for (t = 10; t <= 27; t++) printf "%s,%d,%d\r\n", g, t, 100 + t
  if (b % 10 == 0) printf "%s,6,1\r\n%s,7,200\r\n", g, g
  if (b > 240 && b % 2 == 0) printf "%s,8,700\r\n", g
  if (b > 240 && b % 4 == 1) printf "%s,9,300\r\n", g }' "$D/books.csv" > "$T/body.csv"
{ printf 'goodreads_book_id,tag_id,count\r\n'; cat "$T/body.csv"; } > "$T/tags/book_tags.csv"

"$CLI" train --data "$D" --arch mf --dim 16 --epochs 30 --lr 0.01 --l2 0.05 --patience 0 --threads 1 \
  --out "$T/m/model.bkr" > /dev/null 2> "$T/train.err" || { fail "train failed"; cat "$T/train.err" >&2; }
TASTES=fantasy,mystery,romance,science,history,classics,whimsy,poetry,escapism=fantasy/ROMANCES,saga
"$CLI" eval --data "$D" --personas --model "$T/m/model.bkr" --tags "$T/tags" --tastes $TASTES --report "$T/rep" \
  > "$T/out" 2> "$T/err"
rc=$?
[ $rc -eq 0 ] && ok "eval --personas ran" || { fail "eval --personas exited $rc"; cat "$T/err" >&2; }
grep -q '^fantasy ' "$T/out" && grep -q '^escapism ' "$T/out" && ok "a table row per taste" || fail "table rows missing"
n=$(grep -c '^ *[0-9]*\. \[' "$T/out")
[ "$n" = 80 ] && ok "10 titles for each of the 8 tastes with seeds" || fail "expected 80 listed titles, got $n"
[ -s "$T/rep.md" ] && [ -s "$T/rep.json" ] && ok "report written as Markdown and JSON" || fail "report files missing"
mean=$(sed -n 's/^mean share over tastes: \([0-9.]*\) (popularity [0-9.]*)$/\1/p' "$T/out")
[ -n "$mean" ] && ok "mean share line ($mean)" || fail "no mean share line"
json "$T/rep.json" "
  const titles = {};
  for (const line of require('fs').readFileSync('$D/books.csv', 'utf8').split('\n').slice(1)) {
    const m = line.match(/^(\d+),/); if (m) titles[m[1]] = line;
  }
  const series = id => { const m = (titles[id] || '').match(/\(([^()#]*?)[ ,]*#/); return m ? m[1] : null; };
  const die = (...a) => { console.error(...a); process.exit(1); };
  const p = Object.fromEntries(j.personas.map(x => [x.taste, x]));
  const genres = ['fantasy', 'mystery', 'romance', 'science', 'history'];
  const block = id => Math.floor((Number(id) - 1) / 60);
  for (const [i, g] of genres.entries()) {
    const x = p[g], on = id => block(id) === i;
    if (x.books_carrying !== 60 || Math.abs(x.base - 0.2) > 1e-12) die(g, 'base', x.base, x.books_carrying);
    if (x.seeds.length !== 5 || x.top.length !== 10) die(g, 'lists');
    for (const s of x.seeds) if (block(s.book_id) !== i) die(g, 'seed', s.book_id);
    const ser = x.seeds.map(s => series(s.book_id)).filter(s => s);
    if (new Set(ser).size !== ser.length) die(g, 'two seeds of one series', ser);
    for (const t of x.top) if (t.carries !== on(t.book_id) || !t.title) die(g, 'carries', t.book_id);
    if (!(x.share >= 0 && x.share <= 1) || x.hits !== x.top.filter(t => t.carries).length) die(g, 'share');
  }
  for (const s of p.history.seeds) if (Number(s.book_id) % 2 === 0) die('history seed', s.book_id, 'has Clàssics above');
  const c = p.classics;
  if (c.books_carrying !== 45 || Math.abs(c.base - 45 / 300) > 1e-12) die('classics carrying', c.books_carrying);
  if (c.tag_names !== 2 || c.seeds.length !== 5) die('classics', c.tag_names, c.seeds.length);
  for (const s of c.seeds) if (!(Number(s.book_id) > 240 && Number(s.book_id) % 2 === 0)) die('classics seed', s.book_id);
  for (const t of c.top) { const b = Number(t.book_id);
    if (t.carries !== (b > 240 && (b % 2 === 0 || b % 4 === 1))) die('classics carries', b); }
  if (p.whimsy.books_carrying !== 30 || p.whimsy.books_seedable !== 0 || p.whimsy.share !== null) die('whimsy');
  if (p.poetry.books_carrying !== 0 || p.poetry.share !== null || p.poetry.top.length !== 0) die('poetry');
  const e = p.escapism;
  if (e.books_carrying !== 120 || e.shelves_folded.join() !== 'fantasy,romance') die('escapism', e.books_carrying, e.shelves_folded);
  for (const s of e.seeds) if (![0, 2].includes(block(s.book_id))) die('escapism seed', s.book_id);
  const sg = p.saga, sagaSeeds = sg.seeds.map(s => Number(s.book_id)).sort((a, b) => a - b);
  if (sg.books_seedable !== 5 || sagaSeeds.slice(1).join() !== '243,247,251,255' || series(sagaSeeds[0]) !== 'The Spell Cycle')
    die('saga: one seed per series', sg.books_seedable, sagaSeeds);
  const withShare = j.personas.filter(x => x.share !== null);
  const mean = withShare.reduce((s, x) => s + x.share, 0) / withShare.length;
  if (Math.abs(mean - j.mean_share) > 1e-12 || Math.abs(mean - $mean) > 0.0005) die('mean', mean, j.mean_share);
  const gmean = genres.reduce((s, g) => s + p[g].share, 0) / genres.length;
  console.log('mean genre share', gmean.toFixed(2));
  if (!(gmean > 0.3)) process.exit(1);
" > "$T/check.txt" 2>&1 && ok "synonyms, folded variants, seed rule, one per series, 20-strongest rule ($(cat "$T/check.txt"))" \
  || fail "persona figures wrong: $(cat "$T/check.txt")"

B=(eval --data "$D" --personas --model "$T/m/model.bkr" --tags "$T/tags")
"$CLI" "${B[@]}" --tastes fantasy,romance --min-share 0 > /dev/null 2> "$T/err3"
[ $? -eq 0 ] && ok "--min-share 0 passes" || fail "--min-share 0: $(cat "$T/err3")"
"$CLI" "${B[@]}" --tastes fantasy,whimsy,romance --min-share 1 > "$T/out4" 2> "$T/err4"
[ $? -eq 1 ] && grep -q "below --min-share 1" "$T/err4" && grep -q "whimsy (no seeds)" "$T/err4" \
  && grep -q '^mean share over tastes' "$T/out4" && ok "--min-share 1: exit 1 naming the tastes below" \
  || fail "--min-share 1: $(cat "$T/err4")"
"$CLI" "${B[@]}" --min-share 1.5 > /dev/null 2> "$T/err5"
[ $? -eq 2 ] && grep -q "min-share" "$T/err5" && ok "--min-share 1.5: usage error" || fail "--min-share 1.5 accepted"
"$CLI" "${B[@]}" --min-share -0.2 > /dev/null 2> "$T/err5"
[ $? -eq 2 ] && grep -q "min-share" "$T/err5" && ok "--min-share -0.2: usage error" || fail "--min-share -0.2 accepted"
"$CLI" "${B[@]}" --tastes fantasy,nope > /dev/null 2> "$T/err2"
[ $? -eq 1 ] && grep -q "no tag named 'nope'" "$T/err2" && ok "unknown taste: error naming it" || fail "unknown taste: $(cat "$T/err2")"
"$CLI" "${B[@]}" --tastes 'odd=fantasy//romance' > /dev/null 2> "$T/err6"
[ $? -eq 2 ] && grep -q "taste 'odd'" "$T/err6" && ok "an empty shelf name: usage error naming the taste" \
  || fail "empty shelf name: $(cat "$T/err6")"
"$CLI" eval --data "$D" --personas --model "$T/m/model.bkr,$T/m/model.bkr" --tags "$T/tags" > /dev/null 2>&1
[ $? -eq 2 ] && ok "two models: usage error" || fail "two models accepted"
finish "all ok"
