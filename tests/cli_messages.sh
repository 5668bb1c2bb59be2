#!/usr/bin/env bash
# cli_messages.sh - what the `bookrec` CLI says when the input is wrong, the same way in every command:
# a malformed ratings row fails every command with FILE:LINE unless --skip-bad (which skips and counts it);
# whole-number ratings outside 1..5 name the --min-rating/--max-rating flags, and a catalogue's own scale is
# inferred and said; no message repeats its prefix ("bias baseline: bias baseline: ..."); and a catalogue
# that is not goodbooks (a movie-like file with --item-col movieId) is spoken of in its own noun, never "books".
set -u
. "$(dirname "$0")/shlib.sh"
scratch msg

# A small goodbooks-like dataset: 60 users x 40 books, whole stars 1..5.
D=$T/data
mkdir -p "$D"
awk -v seed=11 'BEGIN {
  srand(seed); print "book_id,user_id,rating";
  for (u = 1; u <= 60; u++) for (k = 0; k < 12; k++) { b = 1 + int(rand() * 40); print b "," u "," 1 + int(rand() * 5); }
}' > "$D/ratings.csv"
awk 'BEGIN { print "book_id,title,authors"; for (b = 1; b <= 40; b++) print b ",Book " b ",Author " b; }' > "$D/books.csv"
M=$T/model.bkr
"$CLI" train --data "$D" --arch mf --epochs 1 --threads 1 --out "$M" > /dev/null 2> "$T/err.txt" || fail "train: $(cat "$T/err.txt")"

# Prints the first message line of a failed command's stderr.
first() { head -1 "$1"; }

# ---------------------------------------------------------------- bad rows: the same in every command
B=$T/bad
mkdir -p "$B"
cp "$D/books.csv" "$B/"
cp "$D/ratings.csv" "$B/ratings.csv"
echo "12,abc,4" >> "$B/ratings.csv"
BADLINE=$(wc -l < "$B/ratings.csv")
for c in "stats" "train --epochs 1 --out $T/never.bkr" "eval --model $M" "recommend --model $M --user 3" \
         "export --model $M --out $T/never" "tune --arch mf --trials 1 --epochs 1"; do
  name=${c%% *}
  # shellcheck disable=SC2086
  "$CLI" $c --data "$B" > /dev/null 2> "$T/err.txt"; rc=$?
  [ $rc -eq 1 ] && grep -q "ratings.csv:$BADLINE: " "$T/err.txt" && ok "$name fails on a bad row with FILE:LINE" \
    || fail "$name on a bad row: rc $rc, $(first "$T/err.txt")"
done
[ ! -e "$T/never.bkr" ] && [ ! -e "$T/never" ] && ok "nothing written after a bad row" || fail "a failed command wrote output"
"$CLI" stats --data "$B" --skip-bad > "$T/out.txt" 2> "$T/err.txt"; rc=$?
[ $rc -eq 0 ] && grep -q "^rows skipped  *1 " "$T/out.txt" && grep -q "skipped 1 malformed" "$T/err.txt" \
  && ok "stats --skip-bad skips and counts" || fail "stats --skip-bad: rc $rc, $(cat "$T/out.txt" "$T/err.txt")"
"$CLI" recommend --data "$B" --skip-bad --model "$M" --user 3 -k 3 > /dev/null 2> "$T/err.txt" \
  && grep -q "skipped 1 malformed" "$T/err.txt" && ok "recommend --skip-bad skips and counts" || fail "recommend --skip-bad: $(cat "$T/err.txt")"

# ---------------------------------------------------------------- the rating scale
S=$T/scale
mkdir -p "$S"
cp "$D/ratings.csv" "$S/ratings.csv"
echo "7,5,10" >> "$S/ratings.csv"
LINE=$(wc -l < "$S/ratings.csv")
"$CLI" stats --data "$S" > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "ratings.csv:$LINE: rating 10 is outside 1..5" "$T/err.txt" && grep -q -- "--min-rating/--max-rating" "$T/err.txt" \
  && grep -q "span 1..10" "$T/err.txt" && ok "a whole-number rating outside 1..5 names the flags ($(first "$T/err.txt"))" \
  || fail "out-of-scale rating: rc $rc, $(cat "$T/err.txt")"
