// Book search for the new-reader panel: title or author words, forgiving of typos, showing only books
// that really match. Every query word must match a word of the book's title or authors: the same word
// or the start of one ("hobb" finds Hobbit); a query word that starts no word of the catalogue at all
// is taken as misspelt and matches words within a small edit distance (one edit for 4-7 letters, two
// from 8; transpositions count as one), so "tolkein" finds Tolkien and "hobit" The Hobbit. Books are
// ranked by how well they match (whole words, then prefixes, then near spellings) and, among equals,
// by catalogue order, which in goodbooks is popularity. The word index is built in slices (warm()) so
// the page can prepare it while idle; a search before it is complete builds the rest at once. Not a
// general search engine: no stemming, no phrase queries.
// (The site used fuse.js here; its fuzzy scores ranked "Chobits" above The Hobbit for "hobit" and
// padded exact results with unrelated books, so matching is done on whole words instead.)

const SLICE = 500; // books indexed per slice while warming (small: input stays responsive on a slow phone)

// Lower-cases, strips diacritics and apostrophes ("Ender's" -> "enders") and splits into words of
// letters and digits.
export function words(text) {
  return String(text ?? '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/['’‘`]/g, '')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu) || [];
}

// How many edits a misspelt query word of this length may be from a catalogue word.
export function maxEdits(len) {
  return len < 4 ? 0 : len < 8 ? 1 : 2;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), or max + 1 when it is
// larger than max.
export function editDistance(a, b, max) {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  let prev2 = new Array(lb + 1).fill(0);
  let prev = Array.from({ length: lb + 1 }, (_, j) => j);
  let cur = new Array(lb + 1).fill(0);
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= lb; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[lb];
}

// Builds a searcher over parallel arrays of titles and authors.
export function createSearch(titles, authors) {
  const n = titles.length;
  const vocab = new Map(); // word -> postings (array of book indices, ascending)
  let sorted = null; // the vocabulary, sorted, for prefix ranges
  let built = 0;
  let warming = null;

  function indexSlice(end) {
    for (; built < end; built++) {
      for (const w of new Set(words(titles[built]).concat(words(authors[built])))) {
        let p = vocab.get(w);
        if (!p) vocab.set(w, (p = []));
        p.push(built);
      }
    }
  }

  // Builds the index in slices, yielding to the page between them; resolves when it is complete.
  function warm() {
    if (!warming) {
      warming = (async () => {
        while (built < n) {
          indexSlice(Math.min(n, built + SLICE));
          if (built < n) await new Promise((r) => setTimeout(r, 0));
        }
        finish();
      })();
    }
    return warming;
  }

  // Indexes what is left at once (a query is waiting: no more yielding between slices).
  function finish() {
    indexSlice(n);
    if (!sorted) sorted = [...vocab.keys()].sort();
  }

  // The catalogue words a query word matches, with a quality: 3 the same word, 2 a prefix of it,
  // 1 or 0.5 one or two edits away (only for words that start no catalogue word).
  function candidates(t) {
    const out = [];
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < sorted.length && sorted[k].startsWith(t); k++) out.push([sorted[k], sorted[k] === t ? 3 : 2]);
    if (out.length) return { list: out, fuzzy: false };
    const max = maxEdits(t.length);
    if (max === 0) return { list: out, fuzzy: false };
    for (const w of sorted) {
      if (Math.abs(w.length - t.length) > max || w.length < 3) continue;
      const d = editDistance(t, w, max);
      if (d <= max) out.push([w, d === 1 ? 1 : 0.5]);
    }
    return { list: out, fuzzy: true };
  }

  // Returns { hits: up to `limit` book indices, best first; fuzzy: whether near spellings were used;
  // total: how many books match }.
  async function search(query, limit = 20) {
    finish();
    const q = [...new Set(words(query))].slice(0, 8);
    if (q.length === 0) return { hits: [], fuzzy: false, total: 0 };
    let scores = null; // book index -> [sum of qualities, number of near-spelt words]
    let usedFuzzy = false;
    for (const t of q) {
      const { list, fuzzy } = candidates(t);
      usedFuzzy ||= fuzzy;
      const best = new Map();
      for (const [w, quality] of list) {
        for (const i of vocab.get(w)) {
          if (scores && !scores.has(i)) continue;
          if ((best.get(i) || 0) < quality) best.set(i, quality);
        }
      }
      const next = new Map();
      for (const [i, quality] of best) {
        const [s, f] = scores ? scores.get(i) : [0, 0];
        next.set(i, [s + quality, f + (quality < 2 ? 1 : 0)]);
      }
      scores = next;
      if (scores.size === 0) break;
    }
    const ranked = [...scores].sort((a, b) => a[1][1] - b[1][1] || b[1][0] - a[1][0] || a[0] - b[0]);
    return { hits: ranked.slice(0, limit).map((x) => x[0]), fuzzy: usedFuzzy, total: ranked.length };
  }

  return { search, warm };
}
