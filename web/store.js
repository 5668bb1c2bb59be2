// What the reader gave the page (ratings, the want-to-read shelf, books marked "not interested"), kept
// in the browser's localStorage so it survives reloads, and the reader data file that moves it between
// browsers ({"format":"bookrec-reader","version":1,...}). Only this module reads or writes the storage
// entry or the file format. Nothing the reader gave is dropped silently: entries for books that are not
// in the current catalogue (a new model build) are kept aside and written back, so they return when the
// book does; an entry that cannot be read is skipped and the whole old entry is kept in a backup key.
// Not a sync mechanism: nothing leaves the browser. No DOM here.

export const STORAGE_KEY = 'bookrec.reader.v1';
export const BACKUP_KEY = 'bookrec.reader.backup';
export const FILE_FORMAT = 'bookrec-reader';
const VERSION = 1;
const MAX_ENTRIES = 20000;
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

function storage() {
  try {
    const s = globalThis.localStorage;
    return s || null;
  } catch {
    return null; // access denied (e.g. storage disabled for this site)
  }
}

// An empty reader: ratings Map(book id -> 1..5) in the order given, want and hidden Sets of book ids.
export function emptyReader() {
  return { ratings: new Map(), want: new Set(), hidden: new Set() };
}

function idProblem(id) {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return 'bad book id';
  return null;
}

// The structure of a stored entry or reader file (already parsed), or null when it is usable.
function structureProblem(data, { file = false } = {}) {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'expected an object';
  if (file && data.format !== FILE_FORMAT) return `expected "format": "${FILE_FORMAT}"`;
  if (data.version !== VERSION) return `expected version ${VERSION}, got ${JSON.stringify(data.version)?.slice(0, 20)}`;
  if (!Array.isArray(data.ratings)) return 'expected a list of ratings';
  for (const k of ['want', 'hidden']) if (data[k] !== undefined && !Array.isArray(data[k])) return `expected "${k}" to be a list`;
  const total = data.ratings.length + (data.want?.length || 0) + (data.hidden?.length || 0);
  if (total > MAX_ENTRIES) return 'too many entries';
  return null;
}

// Reads the entries of a parsed entry or file one by one. Returns { reader, bad: [problem...] }; an
// unreadable entry is skipped and named, the others are kept.
export function readEntries(data) {
  const reader = emptyReader();
  const bad = [];
  for (const entry of data.ratings) {
    if (!Array.isArray(entry) || entry.length !== 2) { bad.push('expected [book id, rating] pairs'); continue; }
    const [id, r] = entry;
    const p = idProblem(id);
    if (p) { bad.push(p); continue; }
    if (!Number.isInteger(r) || r < 1 || r > 5) { bad.push('rating outside 1-5'); continue; }
    if (reader.ratings.has(id)) { bad.push('a book rated twice'); reader.ratings.delete(id); }
    reader.ratings.set(id, r);
  }
  for (const k of ['want', 'hidden']) {
    for (const id of data[k] || []) {
      const p = idProblem(id);
      if (p) bad.push(p);
      else reader[k].add(id);
    }
  }
  return { reader, bad };
}

// Returns null when raw is a well-formed storage entry, else a short description of the first problem.
export function validate(raw) {
  let data;
  try {
    data = JSON.parse(raw);
  } catch {
    return 'not valid JSON';
  }
  return structureProblem(data) || readEntries(data).bad[0] || null;
}

// Splits a reader into the entries for known books and the rest (kept aside).
export function partition(reader, isKnownBook) {
  const known = emptyReader();
  const aside = emptyReader();
  for (const [id, r] of reader.ratings) (isKnownBook(id) ? known : aside).ratings.set(id, r);
  for (const k of ['want', 'hidden']) for (const id of reader[k]) (isKnownBook(id) ? known : aside)[k].add(id);
  return { known, aside };
}