"$CLI" stats --data "$S" --min-rating 1 --max-rating 10 > "$T/out.txt" 2> "$T/err.txt" \
  && grep -q "^rating scale  *1..10" "$T/out.txt" && ! grep -q "inferred" "$T/err.txt" \
  && ok "--min-rating 1 --max-rating 10 sets the scale" || fail "--min/--max-rating: $(cat "$T/out.txt" "$T/err.txt")"
"$CLI" train --data "$S" --min-rating 1 --max-rating 10 --arch mf --epochs 1 --threads 1 --out "$T/scale.bkr" > /dev/null 2> "$T/err.txt" \
  && json "$T/scale.history.json" "if (j.config.min_rating!==1 || j.config.max_rating!==10) throw JSON.stringify(j.config);" \
  && ok "train keeps the scale set by the flags" || fail "train with --min/--max-rating: $(cat "$T/err.txt")"
"$CLI" stats --data "$S" --min-rating 0 > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--min-rating needs --max-rating" "$T/err.txt" && ok "one end of the scale alone is a usage error" \
  || fail "--min-rating alone: rc $rc, $(cat "$T/err.txt")"
"$CLI" stats --data "$S" --min-rating 5 --max-rating 1 > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 2 ] && ok "an upside-down scale is a usage error" || fail "--min-rating 5 --max-rating 1: rc $rc"
"$CLI" stats --data "$S" --min-rating 1 --max-rating 9 > /dev/null 2> "$T/err.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "ratings.csv:$LINE: rating 10 is outside the accepted range 1..9" "$T/err.txt" \
  && ok "a rating outside the given scale names FILE:LINE" || fail "outside 1..9: rc $rc, $(cat "$T/err.txt")"

# ---------------------------------------------------------------- no message repeats its prefix
printf 'book_id,user_id,rating\n1,1,4\n' > "$T/one.csv"
# Fails when a message line holds the same prefix twice in a row ("split: split: ...").
no_repeat() { awk -F': ' '{ for (i = 1; i < NF; i++) if ($i == $(i + 1)) { print "repeated \"" $i "\": " $0; bad = 1 } } END { exit bad }' "$1"; }
for c in "train --ratings $T/one.csv --out $T/never.bkr" "eval --ratings $T/one.csv --model $M" \
         "export --ratings $T/one.csv --model $M --out $T/never" "tune --ratings $T/one.csv --arch mf --trials 1" \
         "train --data $D --arch mf --epochs 2 --lr 1e30 --threads 1 --out $T/never.bkr"; do
  name=${c%% *}
  # shellcheck disable=SC2086
  "$CLI" $c > /dev/null 2> "$T/err.txt"; rc=$?
  [ $rc -eq 1 ] && grep -q "^bookrec: " "$T/err.txt" && no_repeat "$T/err.txt" && ok "$name: $(grep '^bookrec: [^wn]' "$T/err.txt" | head -1)" \
    || fail "$name: rc $rc, $(cat "$T/err.txt")"
done
"$CLI" train --ratings "$T/one.csv" --out "$T/never.bkr" 2>&1 | grep -q "^bookrec: split: a test fraction of 0.2 leaves no training ratings$" \
  && ok "the split's message is prefixed once" || fail "split message"
"$CLI" train --data "$D" --arch mf --epochs 2 --lr 1e30 --threads 1 --out "$T/never.bkr" 2>&1 \
  | grep -q '^bookrec: model_save: tensor "[a-z_]*" row [0-9]* holds a non-finite value' \
  && [ ! -e "$T/never.bkr" ] && ok "a diverged model is not saved, and says why once" || fail "diverged training"

