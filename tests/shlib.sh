# shlib.sh - the helpers the CLI shell tests (tests/cli_*.sh) share, sourced by each: fail counts a failed
# check and says why, ok reports a passed one, json runs a JavaScript check against a JSON file (j is the
# parsed file), finish ends the test with a non-zero status when any check failed, three_tastes writes a small
# catalogue of three tastes for the top-N tests. Not a test itself.
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
json() { node -e "const j=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')); $2" "$1"; }
finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS check(s) failed" >&2
    exit 1
  fi
  echo "${1:-all checks passed}"
  exit 0
}

# three_tastes DIR SEED READERS BOOKS MIN: writes DIR/ratings.csv and DIR/books.csv, a catalogue of three tastes
# (book b is Fantasy, Crime or Poetry by b % 3; reader u likes taste u % 3): each reader rates MIN..MIN+9 books,
# 85% of the others' books skipped, 4-5 stars on taste and 1-2 off it.
three_tastes() {
  awk -v seed="$2" -v nu="$3" -v nb="$4" -v nmin="$5" 'BEGIN {
    srand(seed);
    print "book_id,user_id,rating";
    for (u = 1; u <= nu; u++) {
      like = u % 3; n = nmin + int(rand() * 10);
      delete seen;
      for (k = 0; k < n; ) {
        b = 1 + int(rand() * nb);
        if (b in seen) continue;
        if (b % 3 != like && rand() < 0.85) continue;
        seen[b] = 1; k++;
        r = (b % 3 == like) ? 4 + int(rand() * 2) : 1 + int(rand() * 2);
        print b "," u "," r;
      }
    }
  }' > "$1/ratings.csv"
  awk -v nb="$4" 'BEGIN {
    print "book_id,goodreads_book_id,authors,original_publication_year,title,average_rating,image_url,small_image_url";
    split("Fantasy,Crime,Poetry", genre, ",");
    for (b = 1; b <= nb; b++) printf "%d,%d,Author %d,2000,%s Book %d,4.0,,\n", b, 5000 + b, b % 7, genre[(b % 3) + 1], b;
  }' > "$1/books.csv"
}
