#!/usr/bin/env bash
# cli_ratings_cache.sh - the ratings cache as `bookrec train` uses it (BOOKREC_RATINGS_CACHE=DIR): the first run
# parses and writes the cache, the second reads it and trains the same model byte for byte; a changed CSV (same
# size, new content and mtime) makes the cache stale and rebuilt; a truncated cache and one with a flipped byte are
# refused with a warning naming the file, rebuilt, and the model is still the same; BOOKREC_RATINGS_CACHE=off
# writes nothing. Exit 0 pass, 1 fail, 77 skip (no CLI).
set -u
CLI=${BOOKREC_CLI:-}
if [ -z "$CLI" ] || [ ! -x "$CLI" ]; then echo "SKIP: BOOKREC_CLI is not set or not executable"; exit 77; fi
. "$(dirname "$0")/shlib.sh"
SRC=${BOOKREC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/bookrec-rcache.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$SRC/tests/fixtures/goodbooks-mini/ratings.csv" "$work/ratings.csv"
export BOOKREC_RATINGS_CACHE="$work/cache"
train() { "$CLI" train --arch seed --ratings "$work/ratings.csv" --epochs 1 --threads 1 --out "$work/$1.bkr" 2> "$work/$1.err" >/dev/null; }

train a || fail "first run failed: $(cat "$work/a.err")"
grep -q "ratings cache: wrote $work/cache/" "$work/a.err" && ok "first run writes the cache" || fail "no cache written: $(cat "$work/a.err")"
cache=$(ls "$work"/cache/*.bkrc 2>/dev/null | head -1)
[ -n "$cache" ] || fail "no cache file in $work/cache"
train b || fail "second run failed"
grep -q "ratings cache: read $work/ratings.csv from $cache" "$work/b.err" && ok "second run reads it" || fail "cache not read: $(cat "$work/b.err")"
cmp -s "$work/a.bkr" "$work/b.bkr" && ok "same model from the cache" || fail "the model differs when read from the cache"

# same size, other content: sampled rows differ (and the mtime)
sed -i '2s/,[0-9]$/,3/' "$work/ratings.csv"
touch -d '2001-01-01' "$work/ratings.csv"
train c || fail "run after the change failed"
grep -q "is stale" "$work/c.err" && grep -q "ratings cache: wrote" "$work/c.err" && ok "a changed CSV rebuilds the cache" \
  || fail "changed CSV: $(cat "$work/c.err")"
cp "$SRC/tests/fixtures/goodbooks-mini/ratings.csv" "$work/ratings.csv"
train a2 >/dev/null; cmp -s "$work/a.bkr" "$work/a2.bkr" || fail "model after restoring the CSV differs"

size=$(stat -c %s "$cache")
truncate -s $((size / 2)) "$cache"
train d || fail "run with a truncated cache failed"
grep -q "ratings cache $cache refused: truncated" "$work/d.err" && ok "a truncated cache is refused" || fail "truncated: $(cat "$work/d.err")"
cmp -s "$work/a.bkr" "$work/d.bkr" || fail "model after a truncated cache differs"
printf '\x55' | dd of="$cache" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
train e || fail "run with a damaged cache failed"
grep -q "refused: checksum mismatch" "$work/e.err" && ok "a damaged cache is refused" || fail "damaged: $(cat "$work/e.err")"
cmp -s "$work/a.bkr" "$work/e.bkr" || fail "model after a damaged cache differs"
train f; grep -q "ratings cache: read" "$work/f.err" && ok "the rebuilt cache is read" || fail "rebuilt: $(cat "$work/f.err")"

rm -rf "$work/cache"
BOOKREC_RATINGS_CACHE=off train g
[ ! -e "$work/cache" ] && ! grep -q "ratings cache" "$work/g.err" && ok "BOOKREC_RATINGS_CACHE=off" || fail "off: $(cat "$work/g.err")"
finish
