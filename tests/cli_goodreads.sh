#!/usr/bin/env bash
# cli_goodreads.sh - end-to-end test of `bookrec recommend --goodreads FILE` on a Goodreads library export made
# with tests/js/goodreads-gen.mjs (BOM, CRLF, `="..."` ISBNs, 40% other editions) from a small catalogue made here
# with awk (three tastes, as in cli_topn.sh; Goodreads ids, best_book_id, ISBNs lost leading zeros, float isbn13s,
# original titles), plus to-read and currently-reading rows, books not in the catalogue and a review with a line
# break: "matched N of M", the unmatched books listed by title, the rated matches folded in as --rate folds them
# (the same list and scores, less the other matched books), every matched book left out, the want-to-read count,
# --explain naming rated books only; the set of matched books equals the site's (web/goodreads.js in node,
# matching against the same books.csv); errors with FILE:LINE. When $BOOKREC_SHARED_DATA has goodbooks' books.csv,
# a 2,000-row export of goodbooks with 40% other editions: >= 95% matched (the rate is printed) and the same set as
# the site's.
set -u
. "$(dirname "$0")/shlib.sh"
command -v node > /dev/null || { echo "skip: no node"; exit 77; }
ROOT=${BOOKREC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
scratch gr

# node helpers: gen.mjs BOOKS OUT COUNT OTHER SEED [EXTRA] writes an export (EXTRA adds the rows of every other
# kind); site.mjs BOOKS EXPORT prints the book_ids the site matches, one a line, and the rated ones as ID:R,...
cat > "$T/gen.mjs" <<EOF
import { writeFileSync } from 'node:fs';
import * as g from '$ROOT/tests/js/goodreads-gen.mjs';
const [books, out, count, other, seed, extra] = process.argv.slice(2);
const b = g.readBooks(books);
const { rows } = g.otherEditionsExport(b, { count: Number(count), other: Number(other), seed: Number(seed) });
if (extra) {
  const used = new Set(rows.map((r) => r.Title));
  const free = b.filter((x) => !used.has(x.title));
  for (const x of free.slice(0, 5)) rows.push(g.rowFor(x, { shelf: 'to-read' }));
  for (const x of free.slice(5, 7)) rows.push(g.rowFor(x, { shelf: 'currently-reading' }));
  rows.push(g.rowFor(free[7], { rating: 4, review: 'Long, "good"\nand sad.' }));
  for (const t of ['Nowhere Book', 'A Book Nobody Wrote', 'Zzyzx: A Novel']) {
    rows.push({ ...g.rowFor(b[0], { rating: 5 }), 'Book Id': '99999999', Title: t, Author: 'No One', 'Author l-f': 'One, No',
      ISBN: g.isbnCell('1234567890') });
  }
}
writeFileSync(out, g.toCSV(rows, { crlf: true, bom: true }));
EOF
cat > "$T/site.mjs" <<EOF
import { readFileSync } from 'node:fs';
import * as gr from '$ROOT/web/goodreads.js';
const [booksFile, exportFile] = process.argv.slice(2);
const text = readFileSync(booksFile, 'utf8');
const t = gr.parseCSV(text);
const col = (n) => t[0].map((h) => h.trim()).indexOf(n);
const rows = t.slice(1);
const cat = { book_id: rows.map((r) => r[col('book_id')]), title: rows.map((r) => r[col('title')] ?? ''),
  authors: rows.map((r) => r[col('authors')] ?? '') };
const match = gr.createMatcher(cat, gr.makeMatchData(text, cat.book_id));
const res = gr.matchExport(gr.parseGoodreadsExport(readFileSync(exportFile, 'utf8')).rows, match);
const ids = [...new Set(res.matched.map((m) => cat.book_id[m.index]))].sort((a, b) => a - b);
console.log(ids.join('\n'));
console.error([...res.ratings].map(([i, r]) => cat.book_id[i] + ':' + r).join(','));
EOF

# --- a small catalogue: books b % 10 == 0 have no ISBN-10, only a float isbn13; every fifth has an original title
D=$T/data
mkdir -p "$D"
awk -v seed=11 'BEGIN {
  srand(seed); print "book_id,user_id,rating";
  for (u = 1; u <= 400; u++) {
    like = u % 3; n = 22 + int(rand() * 10); delete seen;
    for (k = 0; k < n; ) {
      b = 1 + int(rand() * 90);
      if (b in seen) continue;
      if (b % 3 != like && rand() < 0.85) continue;
      seen[b] = 1; k++;
      print b "," u "," ((b % 3 == like) ? 4 + int(rand() * 2) : 1 + int(rand() * 2));
    }
  }
}' > "$D/ratings.csv"
awk 'BEGIN {
  print "book_id,goodreads_book_id,best_book_id,isbn,isbn13,authors,original_publication_year,original_title,title,average_rating,image_url,small_image_url";
  split("Fantasy,Crime,Poetry", genre, ",");
  split("Ann Oak,Bo Birch,Cy Elm,Di Ash,Ed Yew,Flo Fir,Gus Pine", au, ",");
  for (b = 1; b <= 90; b++) {
    i10 = 10000000 + b * 7919; i13 = 9780000000000 + i10 * 10;
    isbn = (b % 10 == 0) ? "" : i10;
    orig = (b % 5 == 0) ? sprintf("The %s Story %d", genre[(b % 3) + 1], b) : "";
    title = (b % 4 == 0) ? sprintf("\"%s Book %d (%s Tales, #%d)\"", genre[(b % 3) + 1], b, au[(b % 7) + 1], b) \
                         : sprintf("%s Book %d", genre[(b % 3) + 1], b);
    printf "%d,%d,%d,%s,%.11e,\"%s, Other Person\",2000,%s,%s,4.0,,\n", b, 5000 + b, (b % 6 == 0) ? 7000 + b : 5000 + b,
      isbn, i13, au[(b % 7) + 1], orig, title;
  }
}' > "$D/books.csv"
M=$T/ease.bkr
"$CLI" train --arch ease --data "$D" --dim 8 --lambda 20 --held-out 40 --out "$M" > /dev/null 2> "$T/train.err" \
  || fail "train --arch ease: $(cat "$T/train.err")"

