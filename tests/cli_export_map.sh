#!/usr/bin/env bash
# cli_export_map.sh - `bookrec export`'s files for the site's genre filter and book map, on the small goodbooks-like
# fixture with generated book_tags.csv / tags.csv (CRLF): books.json gets each book's genre shelves (shelf names
# such as to-read and favorites, and generic labels such as fiction, left out; classics / Clàssics / classic
# folded into one), at most 3 a book; map.bin has its header and one 16-bit point per book, for an EASE model and
# an mf model; --tags none writes no genres; --tags with a directory lacking the files is an error.
set -u
. "$(dirname "$0")/shlib.sh"
need_fixture
scratch expmap

# the fixture plus tags: 0 to-read, 1 favorites, 2 fiction above a genre 3..6 (book b: 3 + b % 4), and one of the
# three spellings of classics (7..9) on every third book
mkdir -p "$T/data"
cp "$D/books.csv" "$D/ratings.csv" "$T/data/"
printf 'tag_id,tag_name\r\n0,to-read\r\n1,favorites\r\n2,fiction\r\n3,fantasy\r\n4,mystery\r\n5,romance\r\n6,history\r\n7,classics\r\n8,"Clàssics"\r\n9,classic\r\n' \
  > "$T/data/tags.csv"
awk -F, 'NR > 1 { printf "%s,0,900\r\n%s,1,500\r\n%s,2,400\r\n%s,%d,%d\r\n", $2, $2, $2, $2, 3 + $1 % 4, 100 + $1 % 7;
                   if ($1 % 3 == 0) printf "%s,%d,50\r\n", $2, 7 + $1 % 9 / 3 }' "$D/books.csv" > "$T/body.csv"
{ printf 'goodreads_book_id,tag_id,count\r\n'; cat "$T/body.csv"; } > "$T/data/book_tags.csv"

"$CLI" train --data "$T/data" --arch ease --out "$T/ease.bkr" > /dev/null 2> "$T/train.err" || fail "train ease: $(tail -2 "$T/train.err")"
"$CLI" export --data "$T/data" --model "$T/ease.bkr" --out "$T/exp" > "$T/exp.out" 2>&1 || fail "export: $(cat "$T/exp.out")"
grep -q 'genre shelves: 5 names' "$T/exp.out" && ok "5 genre names" || fail "expected 5 genre names: $(grep genre "$T/exp.out")"
json "$T/exp/books.json" '
  const names = new Set(j.flatMap((b) => b.genres || []));
  for (const bad of ["to-read", "favorites", "fiction"]) if (names.has(bad)) throw new Error(bad + " kept");
  if ([...names].filter((n) => /^cl.ssics?$/iu.test(n)).length !== 1) throw new Error("classics not folded: " + [...names]);
  if (!j.every((b) => (b.genres || []).length >= 1 && b.genres.length <= 3)) throw new Error("1..3 genres a book");
  const b1 = j.find((b) => b.book_id === "1");
  if (b1.genres[0] !== "mystery") throw new Error("book 1 strongest genre " + b1.genres[0]);' \
  && ok "books.json genres: no shelf names, classics folded, 1..3 a book, strongest first" || fail "books.json genres"
check_map() { # file, books
  node -e '
    const b = require("fs").readFileSync(process.argv[1]);
    const n = Number(process.argv[2]);
    if (b.toString("latin1", 0, 4) !== "BKMP" || b.readUInt32LE(4) !== 1 || b.readUInt32LE(8) !== n) throw new Error("header");
    if (b.length !== 32 + 4 * n) throw new Error("size " + b.length);
    const r = [0, 1, 2, 3].map((k) => b.readFloatLE(16 + 4 * k));
    if (!(r[0] < r[1] && r[2] < r[3])) throw new Error("ranges " + r);
    const xs = new Set(); for (let i = 0; i < n; i++) xs.add(b.readUInt32LE(32 + 4 * i));
    if (xs.size < n / 2) throw new Error("only " + xs.size + " distinct points");' "$1" "$2"
}
n=$(json "$T/exp/books.json" 'console.log(j.length)')
check_map "$T/exp/map.bin" "$n" && ok "EASE map.bin: header, $n spread points" || fail "EASE map.bin"
grep -q '"map.bin"' "$T/exp/manifest.json" && ok "manifest lists map.bin" || fail "manifest lacks map.bin"

"$CLI" train --data "$T/data" --arch mf --dim 8 --epochs 2 --patience 0 --threads 1 --out "$T/mf.bkr" > /dev/null 2>&1 || fail "train mf"
"$CLI" export --data "$T/data" --model "$T/mf.bkr" --out "$T/mexp" --no-eval --tags none > "$T/mexp.out" 2>&1 || fail "export mf: $(cat "$T/mexp.out")"
check_map "$T/mexp/map.bin" "$n" && ok "mf map.bin" || fail "mf map.bin"
[ -s "$T/mexp/vecs.tsv" ] && ok "vecs.tsv still written" || fail "no vecs.tsv"
json "$T/mexp/books.json" 'if (j.some((b) => "genres" in b)) throw new Error("genres")' && ok "--tags none: no genres" || fail "--tags none wrote genres"
"$CLI" export --data "$T/data" --model "$T/mf.bkr" --out "$T/x" --no-eval --tags "$T/nowhere" > "$T/x.out" 2>&1 &&
  fail "--tags with no files accepted" || { grep -q 'book_tags.csv and tags.csv not found' "$T/x.out" && ok "--tags DIR without the files is an error" || fail "message: $(cat "$T/x.out")"; }
finish
