// node --test: web/goodreads.js, the Goodreads library import: the CSV parser (BOM, CRLF, quoted line
// breaks, commas and quotes), ISBN handling, an export with every kind of row against the fixture
// catalogue, and the match rate on a generated export full of other editions, against the goodbooks-10k
// books.csv when the data is on this machine (else the fixture's), reported as a diagnostic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseCSV, cleanIsbn, isbn10to13, toIsbn13, isbn13Lossy, normTitle, authorKey, parseGoodreadsExport,
  makeMatchData, createMatcher, matchExport, ImportError, goodreadsIdFromCover,
} from '../../web/goodreads.js';
import { HEADER, readBooks, toCSV, rowFor, isbnCell, isbn10Of, otherEditionsExport } from './goodreads-gen.mjs';
import { findData } from '../../tools/lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE_BOOKS = path.join(ROOT, 'tests', 'fixtures', 'goodbooks-mini', 'books.csv');

function catalogueOf(books) {
  return { book_id: books.map((b) => b.book_id), title: books.map((b) => b.title), authors: books.map((b) => b.authors) };
}

function matcherFor(file) {
  const books = readBooks(file);
  const cat = catalogueOf(books);
  const data = makeMatchData(readFileSync(file, 'utf8'), cat.book_id);
  return { books, cat, data, match: createMatcher(cat, JSON.parse(JSON.stringify(data))) };
}

test('CSV: BOM, CRLF, quoted commas, quotes and line breaks', () => {
  const text = '\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"line one\r\nline two",\r\n"",,"3"\r\n';
  assert.deepEqual(parseCSV(text), [['a', 'b', 'c'], ['1', 'x, y', 'say "hi"'], ['2', 'line one\r\nline two', ''], ['', '', '3']]);
  assert.deepEqual(parseCSV('a,b\nc,d'), [['a', 'b'], ['c', 'd']], 'no final newline');
  assert.deepEqual(parseCSV('a\n\nb\n'), [['a'], ['b']], 'blank lines are skipped');
});

test('ISBNs: ="..." cells, ISBN-10 to ISBN-13, lost leading zeros, the float form of books.csv', () => {
  assert.equal(cleanIsbn('="0439023483"'), '0439023483');
  assert.equal(cleanIsbn('=""'), '');
  assert.equal(cleanIsbn('978-0-439-02348-1'), '9780439023481');
  assert.equal(isbn10to13('0439023483'), '9780439023481');
  assert.equal(isbn10to13('439023483'), '9780439023481', 'books.csv dropped the leading zero');
  assert.equal(isbn10to13('043965548X'), '9780439655484');
  assert.equal(isbn10to13('12X4'), '');
  assert.equal(toIsbn13('="9780439023481"'), '9780439023481');
  assert.equal(toIsbn13('="0439023483"'), '9780439023481');
  assert.equal(toIsbn13('123'), '');
  assert.equal(isbn13Lossy('9.78043902348e+12'), isbn13Lossy('9780439023481'));
  assert.equal(isbn13Lossy('9.7804251888e+12'), isbn13Lossy('9780425188800'));
});

test('Goodreads ids in goodbooks cover URLs', () => {
  assert.equal(goodreadsIdFromCover('https://images.gr-assets.com/books/1447303603m/2767052.jpg'), 2767052);
  assert.equal(goodreadsIdFromCover('https://s.gr-assets.com/assets/nophoto/book/111x148-bcc042a9c91a29c1d680899eff700a03.png'), 0);
  assert.equal(goodreadsIdFromCover('https://images.example.org/covers/1037m.jpg'), 0);
  assert.equal(goodreadsIdFromCover(null), 0);
});

test('titles and authors are normalised for matching', () => {
  assert.equal(normTitle("Harry Potter and the Sorcerer's Stone (Harry Potter, #1)"), 'harry potter and the sorcerers stone');
  assert.equal(normTitle('The Hunger Games (The Hunger Games #1)'), 'hunger games');
  assert.equal(normTitle('A Game of Thrones: Special Edition', { full: false }), 'game of thrones');
  assert.equal(normTitle('Les Misérables'), 'miserables');
  assert.equal(authorKey('J.K. Rowling, Mary GrandPré'), 'rowling');
  assert.equal(authorKey('Martin Luther King Jr.'), 'king');
  assert.equal(authorKey('Rowling, J.K.', { lastFirst: true }), 'rowling');
});

