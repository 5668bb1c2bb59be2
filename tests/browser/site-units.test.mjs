// node --test: the site's pure pieces without a browser: the rated-lists file (build-site's encoder
// against web/rated.js's decoder, and corrupt files), the reader's storage entry (validation, entries
// kept aside, backups) and data file, the image URL filter and the book search (with the queries that
// used to pad or miss, also on the goodbooks-10k catalogue when the data is on this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './site-common.mjs';
import { rng } from '../js/wasm-common.mjs';

const { encodeRated } = await import(path.join(ROOT, 'tools', 'build-site.mjs'));
const { decodeRated } = await import(path.join(ROOT, 'web', 'rated.js'));
const { validate, loadReader, saveReader, makeReaderFile, parseReaderFile, mergeReader, STORAGE_KEY, BACKUP_KEY } = await import(path.join(ROOT, 'web', 'store.js'));
const { safeImageUrl } = await import(path.join(ROOT, 'web', 'dom.js'));
const { createSearch, words, editDistance } = await import(path.join(ROOT, 'web', 'search.js'));
const { readBooks } = await import(path.join(ROOT, 'tests', 'js', 'goodreads-gen.mjs'));
const { findData } = await import(path.join(ROOT, 'tools', 'lib.mjs'));

function toArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

test('rated lists round-trip through build-site and rated.js', () => {
  const r = rng(7);
  const nItems = 10000;
  const users = new Map();
  for (let u = 0; u < 500; u++) {
    const m = new Map();
    const n = Math.floor(r() * 60);
    for (let j = 0; j < n; j++) m.set(Math.floor(r() * nItems), 1 + Math.floor(r() * 10) / 2);
    users.set(u === 3 ? 'ü-ser 3' : String(1000 + u * 7), m);
  }
  users.get('1000').set(nItems - 1, 5).set(0, 1);
  const file = decodeRated(toArrayBuffer(encodeRated(users, nItems)));
  assert.equal(file.size, users.size);
  assert.equal(file.nItems, nItems);
  for (const [id, m] of users) {
    const got = file.get(id);
    const want = [...m].sort((a, b) => a[0] - b[0]);
    assert.deepEqual(Array.from(got.items), want.map((x) => x[0]), `items of ${id}`);
    assert.deepEqual(Array.from(got.ratings), want.map((x) => x[1]), `ratings of ${id}`);
  }
  assert.equal(file.get('no such user'), null);
});

test('corrupt rated lists are rejected with a message', () => {
  const good = encodeRated(new Map([['1', new Map([[5, 4], [9, 2]])], ['2', new Map([[1, 5]])]]), 10);
  assert.throws(() => decodeRated(new ArrayBuffer(3)), /at least 24 bytes/);
  const bad = Buffer.from(good);
  bad.write('XXXX', 0, 'latin1');
  assert.throws(() => decodeRated(toArrayBuffer(bad)), /magic/);
  assert.throws(() => decodeRated(toArrayBuffer(good.subarray(0, good.length - 1))), /expected \d+ bytes/);
  const big = Buffer.from(good);
  big.writeUInt32LE(3, 12); // n_items smaller than an index in the data
  assert.throws(() => decodeRated(toArrayBuffer(big)).get('1'), /out of range/);
});

test('storage entries: valid ones pass, anything else is named', () => {
  assert.equal(validate('{"version":1,"ratings":[["12",5],["x",1]]}'), null);
  assert.equal(validate('{"version":1,"ratings":[]}'), null);
  const bad = {
    '{"version":1,"ratings":[["1",5': /JSON/,
    'null': /object/,
    '[]': /object/,
    '{"version":2,"ratings":[]}': /version/,
    '{"version":1}': /list/,
    '{"version":1,"ratings":[["1",6]]}': /1-5/,
    '{"version":1,"ratings":[["1",2.5]]}': /1-5/,
    '{"version":1,"ratings":[[1,5]]}': /book id/,
    '{"version":1,"ratings":[["1",5,3]]}': /pairs/,
    '{"version":1,"ratings":[["1",5],["1",4]]}': /twice/,
  };
  for (const [raw, why] of Object.entries(bad)) assert.match(validate(raw) || '', why, raw);
});

test('only http(s) image URLs are used, upgraded to https', () => {
  assert.equal(safeImageUrl('https://images.gr-assets.com/books/1m/2.jpg'), 'https://images.gr-assets.com/books/1m/2.jpg');
  assert.equal(safeImageUrl(' http://s.gr-assets.com/a.png '), 'https://s.gr-assets.com/a.png');
  for (const u of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:image/png;base64,AAAA', 'x', '/local.png',
    'vbscript:msgbox', 'https://user:pw@host/x.png', '', null, 42, `https://a/${'x'.repeat(3000)}`]) {
    assert.equal(safeImageUrl(u), null, String(u));
  }
});