# ---------------------------------------------------------------- words: a catalogue of movies says "movies"
F=${BOOKREC_SOURCE_DIR:-}/tests/fixtures/movies
if [ -f "$F/ratings.csv" ] && [ -f "$F/movies.csv" ]; then
  MV=(--ratings "$F/ratings.csv" --books "$F/movies.csv" --user-col userId --item-col movieId --item-id-col movieId)
  W=$T/words
  mkdir -p "$W"
  # every message of every command, with --noun movie: never "book" or "books" (books.json is a file name)
  {
    "$CLI" stats "${MV[@]}" --noun movie
    "$CLI" train "${MV[@]}" --noun movie --arch mf --epochs 2 --threads 1 --out "$W/m.bkr"
    "$CLI" recommend "${MV[@]}" --noun movie --model "$W/m.bkr" --user 3 -k 3
    "$CLI" similar "${MV[@]}" --noun movie --model "$W/m.bkr" --item 21 -k 3
    "$CLI" similar "${MV[@]}" --noun movie --model "$W/m.bkr" --item 22
    "$CLI" export "${MV[@]}" --noun movie --model "$W/m.bkr" --out "$W/exp"
    printf '3,21\n3,22\n' > "$W/pairs.csv"
    "$CLI" predict --noun movie --model "$W/m.bkr" --pairs "$W/pairs.csv"
    (cat "$F/ratings.csv"; echo "7,abc,4,965000000") > "$W/bad.csv"
    "$CLI" stats --ratings "$W/bad.csv" --user-col userId --item-col movieId --noun movie
  } > "$W/all.txt" 2>&1
  grep -vE "books\.json" "$W/all.txt" | grep -iwE "books?" > "$T/hits.txt" && fail "movies: messages say book: $(head -3 "$T/hits.txt")" \
    || ok "movies: no message says book(s)"
  grep -q "^movies  *80$" "$W/all.txt" && grep -q "80 movies" "$W/all.txt" && grep -q "^Top 3 movies for user 3" "$W/all.txt" \
    && grep -q "^Movies most similar to 21" "$W/all.txt" && grep -q "movie '22' is not in the model (it knows 80 movies)" "$W/all.txt" \
    && grep -q "pairs.csv:2: unknown movie id '22'" "$W/all.txt" && grep -q "bad.csv:[0-9]*: movie id \"abc\"" "$W/all.txt" \
    && ok "movies: messages say movie(s)" || fail "movies: $(cat "$W/all.txt")"
  grep -q "rating scale 1..10 inferred from the data" "$W/all.txt" && grep -q "^rating scale  *1..10" "$W/all.txt" \
    && ok "movies: the 1..10 scale is inferred and said" || fail "movies: scale not inferred"
  json "$W/exp/manifest.json" "if (j.noun.one!=='movie' || j.noun.many!=='movies') throw JSON.stringify(j.noun);" \
    && ok "movies: the export manifest names the noun" || fail "movies: manifest noun"
  # without --noun a catalogue that is not goodbooks is "items"; SINGULAR/PLURAL spells an irregular plural
  "$CLI" stats "${MV[@]}" > "$T/out.txt" 2>&1 && grep -q "^items  *80$" "$T/out.txt" && ! grep -iqw "books\?" "$T/out.txt" \
    && ok "movies without --noun: items" || fail "movies without --noun: $(cat "$T/out.txt")"
  "$CLI" similar "${MV[@]}" --noun person/people --model "$W/m.bkr" --item 22 > /dev/null 2> "$T/err.txt"
  grep -q "person '22' is not in the model (it knows 80 people)" "$T/err.txt" && ok "--noun person/people" \
    || fail "--noun person/people: $(cat "$T/err.txt")"
  # goodbooks keeps its books
  "$CLI" stats --data "$D" > "$T/out.txt" 2>&1 && grep -q "^books  *40$" "$T/out.txt" && ! grep -q "inferred" "$T/out.txt" \
    && ok "goodbooks: books" || fail "goodbooks stats: $(cat "$T/out.txt")"
else
  echo "skip: no tests/fixtures/movies (node tools/gen-fixture.mjs makes it)"
fi

finish "all CLI message checks passed"