function size(reader) {
  return reader.ratings.size + reader.want.size + reader.hidden.size;
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function backup(s, raw) {
  try {
    s.setItem(BACKUP_KEY, raw);
    return true;
  } catch {
    return false;
  }
}

// Reads what was saved. isKnownBook(id) tells whether an id is in the current catalogue.
// Returns { reader (known books), aside (other books, kept), notice: string|null }.
export function loadReader(isKnownBook) {
  const none = { reader: emptyReader(), aside: emptyReader() };
  const s = storage();
  if (!s) return { ...none, notice: 'This browser does not allow local storage here, so your ratings will not be kept after you leave the page.' };
  let raw;
  try {
    raw = s.getItem(STORAGE_KEY);
  } catch {
    return { ...none, notice: 'Local storage could not be read, so your ratings will not be kept after you leave the page.' };
  }
  if (raw === null) return { ...none, notice: null };
  let data = null;
  let problem = null;
  try {
    data = JSON.parse(raw);
  } catch {
    problem = 'not valid JSON';
  }
  problem = problem || structureProblem(data);
  if (problem) {
    const kept = backup(s, raw);
    try {
      s.removeItem(STORAGE_KEY);
    } catch { /* nothing more to do */ }
    return { ...none, notice: `Your saved ratings could not be read (${problem}), so the page started clean${kept ? '; a copy of the old entry is kept in this browser' : ''}.` };
  }
  const { reader, bad } = readEntries(data);
  const { known, aside } = partition(reader, isKnownBook);
  const notes = [];
  if (bad.length) {
    const kept = backup(s, raw);
    notes.push(`${plural(bad.length, 'saved entry', 'saved entries')} could not be read (${bad[0]}) and ${bad.length === 1 ? 'was' : 'were'} left out${kept ? '; a copy of the old entry is kept in this browser' : ''}.`);
  }
  const n = size(aside);
  if (n) notes.push(`${plural(n, 'saved entry', 'saved entries')} refer${n === 1 ? 's' : ''} to books that are not in this catalogue; ${n === 1 ? 'it is' : 'they are'} kept aside and will return if the books do.`);
  return { reader: known, aside, notice: notes.length ? notes.join(' ') : null };
}

function lists(reader, aside) {
  const out = { version: VERSION, ratings: [...reader.ratings, ...aside.ratings] };
  const want = [...reader.want, ...aside.want];
  const hidden = [...reader.hidden, ...aside.hidden];
  if (want.length) out.want = want;
  if (hidden.length) out.hidden = hidden;
  return out;
}

// Saves the reader (and the entries kept aside); returns null on success or a message when refused.
export function saveReader(reader, aside = emptyReader()) {
  const s = storage();
  if (!s) return 'local storage is not available';
  try {
    if (size(reader) + size(aside) === 0) s.removeItem(STORAGE_KEY);
    else s.setItem(STORAGE_KEY, JSON.stringify(lists(reader, aside)));
    return null;
  } catch (e) {
    return `your ratings could not be saved (${e && e.name ? e.name : 'storage error'})`;
  }
}

// The reader data file: everything, including what is kept aside; titleOf(id) adds titles for people
// reading the file (ignored on import).
export function makeReaderFile(reader, aside, titleOf = () => '') {
  const body = lists(reader, aside);
  const titles = {};
  for (const id of new Set([...body.ratings.map((x) => x[0]), ...(body.want || []), ...(body.hidden || [])])) {
    const t = titleOf(id);
    if (t) titles[id] = t;
  }
  return { format: FILE_FORMAT, version: VERSION, exported: new Date().toISOString(), ratings: body.ratings,
    want: body.want || [], hidden: body.hidden || [], titles };
}

// Parses a reader data file's text. Returns { reader, bad: [problem...] }; throws an Error with a
// message for the reader when the file is not a bookrec reader file at all.
export function parseReaderFile(text) {
  if (String(text).length > MAX_FILE_BYTES) throw new Error('the file is larger than 5 MB; is it a bookrec reader file?');
  let data;
  try {
    data = JSON.parse(String(text).replace(/^\uFEFF/, ''));
  } catch {
    throw new Error('the file is not a bookrec reader file (it is not JSON)');
  }
  if (data && typeof data === 'object' && data.format === FILE_FORMAT && typeof data.version === 'number' && data.version > VERSION) {
    throw new Error(`the file was written by a newer bookrec (version ${data.version}); this page reads version ${VERSION}`);
  }
  const problem = structureProblem(data, { file: true });
  if (problem) throw new Error(`the file is not a bookrec reader file (${problem})`);
  return readEntries(data);
}

// Merges an imported reader into the current one (ratings from the file replace ratings of the same
// book; shelves are united; a book rated is taken off "not interested"). Entries for unknown books go
// aside. Returns counts: { ratings, changed, want, hidden, aside }.
export function mergeReader(reader, aside, incoming, isKnownBook) {
  const { known, aside: extra } = partition(incoming, isKnownBook);
  const counts = { ratings: 0, changed: 0, want: 0, hidden: 0, aside: size(extra) };
  for (const [id, r] of known.ratings) {
    if (!reader.ratings.has(id)) counts.ratings++;
    else if (reader.ratings.get(id) !== r) counts.changed++;
    reader.ratings.delete(id);
    reader.ratings.set(id, r);
    reader.hidden.delete(id);
  }
  for (const id of known.want) if (!reader.want.has(id)) { reader.want.add(id); counts.want++; }
  for (const id of known.hidden) if (!reader.hidden.has(id) && !reader.ratings.has(id)) { reader.hidden.add(id); counts.hidden++; }
  for (const [id, r] of extra.ratings) aside.ratings.set(id, r);
  for (const k of ['want', 'hidden']) for (const id of extra[k]) aside[k].add(id);
  return counts;
}