test('search: word prefixes, authors, diacritics, then near spellings', async () => {
  const titles = ['The Hobbit', 'Pride and Prejudice', 'Dune', 'Dune Messiah', 'Jane Eyre', 'Harry Potter and the Sorcerer\'s Stone', 'The Stand'];
  const authors = ['J.R.R. Tolkien', 'Jane Austen', 'Frank Herbert', 'Frank Herbert', 'Charlotte Brontë', 'J.K. Rowling', 'Stephen King'];
  const s = createSearch(titles, authors);
  assert.deepEqual((await s.search('the')).hits, [0, 5, 6], 'equal matches in catalogue order');
  assert.deepEqual((await s.search('dune')).hits, [2, 3]);
  assert.deepEqual((await s.search('austen')).hits, [1]);
  assert.deepEqual((await s.search('bronte')).hits, [4]);
  assert.deepEqual((await s.search('herb mess')).hits, [3]);
  const typo = await s.search('hary poter');
  assert.equal(typo.fuzzy, true);
  assert.deepEqual(typo.hits, [5]);
  assert.deepEqual(words('Brontë, Charlotte'), ['bronte', 'charlotte']);
  assert.deepEqual(words("Ender's Game"), ['enders', 'game']);
  assert.deepEqual((await s.search('  ')).hits, []);
  assert.deepEqual((await s.search('zzzz qqqq')).hits, [], 'no padding with unrelated books');
  assert.equal(editDistance('tolkein', 'tolkien', 1), 1, 'a transposition is one edit');
  assert.equal(editDistance('hobit', 'chobits', 1), 2);
});

// The queries that went wrong with the fuzzy-padded search, on a catalogue holding the books they found.
const TRAPS = [
  ['The Hunger Games (The Hunger Games, #1)', 'Suzanne Collins'],
  ['The Hobbit', 'J.R.R. Tolkien'],
  ['The Fellowship of the Ring (The Lord of the Rings, #1)', 'J.R.R. Tolkien'],
  ['The Wide Window (A Series of Unfortunate Events, #3)', 'Lemony Snicket, Brett Helquist'],
  ['The Blind Side: Evolution of a Game', 'Michael Lewis'],
  ['The Name of the Wind (The Kingkiller Chronicle, #1)', 'Patrick Rothfuss'],
  ['Jane Eyre', 'Charlotte Brontë, Michael Mason'],
  ['The Berenstain Bears and the Messy Room', 'Stan Berenstain, Jan Berenstain'],
  ['The Berenstain Bears Get the Gimmies', 'Stan Berenstain, Jan Berenstain'],
  ['Chobits, Vol. 1', 'CLAMP'],
  ['Emma', 'Jane Austen'],
  ['The Power of Habit: Why We Do What We Do in Life and Business', 'Charles Duhigg'],
];

async function checkQueries(s, title) {
  const top = async (q, n) => (await s.search(q, 20)).hits.slice(0, n).map(title);
  const wind = await s.search('name of the wind', 20);
  assert.deepEqual(wind.hits.map(title).filter((t) => /wide window|blind side/i.test(t)), [], 'name of the wind: no padding');
  assert.match(title(wind.hits[0]), /^The Name of the Wind/);
  const jane = await s.search('jane eyre', 20);
  assert.match(title(jane.hits[0]), /^Jane Eyre/);
  assert.deepEqual(jane.hits.map(title).filter((t) => /Berenstain/.test(t)), [], 'jane eyre: no Berenstain Bears');
  assert.ok((await top('tolkein', 5)).includes('The Hobbit'), 'tolkein: The Hobbit in the top 5');
  assert.equal((await top('hobit', 1))[0], 'The Hobbit', 'hobit: The Hobbit first');
}

test('search: the queries that padded or missed', async () => {
  const s = createSearch(TRAPS.map((x) => x[0]), TRAPS.map((x) => x[1]));
  await checkQueries(s, (i) => TRAPS[i][0]);
});

