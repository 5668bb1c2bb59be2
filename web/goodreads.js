// Reading a Goodreads library export (My Books → Import/Export, "goodreads_library_export.csv") and
// matching its rows to the bookrec catalogue, on the reader's device. Pure functions, no DOM: the page
// (app.js) and the site build (tools/build-site.mjs, which writes the matching data, match.json, from
// books.csv with makeMatchData) both use this module, and tests/js/goodreads.test.mjs tests it in node.
// Not a general CSV library: one RFC 4180 parser sized for these files; nothing is sent anywhere.
//
// A row is matched in this order: the Goodreads book id against goodreads_book_id or best_book_id;
// then the ISBN (ISBN-10 and ISBN-13 both compared as ISBN-13); then the normalised title and first
// author's surname (another edition of the same book usually differs in ids and ISBNs only).

export const MAX_EXPORT_BYTES = 20 * 1024 * 1024;

// The Goodreads book id in a goodbooks cover URL (https://images.gr-assets.com/books/1447303603m/2767052.jpg
// is book 2767052), or 0. The site build leaves these ids out of catalog.json's gr column (0 there).
export function goodreadsIdFromCover(url) {
  const m = /^https?:\/\/images\.gr-assets\.com\/books\/\d+[a-z]\/(\d{1,12})\.jpg$/.exec(String(url ?? ''));
  return m ? Number(m[1]) : 0;
}

// Parses CSV text (RFC 4180: quoted fields with commas, doubled quotes and line breaks; CRLF or LF;
// an optional byte order mark) into an array of rows, each an array of strings.
export function parseCSV(text) {
  const s = String(text);
  const rows = [];
  let row = [];
  let field = '';
  let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  const n = s.length;
  while (i < n) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' || c === '\n') {
      row.push(field); field = '';
      rows.push(row); row = [];
      i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

// Strips Excel-style `="..."` wrapping, spaces and hyphens from an ISBN; returns digits (and a final X).
export function cleanIsbn(raw) {
  let s = String(raw ?? '').trim();
  const m = /^="?(.*?)"?$/.exec(s);
  if (m && s.startsWith('=')) s = m[1];
  return s.replace(/[\s-]/g, '').toUpperCase().replace(/[^0-9X]/g, '');
}

// ISBN-10 (any length up to 10; books.csv lost the leading zeros) -> ISBN-13 with 978 and its check
// digit, or '' when it is not an ISBN-10.
export function isbn10to13(raw) {
  let s = cleanIsbn(raw);
  if (!s || s.length > 10 || !/^\d+[\dX]?$/.test(s) || /X./.test(s)) return '';
  s = s.padStart(10, '0');
  const core = `978${s.slice(0, 9)}`;
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += Number(core[k]) * (k % 2 ? 3 : 1);
  return core + String((10 - (sum % 10)) % 10);
}

// Any ISBN (10 or 13 digits, with `="..."` or hyphens) -> ISBN-13, or ''.
export function toIsbn13(raw) {
  const s = cleanIsbn(raw);
  if (/^\d{13}$/.test(s)) return s;
  if (s.length >= 9 && s.length <= 10) return isbn10to13(s);
  return '';
}

// The 12-significant-digit form books.csv keeps of an ISBN-13 (it was written as a float:
// 9.78043902348e+12), so that a reader's ISBN-13 can still meet a catalogue row without an ISBN-10.
export function isbn13Lossy(raw) {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 1e9) return '';
  return v.toPrecision(12);
}

const ARTICLES = /^(the|a|an|le|la|les|der|die|das|el|los|las|il)\s+/;

