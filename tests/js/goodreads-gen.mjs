// Generates Goodreads library exports (goodreads_library_export.csv, as Goodreads writes them) from a
// books.csv, for the import tests (tests/js/goodreads.test.mjs, tests/browser/library.test.mjs): the
// real header, `="..."` ISBNs, and rows that stand for other editions of a catalogue book (another
// Goodreads id and ISBN, the title as that edition has it). Not a test file itself.
import { readFileSync } from 'node:fs';
import { parseCSV } from '../../web/goodreads.js';
import { rng } from './wasm-common.mjs';

export const HEADER = ['Book Id', 'Title', 'Author', 'Author l-f', 'Additional Authors', 'ISBN', 'ISBN13', 'My Rating',
  'Average Rating', 'Publisher', 'Binding', 'Number of Pages', 'Year Published', 'Original Publication Year', 'Date Read',
  'Date Added', 'Bookshelves', 'Bookshelves with positions', 'Exclusive Shelf', 'My Review', 'Spoiler', 'Private Notes',
  'Read Count', 'Owned Copies'];

// Reads books.csv into objects keyed by its header.
export function readBooks(file) {
  const t = parseCSV(readFileSync(file, 'utf8'));
  return t.slice(1).map((f) => Object.fromEntries(t[0].map((h, i) => [h, f[i] ?? ''])));
}

function quote(v) {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The CSV text of rows (objects keyed by HEADER names), as Goodreads writes it (LF, or CRLF; optional BOM).
export function toCSV(rows, { crlf = false, bom = false, header = HEADER } = {}) {
  const nl = crlf ? '\r\n' : '\n';
  const lines = [header.map(quote).join(',')];
  for (const r of rows) lines.push(header.map((h) => quote(r[h])).join(','));
  return (bom ? '\uFEFF' : '') + lines.join(nl) + nl;
}

export function isbnCell(s) {
  return s ? `="${s}"` : '=""';
}

// The Goodreads ISBN-10 of a books.csv row (which lost its leading zeros).
export function isbn10Of(b) {
  return b.isbn ? String(b.isbn).padStart(10, '0') : '';
}

// A row for a catalogue book as Goodreads exports it (same edition).
export function rowFor(b, { rating = 0, shelf = 'read', review = '' } = {}) {
  const author = String(b.authors).split(',')[0].trim();
  const parts = author.split(' ');
  return {
    'Book Id': b.goodreads_book_id,
    Title: b.title,
    Author: author,
    'Author l-f': parts.length > 1 ? `${parts.pop()}, ${parts.join(' ')}` : author,
    'Additional Authors': String(b.authors).split(',').slice(1).map((s) => s.trim()).join(', '),
    ISBN: isbnCell(isbn10Of(b)),
    ISBN13: isbnCell(''),
    'My Rating': String(rating),
    'Average Rating': b.average_rating,
    Publisher: 'Some House',
    Binding: 'Paperback',
    'Number of Pages': '320',
    'Year Published': '2010',
    'Original Publication Year': String(Math.trunc(Number(b.original_publication_year) || 0) || ''),
    'Date Read': rating ? '2020/01/02' : '',
    'Date Added': '2019/12/01',
    Bookshelves: shelf === 'read' ? '' : shelf,
    'Bookshelves with positions': shelf === 'read' ? '' : `${shelf} (#1)`,
    'Exclusive Shelf': shelf,
    'My Review': review,
    Spoiler: '',
    'Private Notes': '',
    'Read Count': shelf === 'read' ? '1' : '0',
    'Owned Copies': '0',
  };
}

function isbn13Check(core12) {
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += Number(core12[k]) * (k % 2 ? 3 : 1);
  return core12 + String((10 - (sum % 10)) % 10);
}

// Another edition's title: the series mark dropped or written another way, a subtitle added, or the
// original title (e.g. the UK title of a US edition).
function otherTitle(b, r) {
  const t = String(b.title);
  const series = /\s*\(([^()]*?),?\s*#\s*([\d.]+)\)\s*$/.exec(t);
  const bare = series ? t.slice(0, series.index) : t;
  const x = r();
  if (b.original_title && x < 0.25) return b.original_title;
  if (series && x < 0.5) return `${bare} (${series[1].trim()} #${series[2]})`;
  if (x < 0.75) return `${bare}: A Novel`;
  return bare.toUpperCase() === bare ? bare : `${bare} (Anniversary Edition)`;
}

// An export of `count` catalogue books (every one at most once) in which a share of the rows are other
// editions: `other` of them get a new Goodreads id, no ISBN of the catalogue, and another title form.
// Returns { rows, expected: [catalogue book_id per row] }.
export function otherEditionsExport(books, { count = 2000, other = 0.4, seed = 1 } = {}) {
  const r = rng(seed);
  const order = books.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rows = [];
  const expected = [];
  for (const i of order.slice(0, Math.min(count, books.length))) {
    const b = books[i];
    const rating = 1 + Math.floor(r() * 5);
    const row = rowFor(b, { rating });
    const kind = r();
    if (kind < other) {
      // another edition: a fresh id, an ISBN that is not the catalogue's, the title as printed on it
      row['Book Id'] = String(40000000 + Math.floor(r() * 9000000));
      row.ISBN = isbnCell('');
      row.ISBN13 = isbnCell(isbn13Check(`979${String(Math.floor(r() * 1e9)).padStart(9, '0')}`));
      row.Title = otherTitle(b, r);
    } else if (kind < other + 0.15) {
      // the catalogue's ISBN-10, another id
      row['Book Id'] = String(50000000 + i);
    } else if (kind < other + 0.3) {
      // only the ISBN-13 of the catalogue's edition, another id
      row['Book Id'] = String(60000000 + i);
      const i10 = isbn10Of(b);
      row.ISBN = isbnCell('');
      row.ISBN13 = isbnCell(i10 ? isbn13Check(`978${i10.slice(0, 9)}`) : '');
    }
    rows.push(row);
    expected.push(String(b.book_id));
  }
  return { rows, expected };
}
