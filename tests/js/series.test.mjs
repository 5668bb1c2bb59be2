// node --test: web/series.js orders a started series for reading. A reader who rated a series' first book and gets
// its #3 ranked above its #2 sees #2 first, then #3; a series not started still gets its first book offered; an
// omnibus and a novella (#0.5) never hold a book back. (The browser suite, discover.test.mjs, checks the rest of
// seriesFirst on a built site.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexSeries, seriesFirst } from '../../web/series.js';

const titles = [
  'The Girl with the Dragon Tattoo (Millennium, #1)', // 0
  'The Girl Who Played with Fire (Millennium, #2)',   // 1
  "The Girl Who Kicked the Hornet's Nest (Millennium, #3)", // 2
  'Gone Girl',                                         // 3
  'Millennium Trilogy (Millennium, #1-3)',             // 4
  'A Prequel (Millennium, #0.5)',                      // 5
  'The Fellowship of the Ring (The Lord of the Rings, #1)', // 6
  'The Two Towers (The Lord of the Rings, #2)',        // 7
];
const s = indexSeries(titles);
const entry = (f, e) => ({ i: f, startsFor: e.i });
const order = (list, started, allowed = () => true) =>
  seriesFirst(list.map((i) => ({ i })), s, new Set(started), allowed, entry).map((e) => e.i);

test('a started series: the earlier unread book moves up above the later one', () => {
  assert.deepEqual(order([2, 3, 1], ['millennium']), [1, 2, 3]);
  assert.deepEqual(order([3, 2, 1], ['millennium']), [3, 1, 2], 'books of other series and none keep their places');
});

test('a started series: books already in order, or an earlier book not listed, are left as they are', () => {
  assert.deepEqual(order([1, 3, 2], ['millennium']), [1, 3, 2]);
  assert.deepEqual(order([2, 3], ['millennium']), [2, 3], 'the reader may have read #2 elsewhere: nothing is added');
});

test('a started series: an omnibus or a novella holds nothing back', () => {
  assert.deepEqual(order([1, 4], ['millennium']), [1, 4]);
  assert.deepEqual(order([4, 1], ['millennium']), [4, 1]);
  assert.deepEqual(order([1, 5], ['millennium']), [1, 5]);
});

test('a series not started: its first book is still offered instead of a later one', () => {
  const out = seriesFirst([{ i: 7 }, { i: 3 }], s, new Set(), () => true, entry);
  assert.deepEqual(out.map((e) => e.i), [6, 3]);
  assert.equal(out[0].startsFor, 7);
});
