// node --test: the site's pure pieces without a browser: the rated-lists file (build-site's encoder
// against web/rated.js's decoder, and corrupt files), the storage-entry validator, the image URL
// filter and the book search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from './site-common.mjs';
import { rng } from '../js/wasm-common.mjs';

const { encodeRated } = await import(path.join(ROOT, 'tools', 'build-site.mjs'));
const { decodeRated } = await import(path.join(ROOT, 'web', 'rated.js'));
const { validate } = await import(path.join(ROOT, 'web', 'store.js'));
const { safeImageUrl } = await import(path.join(ROOT, 'web', 'dom.js'));
const { createSearch, words } = await import(path.join(ROOT, 'web', 'search.js'));

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

test('search: word prefixes, authors, diacritics, then fuzzy', async () => {
  const titles = ['The Hobbit', 'Pride and Prejudice', 'Dune', 'Dune Messiah', 'Jane Eyre', 'Harry Potter and the Sorcerer\'s Stone', 'The Stand'];
  const authors = ['J.R.R. Tolkien', 'Jane Austen', 'Frank Herbert', 'Frank Herbert', 'Charlotte Brontë', 'J.K. Rowling', 'Stephen King'];
  let fuseLoads = 0;
  const Fuse = (await import(path.join(ROOT, 'node_modules', 'fuse.js', 'dist', 'fuse.min.mjs'))).default;
  const s = createSearch(titles, authors, async () => { fuseLoads++; return Fuse; });
  assert.deepEqual((await s.search('the')).hits, [0, 5, 6], 'equal matches in catalogue order');
  assert.equal(fuseLoads, 0, 'no fuzzy pass while prefixes find enough');
  assert.deepEqual((await s.search('dune')).hits.slice(0, 2), [2, 3]);
  assert.deepEqual((await s.search('austen')).hits.slice(0, 1), [1]);
  assert.deepEqual((await s.search('bronte')).hits.slice(0, 1), [4]);
  assert.deepEqual((await s.search('herb mess')).hits.slice(0, 1), [3]);
  const typo = await s.search('hary poter');
  assert.equal(typo.fuzzy, true);
  assert.equal(typo.hits[0], 5);
  assert.deepEqual(words('Brontë, Charlotte'), ['bronte', 'charlotte']);
  assert.deepEqual((await s.search('  ')).hits, []);
});