test('an export with every kind of row, BOM and CRLF, columns in another order', () => {
  const { books, match } = matcherFor(FIXTURE_BOOKS);
  const withIsbn = books.filter((b) => b.isbn);
  const [a, b, c, d, e, f, g] = withIsbn;
  const rows = [];
  // 1. by Goodreads id, rated, with a review holding a line break, a comma and quotes
  rows.push(rowFor(a, { rating: 5, review: 'Loved it,\r\nreally. "Best" of the year' }));
  // 2. ISBN-10 only (another Goodreads id)
  rows.push({ ...rowFor(b, { rating: 4 }), 'Book Id': '99000001' });
  // 3. ISBN-13 only
  rows.push({ ...rowFor(c, { rating: 2 }), 'Book Id': '99000002', ISBN: isbnCell(''), ISBN13: isbnCell(isbn10to13(isbn10Of(c))) });
  // 4. another edition: no id or ISBN of ours, the title with a subtitle, the author written last-first only
  rows.push({ ...rowFor(d, { rating: 3 }), 'Book Id': '99000003', ISBN: isbnCell(''), ISBN13: isbnCell('9791234567896'),
    Title: `${normTitle(d.title) === d.title.toLowerCase() ? d.title : d.title}: Collector's Edition`, Author: '' });
  // 5. to-read, not rated
  rows.push(rowFor(e, { shelf: 'to-read' }));
  // 6. read, rating 0 (not rated)
  rows.push(rowFor(f, { rating: 0 }));
  // 7. a book the catalogue does not have
  rows.push({ ...rowFor(g, { rating: 5 }), 'Book Id': '99000004', ISBN: isbnCell('0000000000'), ISBN13: isbnCell(''), Title: 'A Book Nobody Has Heard Of', Author: 'Nobody', 'Author l-f': 'Nobody' });
  // 8. currently reading, rated
  rows.push(rowFor(g, { rating: 3, shelf: 'currently-reading' }));
  const header = [...HEADER].reverse();
  const text = toCSV(rows, { crlf: true, bom: true, header });
  const { rows: parsed, skipped } = parseGoodreadsExport(text);
  assert.equal(skipped, 0);
  assert.equal(parsed.length, 8);
  assert.equal(parsed[0].title, a.title);
  assert.deepEqual(parsed[2].isbn13s, [isbn10to13(isbn10Of(c))]);
  const res = matchExport(parsed, match);
  const idOf = (m) => books[m.index].book_id;
  assert.deepEqual(res.matched.map((m) => [idOf(m), m.how]), [
    [a.book_id, 'id'], [b.book_id, 'isbn'], [c.book_id, 'isbn'], [d.book_id, 'title'], [e.book_id, 'id'], [f.book_id, 'id'], [g.book_id, 'id']]);
  assert.deepEqual(res.unmatched.map((r) => r.title), ['A Book Nobody Has Heard Of']);
  const ratings = Object.fromEntries([...res.ratings].map(([i, r]) => [books[i].book_id, r]));
  assert.deepEqual(ratings, { [a.book_id]: 5, [b.book_id]: 4, [c.book_id]: 2, [d.book_id]: 3, [g.book_id]: 3 });
  assert.deepEqual(res.want.map((i) => books[i].book_id), [e.book_id]);
});

test('not an export: a message, not a crash', () => {
  assert.throws(() => parseGoodreadsExport(''), ImportError);
  assert.throws(() => parseGoodreadsExport('user_id,book_id,rating\n1,2,3\n'), /not a Goodreads library export/);
  const { rows } = parseGoodreadsExport('Title,Book Id,My Rating\n"Only a title",,x\n,,\n');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].rating, 0);
});

test('the match data is lean: only ids and ISBNs, columns left out when empty', () => {
  const { data, cat } = matcherFor(FIXTURE_BOOKS);
  assert.equal(data.gr.length, cat.book_id.length);
  assert.ok(!('title' in data) && !('authors' in data), 'titles and authors come from catalog.json');
});

test('other editions: at least 95% of the rows whose book is in the catalogue are matched', (t) => {
  // the goodbooks-10k data as npm start finds it (or beside the worktrees), else the fixture
  const dataDir = findData() || [path.resolve(ROOT, '..', '..', 'shared', 'data', 'goodbooks-10k')].find((d) => existsSync(path.join(d, 'books.csv')));
  const file = dataDir ? path.join(dataDir, 'books.csv') : FIXTURE_BOOKS;
  if (!existsSync(file)) throw new Error(`no books.csv at ${file}`);
  const { books, match, data } = matcherFor(file);
  const { rows, expected } = otherEditionsExport(books, { count: Math.min(3000, books.length), other: 0.4, seed: 7 });
  const { rows: parsed } = parseGoodreadsExport(toCSV(rows, { bom: true, crlf: true }));
  const res = matchExport(parsed, match);
  let right = 0;
  let wrong = 0;
  for (const m of res.matched) {
    const want = expected[m.row.line - 2];
    if (books[m.index].book_id === want) right++;
    else {
      wrong++;
      if (process.env.BOOKREC_DEBUG) console.log('wrong', m.how, JSON.stringify(m.row.title), '->', books[m.index].title, 'want', books.find((b) => b.book_id === want).title);
    }
  }
  if (process.env.BOOKREC_DEBUG) for (const u of res.unmatched) console.log('unmatched', JSON.stringify(u.title), u.author);
  const rate = right / rows.length;
  const size = JSON.stringify(data).length;
  t.diagnostic(`${path.relative(ROOT, file)}: ${rows.length} rows (40% other editions), matched ${res.matched.length} ` +
    `(${right} right, ${wrong} to another catalogue book; by id ${res.counts.id}, ISBN ${res.counts.isbn}, title ${res.counts.title}), ` +
    `rate ${(100 * rate).toFixed(1)}%; match.json ${(size / 1024).toFixed(0)} KB`);
  assert.ok(rate >= 0.95, `matched ${(100 * rate).toFixed(1)}% of the rows right, want >= 95%`);
  assert.ok(wrong / rows.length < 0.01, `${wrong} rows matched to the wrong book`);
});
