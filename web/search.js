// Book search for the new-reader panel: title or author, fast and forgiving. A word-prefix pass over
// a prebuilt word index answers most queries in a few milliseconds (every query word must start a
// word of the title or the authors; whole words rank above prefixes, then catalogue order, which in
// goodbooks is popularity). When that finds few books (typos, partial words) fuse.js's fuzzy token
// search fills in, loaded only then. Not a general search engine: no stemming, no phrase queries.

const FUZZY_BELOW = 3; // run the fuzzy pass when the prefix pass finds fewer books than this

// Lower-cases, strips diacritics and splits into words of letters and digits.
export function words(text) {
  return String(text ?? '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .match(/[\p{L}\p{N}]+/gu) || [];
}

// Builds a searcher over parallel arrays of titles and authors; loadFuse() resolves to the Fuse class.
export function createSearch(titles, authors, loadFuse) {
  const n = titles.length;
  const docWords = new Array(n);
  for (let i = 0; i < n; i++) docWords[i] = [...new Set(words(titles[i]).concat(words(authors[i])))];
  let fuse = null;

  async function fuzzy() {
    if (!fuse) {
      const Fuse = await loadFuse();
      const docs = Array.from({ length: n }, (_, i) => ({ i, title: String(titles[i] ?? ''), authors: String(authors[i] ?? '') }));
      fuse = new Fuse(docs, {
        keys: [{ name: 'title', weight: 0.6 }, { name: 'authors', weight: 0.4 }],
        useTokenSearch: true,
        tokenMatch: 'all',
        ignoreDiacritics: true,
        ignoreLocation: true,
        threshold: 0.34,
        minMatchCharLength: 2,
      });
    }
    return fuse;
  }

  // Returns up to `limit` dense indices best matching `query`, and how they were found.
  async function search(query, limit = 20) {
    const q = words(query).slice(0, 8);
    if (q.length === 0) return { hits: [], fuzzy: false };
    const scored = [];
    for (let i = 0; i < n; i++) {
      const dw = docWords[i];
      let score = 0;
      let all = true;
      for (const t of q) {
        let best = 0;
        for (const w of dw) {
          if (w === t) { best = 2; break; }
          if (best === 0 && w.startsWith(t)) best = 1;
        }
        if (best === 0) { all = false; break; }
        score += best;
      }
      if (all) scored.push([score, i]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const hits = scored.slice(0, limit).map((x) => x[1]);
    if (hits.length >= FUZZY_BELOW || hits.length >= limit) return { hits, fuzzy: false };
    const f = await fuzzy();
    const seen = new Set(hits);
    for (const r of f.search(String(query).slice(0, 100), { limit })) {
      if (hits.length >= limit) break;
      if (!seen.has(r.item.i)) {
        seen.add(r.item.i);
        hits.push(r.item.i);
      }
    }
    return { hits, fuzzy: true };
  }

  return { search, warm: () => fuzzy().then(() => {}) };
}
