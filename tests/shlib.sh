# shlib.sh - the helpers the CLI shell tests (tests/cli_*.sh) share, sourced by each: CLI (the bookrec binary
# CTest names), scratch makes the test's temporary directory, need_fixture and need_goodbooks find the data a test
# needs or skip it (exit 77), fail counts a failed check and says why, ok reports a passed one, json runs a
# JavaScript check against a JSON file (j is the parsed file), finish ends the test with a non-zero status when any
# check failed, three_tastes writes a small catalogue of three tastes for the top-N tests. Not a test itself.
CLI=${BOOKREC_CLI:?BOOKREC_CLI must name the bookrec binary}
unset BOOKREC_DATA # each test names its data; a data directory set in the caller's environment must not leak in
FAILS=0
# scratch NAME: T, a new temporary directory, removed when the test ends (kept when KEEP is set).
scratch() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/bookrec-$1.XXXXXX") || exit 1
  trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
}
# need_fixture: D, the committed goodbooks-mini fixture (SRC, the source tree), or the test is skipped.
need_fixture() {
  SRC=${BOOKREC_SOURCE_DIR:?BOOKREC_SOURCE_DIR must name the source tree}
  D=$SRC/tests/fixtures/goodbooks-mini
  [ -f "$D/books.csv" ] && [ -f "$D/ratings.csv" ] || { echo "no fixture at $D: skipped"; exit 77; }
}
# need_goodbooks: DATA, the goodbooks-10k directory (BOOKREC_SHARED_DATA), or the test is skipped.
need_goodbooks() {
  DATA=${BOOKREC_SHARED_DATA:-}
  if [ -z "$DATA" ] || [ ! -f "$DATA/ratings.csv" ]; then
    echo "skip: no goodbooks-10k data at '${DATA}'"
    exit 77
  fi
}
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

# three_tastes DIR SEED READERS BOOKS MIN: writes DIR/ratings.csv and DIR/books.csv (DIR made when missing), a
# catalogue of three tastes (book b is Fantasy, Crime or Poetry by b % 3; reader u likes taste u % 3): each reader
# rates MIN..MIN+9 books, 85% of the others' books skipped, 4-5 stars on taste and 1-2 off it.
three_tastes() {
  mkdir -p "$1"
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
