// Series in book titles: goodbooks' titles end with "(Series Name, #2)". This module parses them, indexes a
// catalogue's series (each series' lowest-numbered book), and reorders a recommendation list so a reader who has
// not started a series is offered its first book rather than a later one, and one who has gets its books in
// reading order. Pure functions over indices and titles: no DOM, no model (web/app.js calls them with the scores).

// "Title (The Stormlight Archive, #2)" -> { name: 'The Stormlight Archive', num: 2 }; "#1-3" (a boxed set) and
// "#0.5" (a novella) and "#3: Part 1 of 2" parse too, with range set for the first; null when the title names no
// series.
const SERIES_RE = /\(([^()]*?),?\s*#\s*(\d+(?:\.\d+)?)(\s*[-–]\s*\d+(?:\.\d+)?)?(?:[:;,]\s*[^()#]*)?\)\s*$/u;

export function parseSeries(title) {
  const m = SERIES_RE.exec(String(title ?? ''));
  if (!m) return null;
  const name = m[1].trim().replace(/,$/, '').trim();
  if (!name) return null;
  const num = Number(m[2]);
  if (!Number.isFinite(num)) return null;
  return { name, num, range: Boolean(m[3]) };
}

// The series of every title: { of: Array(n) of {name, key, num, range}|null, first: Map(key -> index of the
// lowest-numbered single book of the series in the catalogue numbered 1 or more (a prequel novella, #0.5, is not
// where a series starts) or else the lowest-numbered, ties by lower index) }.
export function indexSeries(titles) {
  const of = new Array(titles.length).fill(null);
  const first = new Map();
  for (let i = 0; i < titles.length; i++) {
    const s = parseSeries(titles[i]);
    if (!s) continue;
    const key = s.name.normalize('NFKC').toLowerCase().replace(/^the\s+/, '').replace(/\s+/g, ' ');
    of[i] = { ...s, key };
    if (s.range) continue; // an omnibus is never the book a series starts with
    const f = first.get(key);
    const before = (a, b) => (a >= 1) !== (b >= 1) ? a >= 1 : a < b; // would a start the series before b?
    if (f === undefined || before(s.num, of[f].num)) first.set(key, i);
  }
  return { of, first };
}

// "#2 in The Stormlight Archive", or null.
export function seriesLabel(s) {
  if (!s) return null;
  return `#${s.num} in ${s.name}`;
}

// Reorders a ranked list [{i, ...}] (best first) for a reader: an entry that is #N > 1 of a series the reader
// has not started (no book of it in `started`, a Set of series keys) is replaced by the series' first book
// (entryOf(first, later entry) makes its entry) when that book is allowed (allowed(first)) and not already listed, or is put
// just below the first book when that is listed further down. When the first book is not allowed, the later one
// is left out if hide(first) says so (e.g. the first is outside the chosen genre), else kept (e.g. the reader is not
// interested in the first). In a series the reader has started, an earlier book of the same series (numbered 1 or
// more, not an omnibus) listed further down moves up to just above the later one, so the next book to read comes
// first.
// Returns the new list (no index twice).
export function seriesFirst(list, series, started, allowed, entryOf, hide = () => false) {
  const listed = new Set(list.map((e) => e.i));
  const placed = new Set();
  const waiting = new Map(); // first book's index -> entries to put right after it
  const out = [];
  const put = (e) => {
    if (placed.has(e.i)) return;
    placed.add(e.i);
    out.push(e);
    const after = waiting.get(e.i);
    if (after) {
      waiting.delete(e.i);
      for (const a of after) put(a);
    }
  };
  const wait = (f, e) => { // e is shown right below f (its match may be higher)
    if (!waiting.has(f)) waiting.set(f, []);
    waiting.get(f).push({ ...e, after: f });
  };
  // a started series' listed entry just before e in reading order (the highest number below e's), or undefined
  const readsBefore = (e, s) => {
    let best;
    for (const o of list) {
      const t = series.of[o.i];
      if (o.i === e.i || !t || t.key !== s.key || t.range || !(t.num >= 1) || !(t.num < s.num)) continue;
      if (best === undefined || t.num > series.of[best.i].num) best = o;
    }
    return best;
  };
  const putInOrder = (e, s) => { // the unplaced earlier books of e's started series first, then e
    const b = readsBefore(e, s);
    if (b !== undefined && !placed.has(b.i)) putInOrder(b, series.of[b.i]);
    put(e);
  };
  for (const e of list) {
    const s = series.of[e.i];
    if (s && started.has(s.key) && !s.range) { putInOrder(e, s); continue; }
    const f = s ? series.first.get(s.key) : undefined;
    if (!s || f === undefined || f === e.i || started.has(s.key) || !(s.num > series.of[f].num)) { put(e); continue; }
    if (placed.has(f)) { put(e); continue; }
    if (listed.has(f)) { wait(f, e); continue; } // the first book comes later: this one waits for it
    if (allowed(f)) { listed.add(f); put(entryOf(f, e)); continue; } // offered instead of the later book
    if (hide(f)) continue; // never above a first book that cannot be shown here
    put(e); // the first book is not to be offered (not interested): keep this one
  }
  for (const rest of waiting.values()) for (const e of rest) put(e);
  return out;
}