test('search: the same queries on the goodbooks-10k catalogue, when the data is here', async (t) => {
  const dir = findData() || path.resolve(ROOT, '..', '..', 'shared', 'data', 'goodbooks-10k');
  if (!existsSync(path.join(dir, 'books.csv'))) {
    t.skip('goodbooks-10k books.csv not found');
    return;
  }
  const books = readBooks(path.join(dir, 'books.csv'));
  const s = createSearch(books.map((b) => b.title), books.map((b) => b.authors));
  const t0 = performance.now();
  await s.warm();
  const tw = performance.now() - t0;
  await checkQueries(s, (i) => books[i].title);
  const t1 = performance.now();
  const r = await s.search('tolkein', 20);
  t.diagnostic(`index of ${books.length} books built in ${tw.toFixed(0)} ms (in slices); "tolkein" ${(performance.now() - t1).toFixed(1)} ms, ${r.total} books`);
  assert.ok(r.hits.every((i) => /Tolkien/.test(books[i].authors)), 'tolkein: only Tolkien\'s books');
});

test('reader storage: entries for unknown books are kept aside, a bad entry is skipped and backed up', () => {
  const mem = new Map();
  globalThis.localStorage = { getItem: (k) => (mem.has(k) ? mem.get(k) : null), setItem: (k, v) => mem.set(k, String(v)), removeItem: (k) => mem.delete(k) };
  try {
    const known = (id) => ['1', '2', '3'].includes(id);
    mem.set(STORAGE_KEY, JSON.stringify({ version: 1, ratings: [['1', 5], ['old', 4], ['2', 9]], want: ['3', 'gone'], hidden: ['2'] }));
    const got = loadReader(known);
    assert.deepEqual([...got.reader.ratings], [['1', 5]]);
    assert.deepEqual([...got.reader.want], ['3']);
    assert.deepEqual([...got.reader.hidden], ['2']);
    assert.deepEqual([...got.aside.ratings], [['old', 4]]);
    assert.deepEqual([...got.aside.want], ['gone']);
    assert.match(got.notice, /1 saved entry could not be read \(rating outside 1-5\)/);
    assert.match(got.notice, /2 saved entries refer to books that are not in this catalogue; they are kept aside/);
    assert.ok(mem.get(BACKUP_KEY).includes('"old"'), 'the old entry is backed up');
    assert.equal(saveReader(got.reader, got.aside), null);
    const saved = JSON.parse(mem.get(STORAGE_KEY));
    assert.deepEqual(saved.ratings, [['1', 5], ['old', 4]], 'what is kept aside is written back');
    assert.deepEqual(saved.want, ['3', 'gone']);
    // a later build that has the book again gets the rating back
    const again = loadReader((id) => id !== 'nothing');
    assert.deepEqual([...again.reader.ratings], [['1', 5], ['old', 4]]);
    assert.equal(again.notice, null);
  } finally {
    delete globalThis.localStorage;
  }
});

test('reader data file: round trip, validation, merge', () => {
  const reader = { ratings: new Map([['1', 5], ['2', 3]]), want: new Set(['3']), hidden: new Set(['4']) };
  const aside = { ratings: new Map([['old', 2]]), want: new Set(), hidden: new Set() };
  const file = makeReaderFile(reader, aside, (id) => `Book ${id}`);
  assert.equal(file.format, 'bookrec-reader');
  assert.equal(file.version, 1);
  assert.equal(file.titles['1'], 'Book 1');
  const back = parseReaderFile(JSON.stringify(file));
  assert.deepEqual([...back.reader.ratings], [['1', 5], ['2', 3], ['old', 2]]);
  assert.deepEqual(back.bad, []);
  for (const [text, why] of [['{', /not JSON/], ['[]', /object/], ['{"format":"x","version":1,"ratings":[]}', /format/],
    ['{"format":"bookrec-reader","version":2,"ratings":[]}', /newer bookrec/], ['{"format":"bookrec-reader","version":1}', /list of ratings/]]) {
    assert.throws(() => parseReaderFile(text), why, text);
  }
  const partly = parseReaderFile('{"format":"bookrec-reader","version":1,"ratings":[["5",4],["6",0],[7,3]],"want":["8",null]}');
  assert.deepEqual([...partly.reader.ratings], [['5', 4]]);
  assert.equal(partly.bad.length, 3);
  const mine = { ratings: new Map([['1', 4]]), want: new Set(), hidden: new Set(['5']) };
  const mineAside = { ratings: new Map(), want: new Set(), hidden: new Set() };
  const c = mergeReader(mine, mineAside, back.reader, (id) => id !== 'old');
  assert.deepEqual(c, { ratings: 1, changed: 1, want: 1, hidden: 1, aside: 1 });
  assert.deepEqual([...mine.ratings].sort(), [['1', 5], ['2', 3]]);
  assert.deepEqual([...mineAside.ratings], [['old', 2]]);
  const c2 = mergeReader(mine, mineAside, partly.reader, () => true);
  assert.equal(c2.ratings, 1);
  assert.equal(mine.hidden.has('5'), false, 'a rated book is no longer "not interested"');
});