node "$T/gen.mjs" "$D/books.csv" "$T/lib.csv" 60 0.4 5 extra || fail "generating the export"
[ "$(head -c 3 "$T/lib.csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "the export starts with a BOM"
grep -q $'\r$' "$T/lib.csv" || fail "the export has CRLF"
grep -q '="' "$T/lib.csv" || fail "the export has =\"...\" ISBNs"

"$CLI" recommend --model "$M" --data "$D" --goodreads "$T/lib.csv" --matches -k 10 --explain > "$T/gr.out" 2> "$T/gr.err" \
  || fail "recommend --goodreads: $(cat "$T/gr.err")"
head -1 "$T/gr.out"
# 60 generated rows, 5 to-read, 2 currently-reading, 1 with a review, 3 unknown: 71 (the review's line break is one row)
grep -q "matched [0-9]* of 71 books" "$T/gr.out" || fail "M counts rows: $(head -1 "$T/gr.out")"
N=$(sed -n 's/.*: matched \([0-9]*\) of .*/\1/p' "$T/gr.out")
[ "${N:-0}" -ge 66 ] || fail "at most the 3 unknown books and 2 other editions unmatched: $(head -1 "$T/gr.out")"
for t in "Nowhere Book" "A Book Nobody Wrote" "Zzyzx: A Novel"; do
  grep -q "^  line [0-9]*: $t / No One" "$T/gr.out" || fail "the unknown book '$t' is listed by title"
done
grep -q "(5 of them want to read)" "$T/gr.out" || fail "five to-read books left out as want to read: $(grep '^Top' "$T/gr.out")"
MATCHED=$(awk '/^  matched line/ {print $5}' "$T/gr.out" | sort -n | uniq)
LIST=$(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2}' "$T/gr.out")
[ "$(echo "$LIST" | wc -w)" -ge 1 ] || fail "a list: $(cat "$T/gr.out")"
for b in $LIST; do echo "$MATCHED" | grep -qx "$b" && fail "matched book $b recommended"; done
grep -q "because you liked" "$T/gr.out" || fail "--explain prints the reasons"

# the site matches the same books, and folds in the same ratings
node "$T/site.mjs" "$D/books.csv" "$T/lib.csv" > "$T/site.ids" 2> "$T/site.rate" || fail "site matching: $(cat "$T/site.rate")"
if [ "$MATCHED" = "$(cat "$T/site.ids")" ]; then ok "the CLI and the site match the same $(echo "$MATCHED" | wc -l) books"
else fail "the CLI and the site match different books: $(diff <(echo "$MATCHED") "$T/site.ids" | head -5 | tr '\n' ' ')"; fi
RATED=$(sed -n 's/.*: \([0-9]*\) rated books\? folded in.*/\1/p' "$T/gr.out")
[ "$RATED" = "$(tr ',' '\n' < "$T/site.rate" | grep -c :)" ] || fail "folded-in count $RATED differs from the site's"
# the same fold-in as --rate: its list, less the other matched books, is the --goodreads list
"$CLI" recommend --model "$M" --data "$D" --rate "$(cat "$T/site.rate")" -k 90 > "$T/rate.out" 2>&1 || fail "--rate: $(cat "$T/rate.out")"
awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2, $3}' "$T/rate.out" | while read -r b s; do
  echo "$MATCHED" | grep -qx "$b" || echo "$b $s"; done | head -10 > "$T/rate.list"
awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2, $3}' "$T/gr.out" > "$T/gr.list"
cmp -s "$T/rate.list" "$T/gr.list" || fail "--goodreads and --rate fold in differently: $(paste "$T/gr.list" "$T/rate.list" | head -3)"

# without --matches no matched rows are listed; a default-k run works without --explain
"$CLI" recommend --model "$M" --data "$D" --goodreads "$T/lib.csv" > "$T/plain.out" 2>&1 || fail "--goodreads without flags"
grep -q "^  matched line" "$T/plain.out" && fail "matched rows listed without --matches"

# errors
printf '\xef\xbb\xbfBook Id,Title,My Rating\r\n5001,Fantasy Book 1,5\r\n5002,"Crime\r\nBook 2",7\r\n' > "$T/bad.csv"
"$CLI" recommend --model "$M" --data "$D" --goodreads "$T/bad.csv" > /dev/null 2> "$T/e1" && fail "a rating of 7 accepted"
grep -q "bad.csv:3: My Rating must be a whole number 0..5" "$T/e1" || fail "bad rating names FILE:LINE: $(cat "$T/e1")"
"$CLI" recommend --model "$M" --data "$D" --goodreads "$D/ratings.csv" > /dev/null 2> "$T/e2" && fail "a ratings file accepted"
grep -q "ratings.csv:1: not a Goodreads library export: no 'Book Id' or 'Title' column" "$T/e2" \
  || fail "not an export: $(cat "$T/e2")"
"$CLI" recommend --model "$M" --data "$D" --rate 3:5 --matches > /dev/null 2> "$T/e3" && fail "--matches without --goodreads"
"$CLI" recommend --model "$M" --data "$D" --goodreads "$T/lib.csv" --rate 3:5 > /dev/null 2>&1 && fail "--goodreads with --rate"

# --- goodbooks: 2,000 rows, 40% other editions
GB=${BOOKREC_SHARED_DATA:-}
if [ -n "$GB" ] && [ -f "$GB/books.csv" ]; then
  G=$T/gb
  mkdir -p "$G"
  ln -s "$GB/books.csv" "$G/books.csv"
  awk 'BEGIN { srand(3); print "book_id,user_id,rating";
    for (u = 1; u <= 300; u++) { delete s; for (k = 0; k < 30; ) { b = 1 + int(rand() * 200); if (b in s) continue; s[b] = 1; k++;
      print b "," u "," 1 + int(rand() * 5) } } }' > "$G/ratings.csv"
  "$CLI" train --arch ease --data "$G" --out "$G/ease.bkr" > /dev/null 2> "$G/train.err" || fail "goodbooks model: $(cat "$G/train.err")"
  node "$T/gen.mjs" "$G/books.csv" "$G/lib.csv" 2000 0.4 7 || fail "generating the goodbooks export"
  "$CLI" recommend --model "$G/ease.bkr" --data "$G" --goodreads "$G/lib.csv" --matches -k 5 > "$G/gr.out" 2> "$G/gr.err" \
    || fail "recommend --goodreads on goodbooks: $(cat "$G/gr.err")"
  head -1 "$G/gr.out"
  read -r GN GM < <(sed -n 's/.*: matched \([0-9]*\) of \([0-9]*\) books.*/\1 \2/p' "$G/gr.out")
  echo "goodbooks: matched ${GN:-?} of ${GM:-?} rows ($(awk -v n="${GN:-0}" -v m="${GM:-1}" 'BEGIN { printf "%.2f", 100 * n / m }')%)"
  [ "${GM:-0}" -ge 1000 ] && [ $((100 * ${GN:-0})) -ge $((95 * ${GM:-1})) ] || fail "goodbooks: under 95% matched"
  node "$T/site.mjs" "$G/books.csv" "$G/lib.csv" > "$G/site.ids" 2> /dev/null || fail "site matching on goodbooks"
  if diff <(awk '/^  matched line/ {print $5}' "$G/gr.out" | sort -n | uniq) "$G/site.ids" > "$G/diff"; then
    ok "goodbooks: the CLI and the site match the same $(wc -l < "$G/site.ids") books"
  else
    fail "goodbooks: the CLI and the site match different books: $(head -6 "$G/diff" | tr '\n' ' ')"
  fi
else
  echo "skip: the goodbooks part (no books.csv in \$BOOKREC_SHARED_DATA='${GB}')"
fi
finish "cli_goodreads: all checks passed"
