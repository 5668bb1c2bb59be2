# shlib.sh - the helpers the CLI shell tests (tests/cli_*.sh) share, sourced by each: fail counts a failed
# check and says why, ok reports a passed one, json runs a JavaScript check against a JSON file (j is the
# parsed file), finish ends the test with a non-zero status when any check failed. Not a test itself.
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