// Lower case, no diacritics, punctuation as spaces, one space between words.
function plain(text) {
  return String(text ?? '')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/['’‘`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

// Title -> matching key: series parentheses ("(Harry Potter, #1)") and other trailing brackets
// dropped, lower case, no punctuation, no leading article. full=false also drops a subtitle.
export function normTitle(title, { full = true } = {}) {
  let t = String(title ?? '').replace(/\s*[([][^()[\]]*[)\]]\s*$/u, '');
  t = t.replace(/\s*[([][^()[\]]*#\s*[\d.]+[^()[\]]*[)\]]/gu, ' '); // a series mark anywhere
  if (!full) t = t.split(/\s*[:;]\s+|\s+[-–—]\s+/u)[0];
  return plain(t).replace(ARTICLES, '');
}

// Authors ("J.K. Rowling, Mary GrandPré" or "Rowling, J.K." from "Author l-f") -> the first author's
// surname, lower case, no punctuation.
export function authorKey(authors, { lastFirst = false } = {}) {
  const s = String(authors ?? '');
  if (lastFirst) return plain(s.split(',')[0]).split(' ').pop() || '';
  const first = s.split(',')[0];
  const w = plain(first).split(' ').filter(Boolean);
  const suffix = new Set(['jr', 'sr', 'ii', 'iii', 'iv']);
  while (w.length > 1 && suffix.has(w[w.length - 1])) w.pop();
  return w.pop() || '';
}

const COLUMNS = {
  bookId: 'Book Id', title: 'Title', author: 'Author', authorLF: 'Author l-f', isbn: 'ISBN', isbn13: 'ISBN13',
  rating: 'My Rating', shelf: 'Exclusive Shelf', shelves: 'Bookshelves', dateAdded: 'Date Added', dateRead: 'Date Read',
};

export class ImportError extends Error {}

// Reads a Goodreads export. Columns are found by header name, so their order does not matter.
// Returns { rows: [{line, bookId, title, author, authorLF, isbn13s: [..], rating 0..5, shelf}], skipped }.
// Throws ImportError when the text is not a Goodreads export.
export function parseGoodreadsExport(text) {
  if (String(text).length > MAX_EXPORT_BYTES) throw new ImportError('the file is larger than 20 MB; is it a Goodreads library export?');
  const table = parseCSV(text);
  if (table.length === 0) throw new ImportError('the file is empty');
  const head = table[0].map((h) => h.trim());
  const at = {};
  for (const [key, name] of Object.entries(COLUMNS)) {
    const i = head.findIndex((h) => h.toLowerCase() === name.toLowerCase());
    at[key] = i;
  }
  if (at.title < 0 || (at.bookId < 0 && at.isbn < 0 && at.isbn13 < 0)) {
    throw new ImportError('this is not a Goodreads library export (it has no "Title" and "Book Id" columns); export it from Goodreads: My Books → Import and export → Export library');
  }
  const rows = [];
  let skipped = 0;
  for (let r = 1; r < table.length; r++) {
    const f = table[r];
    const get = (k) => (at[k] >= 0 ? String(f[at[k]] ?? '').trim() : '');
    const title = get('title');
    const bookId = get('bookId').replace(/\D/g, '');
    if (!title && !bookId) { skipped++; continue; }
    const rating = Number(get('rating'));
    let shelf = get('shelf').toLowerCase();
    if (!shelf) shelf = /(^|,\s*)to-read(\s*,|$)/.test(get('shelves').toLowerCase()) ? 'to-read' : 'read';
    const isbn13s = [...new Set([toIsbn13(get('isbn13')), toIsbn13(get('isbn'))].filter(Boolean))];
    rows.push({
      line: r + 1,
      bookId,
      title,
      author: get('author'),
      authorLF: get('authorLF'),
      isbn13s,
      rating: Number.isInteger(rating) && rating >= 1 && rating <= 5 ? rating : 0,
      shelf,
      dateAdded: get('dateAdded'),
    });
  }
  return { rows, skipped };
}

// Matching data from books.csv's text (the site build writes it as match.json): columns in the order
// of bookIds (the model's books). Holds only what catalog.json does not: Goodreads ids and ISBNs.
// Titles and authors for the title match come from catalog.json, plus original_title when it differs.
export function makeMatchData(booksCsvText, bookIds) {
  const table = parseCSV(booksCsvText);
  const head = table[0].map((h) => h.trim());
  const col = (name) => head.indexOf(name);
  const ci = { id: col('book_id'), gr: col('goodreads_book_id'), best: col('best_book_id'), isbn: col('isbn'),
    isbn13: col('isbn13'), orig: col('original_title'), title: col('title') };
  if (ci.id < 0) throw new Error('books.csv: no book_id column');
  const byId = new Map();
  for (let r = 1; r < table.length; r++) byId.set(String(table[r][ci.id] ?? '').trim(), table[r]);
  const out = { version: 1, gr: [], best: [], isbn13: [], isbn13f: [], orig: [] };
  const num = (v) => { const s = String(v ?? '').trim().replace(/\.0+$/, ''); return /^\d+$/.test(s) ? Number(s) : 0; };
  for (const id of bookIds) {
    const f = byId.get(String(id)) || [];
    const get = (i) => (i >= 0 ? String(f[i] ?? '').trim() : '');
    const gr = num(get(ci.gr));
    const best = num(get(ci.best));
    out.gr.push(gr);
    out.best.push(best && best !== gr ? best : 0);
    const i13 = isbn10to13(get(ci.isbn));
    out.isbn13.push(i13);
    out.isbn13f.push(i13 ? '' : isbn13Lossy(get(ci.isbn13)));
    const orig = get(ci.orig);
    out.orig.push(orig && normTitle(orig) !== normTitle(get(ci.title)) ? orig : '');
  }
  // trailing-empty columns cost nothing to leave out
  for (const k of ['best', 'isbn13f', 'orig']) if (out[k].every((v) => !v)) out[k] = [];
  return out;
}

// Builds a matcher over the catalogue (catalog.json's columns: book_id, title, authors) and the optional
// matching data (match.json). Returns match(row) -> { index, how: 'id'|'isbn'|'title' } or null.
export function createMatcher(catalogue, matchData = null) {
  const n = catalogue.book_id.length;
  const byGr = new Map();
  const byIsbn = new Map();
  const byIsbnLossy = new Map();
  const byTitle = new Map();
  const first = (map, key, i) => { if (key && !map.has(key)) map.set(key, i); };
  const m = matchData && typeof matchData === 'object' ? matchData : {};
  const col = (k) => (Array.isArray(m[k]) && m[k].length === n ? m[k] : null);
  const gr = col('gr');
  const best = col('best');
  const i13 = col('isbn13');
  const i13f = col('isbn13f');
  const orig = col('orig');
  for (let i = 0; i < n; i++) {
    if (gr && gr[i]) first(byGr, String(gr[i]), i);
    if (i13 && i13[i]) first(byIsbn, String(i13[i]), i);
    if (i13f && i13f[i]) first(byIsbnLossy, String(i13f[i]), i);
  }
  for (let i = 0; i < n; i++) if (best && best[i]) first(byGr, String(best[i]), i);
  const titleKeys = (title, author) => {
    const a = author;
    const full = normTitle(title);
    const short = normTitle(title, { full: false });
    return [full && `${full}|${a}`, short && short !== full ? `${short}|${a}` : null].filter(Boolean);
  };
  // First pass: full titles (the more popular book wins a tie). Second: titles without their subtitle
  // and original titles, used only where they point to one book (so "Batman" matches no Batman book).
  for (let i = 0; i < n; i++) {
    const a = authorKey(catalogue.authors[i]);
    first(byTitle, `${normTitle(catalogue.title[i])}|${a}`, i);
  }
  const loose = new Map();
  const addLoose = (k, i) => {
    if (byTitle.has(k)) return;
    const had = loose.get(k);
    loose.set(k, had === undefined || had === i ? i : -1);
  };
  for (let i = 0; i < n; i++) {
    const a = authorKey(catalogue.authors[i]);
    for (const k of titleKeys(catalogue.title[i], a)) addLoose(k, i);
    if (orig && orig[i]) for (const k of titleKeys(orig[i], a)) addLoose(k, i);
  }
  for (const [k, i] of loose) if (i >= 0) byTitle.set(k, i);

  return function match(row) {
    if (row.bookId && byGr.has(row.bookId)) return { index: byGr.get(row.bookId), how: 'id' };
    for (const s of row.isbn13s || []) {
      if (byIsbn.has(s)) return { index: byIsbn.get(s), how: 'isbn' };
      const lossy = isbn13Lossy(s);
      if (byIsbnLossy.has(lossy)) return { index: byIsbnLossy.get(lossy), how: 'isbn' };
    }
    const authors = [authorKey(row.author), authorKey(row.authorLF, { lastFirst: true })].filter(Boolean);
    for (const a of [...new Set(authors)]) {
      for (const k of titleKeys(row.title, a)) if (byTitle.has(k)) return { index: byTitle.get(k), how: 'title' };
    }
    return null;
  };
}

// Matches every row. Returns { matched: [{row, index, how}], unmatched: [row], ratings: Map(index ->
// 1..5), want: [index], counts }. A book listed twice keeps its last rating.
export function matchExport(rows, match) {
  const matched = [];
  const unmatched = [];
  const ratings = new Map();
  const want = [];
  const counts = { id: 0, isbn: 0, title: 0 };
  for (const row of rows) {
    const hit = match(row);
    if (!hit) { unmatched.push(row); continue; }
    counts[hit.how]++;
    matched.push({ row, index: hit.index, how: hit.how });
    if (row.rating >= 1) ratings.set(hit.index, row.rating);
    else if (row.shelf === 'to-read' && !want.includes(hit.index)) want.push(hit.index);
  }
  return { matched, unmatched, ratings, want, counts };
}
