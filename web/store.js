// The new reader's ratings, kept in the browser's localStorage so they survive reloads. Only this
// module reads or writes the storage entry. A missing entry means a new reader; an entry that does
// not parse or does not have the expected shape is removed and reported, so the page starts clean
// instead of breaking. Not a sync mechanism: nothing leaves the browser.

export const STORAGE_KEY = 'bookrec.reader.v1';
const VERSION = 1;
const MAX_RATINGS = 10000;

function storage() {
  try {
    const s = globalThis.localStorage;
    return s || null;
  } catch {
    return null; // access denied (e.g. storage disabled for this site)
  }
}

// Reads the saved ratings. isKnownBook(id) tells whether an id is in the current catalogue.
// Returns { ratings: Map(bookId -> 1..5) in the order they were given, notice: string|null }.
export function loadRatings(isKnownBook) {
  const ratings = new Map();
  const s = storage();
  if (!s) return { ratings, notice: 'This browser does not allow local storage here, so your ratings will not be kept after you leave the page.' };
  let raw;
  try {
    raw = s.getItem(STORAGE_KEY);
  } catch {
    return { ratings, notice: 'Local storage could not be read, so your ratings will not be kept after you leave the page.' };
  }
  if (raw === null) return { ratings, notice: null };
  const problem = validate(raw);
  if (problem) {
    try {
      s.removeItem(STORAGE_KEY);
    } catch { /* nothing more to do */ }
    return { ratings, notice: `Your saved ratings could not be read (${problem}), so the page started clean.` };
  }
  let dropped = 0;
  for (const [id, r] of JSON.parse(raw).ratings) {
    if (isKnownBook(id)) ratings.set(id, r);
    else dropped++;
  }
  const notice = dropped
    ? `${dropped} saved rating${dropped === 1 ? '' : 's'} referred to books that are not in this catalogue and ${dropped === 1 ? 'was' : 'were'} left out.`
    : null;
  return { ratings, notice };
}

// Returns null when raw is a well-formed storage entry, else a short description of what is wrong.
export function validate(raw) {
  let data;
  try {
    data = JSON.parse(raw);
  } catch {
    return 'not valid JSON';
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'expected an object';
  if (data.version !== VERSION) return `expected version ${VERSION}, got ${JSON.stringify(data.version)?.slice(0, 20)}`;
  if (!Array.isArray(data.ratings)) return 'expected a list of ratings';
  if (data.ratings.length > MAX_RATINGS) return 'too many ratings';
  const seen = new Set();
  for (const entry of data.ratings) {
    if (!Array.isArray(entry) || entry.length !== 2) return 'expected [book id, rating] pairs';
    const [id, r] = entry;
    if (typeof id !== 'string' || id.length === 0 || id.length > 64) return 'bad book id';
    if (!Number.isInteger(r) || r < 1 || r > 5) return 'rating outside 1-5';
    if (seen.has(id)) return 'a book rated twice';
    seen.add(id);
  }
  return null;
}

// Saves the ratings; returns null on success or a message when the browser refused.
export function saveRatings(ratings) {
  const s = storage();
  if (!s) return 'local storage is not available';
  try {
    s.setItem(STORAGE_KEY, JSON.stringify({ version: VERSION, ratings: [...ratings] }));
    return null;
  } catch (e) {
    return `your ratings could not be saved (${e && e.name ? e.name : 'storage error'})`;
  }
}

// Removes the saved ratings.
export function clearRatings() {
  const s = storage();
  try {
    if (s) s.removeItem(STORAGE_KEY);
  } catch { /* nothing saved then */ }
}
