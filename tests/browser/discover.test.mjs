// node --test: the site's ways to find books, in headless Debian Chromium (playwright-core) against the site built
// from the fixture with genre shelves (a book_tags.csv / tags.csv written here, with shelf names and spelling
// variants of "classics") and a planted series (the most read book renamed "#2 in The Stormlight Archive", a
// rarely read one its "#1"): the genre select filters the recommendations over the whole catalogue; cards name
// their series and a series the reader has not started is offered from its first book; the dataset readers'
// download shows an accessible progress bar (throttled network); the book map loads only when opened, zooms,
// pans, names books on hover and from the keyboard, highlights ratings and recommendations and opens similar books.
// No CSP violation, console error, page error or dialog. Screenshots: tests/out/discover*.png (desktop, phone).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveFixtureSite, OUT, CHROMIUM, CHROME_ARGS, fixtureDir, launchBrowser, watchPage, waitReady } from './site-common.mjs';
import { parseSeries, indexSeries, seriesFirst } from '../../web/series.js';
import { splitCSV } from '../../tools/build-site.mjs';

let site;
let server;
let browser;
let page;
let problems;
let origin;
let dataDir;
let genreOf; // book id -> fixture genre
let first;   // the planted series' #1 (book id)
let second;  // its #2, the most read book
const requests = [];

const joinCSV = (fields) => fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');

// A copy of the fixture with a planted series and genre shelves.
function makeData() {
  const src = fixtureDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bookrec-discover-'));
  copyFileSync(path.join(src, 'ratings.csv'), path.join(dir, 'ratings.csv'));
  const genres = JSON.parse(readFileSync(path.join(src, 'genres.json'), 'utf8')).genres;
  genreOf = new Map(Object.entries(genres));
  const counts = new Map();
  for (const l of readFileSync(path.join(src, 'ratings.csv'), 'utf8').split(/\r?\n/).slice(1)) {
    if (!l) continue;
    const b = l.split(',')[0];
    counts.set(b, (counts.get(b) || 0) + 1);
  }
  const lines = readFileSync(path.join(src, 'books.csv'), 'utf8').split('\n');
  const head = splitCSV(lines[0]);
  const it = head.indexOf('title');
  const io = head.indexOf('original_title');
  const ig = head.indexOf('goodreads_book_id');
  const rows = lines.slice(1).filter(Boolean).map(splitCSV);
  const plain = rows.filter((r) => !parseSeries(r[it]) && !/[<"]/.test(r[it]));
  const byCount = plain.slice().sort((a, b) => (counts.get(b[0]) || 0) - (counts.get(a[0]) || 0) || a[0] - b[0]);
  second = byCount[0][0];
  first = byCount[byCount.length - 1][0];
  for (const r of rows) {
    if (r[0] === second) r[it] = r[io] = 'Words of Radiance (The Stormlight Archive, #2)';
    if (r[0] === first) r[it] = r[io] = 'The Way of Kings (The Stormlight Archive, #1)';
  }
  writeFileSync(path.join(dir, 'books.csv'), [lines[0], ...rows.map(joinCSV)].join('\n') + '\n');
  // tags: shelf names above the genre on every book, and three spellings of classics on every fourth book
  const names = ['to-read', 'favorites', 'fiction', 'fantasy', 'crime', 'romance', 'science', 'history', 'classics', 'Clàssics', 'classic', 'owned'];
  writeFileSync(path.join(dir, 'tags.csv'), ['tag_id,tag_name', ...names.map((n, k) => `${k},${n}`)].join('\r\n') + '\r\n');
  const bt = ['goodreads_book_id,tag_id,count'];
  for (const r of rows) {
    const gid = r[ig];
    bt.push(`${gid},0,900`, `${gid},1,400`, `${gid},11,350`, `${gid},2,300`, `${gid},${names.indexOf(genreOf.get(r[0]))},200`);
    if (Number(r[0]) % 4 === 0) bt.push(`${gid},${8 + (Number(r[0]) % 3)},100`);
  }
  writeFileSync(path.join(dir, 'book_tags.csv'), bt.join('\r\n') + '\r\n');
  return dir;
}

async function updatedCount(selector) {
  return Number((await page.getAttribute(selector, 'data-updated')) || 0);
}
async function waitUpdatedPast(selector, n) {
  await page.waitForFunction(([sel, v]) => Number(document.querySelector(sel)?.dataset.updated || 0) > v, [selector, n]);
}
async function recCards() {
  return page.$$eval('#rec-new .card', (cards) => cards.map((c) => ({ id: c.dataset.bookId, series: c.querySelector('.series')?.textContent || '' })));
}

before(async () => {
  dataDir = makeData();
  ({ site, server, origin } = await serveFixtureSite({ data: dataDir }));
  browser = await launchBrowser();
  page = browser.page;
  problems = await watchPage(page, origin);
  page.on('request', (r) => requests.push(r.url()));
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
  site?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('series.js', () => {
  test('parses series and keeps an unstarted series to its first book', () => {
    assert.deepEqual(parseSeries('Words of Radiance (The Stormlight Archive, #2)'), { name: 'The Stormlight Archive', num: 2, range: false });
    assert.deepEqual(parseSeries('Oathbringer (The Stormlight Archive #3)'), { name: 'The Stormlight Archive', num: 3, range: false });
    assert.equal(parseSeries('The Hobbit'), null);
    assert.deepEqual(parseSeries('A Storm of Swords: Steel and Snow (A Song of Ice and Fire, #3: Part 1 of 2)'), { name: 'A Song of Ice and Fire', num: 3, range: false });
    assert.equal(indexSeries(['Prequel (N, #0.5)', 'One (N, #1)', 'Two (N, #2)']).first.get('n'), 1, 'a #0.5 prequel is not the start');
    assert.equal(indexSeries(['Prequel (N, #0.5)', 'Two (N, #2)']).first.get('n'), 1, 'without #1, the lowest from 1 up');
    assert.equal(parseSeries('Harry Potter Boxset (Harry Potter, #1-7)').range, true);
    const s = indexSeries(['B (S, #2)', 'A (S, #1)', 'C', 'D (S, #3)', 'Box (S, #1-3)']);
    assert.equal(s.first.get('s'), 1, 'the #1, not the boxed set');
    const entry = (i) => ({ i, planted: true });
    assert.deepEqual(seriesFirst([{ i: 0 }, { i: 2 }], s, new Set(), () => true, entry).map((e) => e.i), [1, 2], '#2 becomes #1');
    assert.deepEqual(seriesFirst([{ i: 0 }, { i: 2 }, { i: 1 }], s, new Set(), () => true, entry).map((e) => e.i), [2, 1, 0], '#2 goes below #1');
    assert.deepEqual(seriesFirst([{ i: 0 }], s, new Set(['s']), () => true, entry).map((e) => e.i), [0], 'a started series is left alone');
    assert.deepEqual(seriesFirst([{ i: 0 }], s, new Set(), () => false, entry).map((e) => e.i), [0], 'a first book not to offer');
    assert.deepEqual(seriesFirst([{ i: 0 }, { i: 2 }], s, new Set(), () => false, entry, () => true).map((e) => e.i), [2], 'a first book outside the view');
  });
});

describe('finding books on the site', () => {
  test('the catalogue carries a lean genre vocabulary without shelf names, and the export wrote the map', () => {
    const books = JSON.parse(readFileSync(path.join(site.models, 'books.json'), 'utf8'));
    const names = new Set(books.flatMap((b) => b.genres || []));
    for (const g of ['fantasy', 'crime', 'romance', 'science', 'history']) assert.ok(names.has(g), `genre ${g}`);
    for (const junk of ['to-read', 'favorites', 'fiction', 'owned']) assert.ok(!names.has(junk), `${junk} is a shelf name`);
    assert.equal([...names].filter((n) => /^cl.ssics?$/iu.test(n)).length, 1, `classic spellings folded: ${[...names]}`);
    assert.ok(books.every((b) => (b.genres || []).length <= 3));
    const map = readFileSync(path.join(site.models, 'map.bin'));
    assert.equal(map.toString('latin1', 0, 4), 'BKMP');
    assert.equal(map.length, 32 + 4 * books.length);
  });

  test('the genre select filters the recommendations over the whole catalogue', async () => {
    await page.goto(server.url);
    await waitReady(page);
    assert.ok(!requests.some((u) => /map\.(bin|js)$/.test(u)), 'the map is not part of the first load');
    const options = await page.$$eval('#new-genre option', (o) => o.map((x) => x.textContent));
    assert.equal(options[0], 'All genres');
    for (const g of ['Fantasy', 'Crime', 'Romance', 'Science', 'History']) assert.ok(options.some((o) => o.startsWith(`${g} (`)), `option ${g}`);
    assert.ok(!options.some((o) => /to read|favorites|fiction|owned/i.test(o)), options.join('|'));
    const before = await updatedCount('#rec-new');
    const crime = options.find((o) => o.startsWith('Crime ('));
    await page.selectOption('#new-genre', { label: crime });
    await waitUpdatedPast('#rec-new', before);
    const cards = await recCards();
    assert.equal(cards.length, 10);
    for (const c of cards) assert.equal(genreOf.get(c.id), 'crime', `book ${c.id} is ${genreOf.get(c.id)}`);
    if (genreOf.get(second) === 'crime' && genreOf.get(first) !== 'crime') {
      assert.ok(!cards.some((c) => c.id === second), 'a #2 whose #1 is of another genre is not offered in this genre');
    }
    assert.match(await page.textContent('#rec-new-info'), /Only crime books/);
    await page.screenshot({ path: path.join(OUT, 'discover.png'), fullPage: false });
    const b2 = await updatedCount('#rec-new');
    await page.selectOption('#new-genre', '');
    await waitUpdatedPast('#rec-new', b2);
    assert.ok(new Set((await recCards()).map((c) => genreOf.get(c.id))).size > 1, 'all genres again');
  });

  test('cards name their series, and an unstarted series is offered from its #1', async () => {
    const before = await updatedCount('#rec-new');
    await page.selectOption('#new-k', '50');
    await waitUpdatedPast('#rec-new', before);
    const cards = await recCards();
    const ids = cards.map((c) => c.id);
    assert.ok(!ids.includes(second) || ids.indexOf(first) < ids.indexOf(second), 'the #2 never above the #1');
    const i1 = ids.indexOf(first);
    assert.ok(i1 >= 0, `the most read book's series #1 is offered (${ids.join(',')})`);
    assert.equal(cards[i1].series, '#1 in The Stormlight Archive');
    if (!ids.includes(second)) { // offered in the #2's place, and saying so
      assert.equal(await page.getAttribute(`#rec-new .card[data-book-id="${first}"]`, 'data-series-start'), second);
      assert.match(await page.textContent(`#rec-new .card[data-book-id="${first}"] .series-start`), /#2 of this series, “Words of Radiance/);
    }
    // every card that is a later book of a series is below that series' first book
    const titles = site.books.map((b) => b.title);
    const s = indexSeries(titles);
    const idxOf = new Map(site.books.map((b, i) => [String(b.book_id), i]));
    cards.forEach((c, pos) => {
      const ser = s.of[idxOf.get(c.id)];
      if (!ser) return;
      assert.equal(c.series, `#${ser.num} in ${ser.name}`);
      const f = s.first.get(ser.key);
      if (ser.num > s.of[f].num) {
        const fp = ids.indexOf(String(site.books[f].book_id));
        assert.ok(fp >= 0 && fp < pos, `${titles[idxOf.get(c.id)]} listed without its series' first book above it`);
      }
    });
    // once the reader rates the #1, the #2 may come
    const b2 = await updatedCount('#rec-new');
    await page.click(`#rec-new .card[data-book-id="${first}"] fieldset.stars label:nth-of-type(5)`);
    await waitUpdatedPast('#rec-new', b2);
    const after = (await recCards()).map((c) => c.id);
    assert.ok(after.includes(second), 'the #2 is recommended once the series is started');
    await page.selectOption('#new-k', '10');
  });

  test('the dataset readers download with an accessible progress bar', async () => {
    // a page of its own without the service worker, whose fetches the page's network emulation does not slow
    const { chromium } = await import('playwright-core');
    const b2 = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROME_ARGS });
    try {
      const ctx = await b2.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 900 } });
      const p2 = await ctx.newPage();
      const probs = await watchPage(p2, origin);
      await p2.goto(server.url);
      await waitReady(p2);
      const cdp = await ctx.newCDPSession(p2);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 4 * 1024, uploadThroughput: 4 * 1024 });
      await p2.evaluate(() => {
        window.__progress = [];
        const bar = document.getElementById('user-progress');
        new MutationObserver(() => window.__progress.push({ now: bar.getAttribute('aria-valuenow') }))
          .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
      });
      await p2.locator('#dataset').scrollIntoViewIfNeeded();
      await p2.fill('#user-id', '1');
      await p2.click('#user-go');
      await p2.waitForFunction(() => (window.__progress || []).some((p) => Number(p.now) > 0 && Number(p.now) < 100), null, { timeout: 30000 });
      assert.equal(await p2.getAttribute('#user-progress', 'role'), 'progressbar');
      assert.equal(await p2.isVisible('#user-progress'), true, 'the bar is shown while downloading');
      assert.match(await p2.getAttribute('#user-progress', 'aria-valuetext'), /^\d+% of [\d.]+ MB$/);
      await p2.screenshot({ path: path.join(OUT, 'discover-progress.png') });
      await p2.setViewportSize({ width: 375, height: 812 });
      await p2.locator('#user-progress').scrollIntoViewIfNeeded().catch(() => {});
      await p2.screenshot({ path: path.join(OUT, 'discover-progress-phone.png') });
      await p2.waitForSelector('#rec-user .card', { timeout: 120000 });
      const values = (await p2.evaluate(() => window.__progress)).map((p) => p.now).filter((v) => v !== null).map(Number);
      assert.ok(values.length >= 3, `several progress steps: ${values}`);
      assert.ok(values.every((v, k) => k === 0 || v >= values[k - 1]), `progress only grows: ${values}`);
      assert.equal(values[values.length - 1], 100);
      assert.equal(await p2.isHidden('#user-progress'), true, 'the bar goes away when done');
      await probs.collectCsp();
      assert.deepEqual([probs.csp, probs.console, probs.pageErrors, probs.dialogs], [[], [], [], []]);
    } finally {
      await b2.close();
    }
  });

  test('the book map: lazy, zoom, pan, names books, highlights, opens similar books', async () => {
    assert.ok(!requests.some((u) => /map\.(bin|js)$/.test(u)), 'nothing of the map before it is opened');
    await page.click('#map-open');
    await page.waitForSelector('#map-view[data-ready="true"]');
    assert.ok(requests.some((u) => /map\.bin$/.test(u)) && requests.some((u) => /map\.js$/.test(u)));
    assert.equal(await page.getAttribute('#map-view', 'data-rated'), '1');
    assert.equal(await page.getAttribute('#map-view', 'data-recs'), '10');
    await page.locator('#map-view').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'discover-map.png') });
    // zoom: buttons, keys, wheel
    const scale = async () => Number(await page.getAttribute('#map-view', 'data-scale'));
    const s0 = await scale();
    await page.click('#map-view button[aria-label="Zoom in"]');
    assert.ok((await scale()) > s0, 'zoom in button');
    await page.focus('#map-canvas');
    await page.keyboard.press('-');
    await page.keyboard.press('-');
    assert.ok((await scale()) < s0, 'zoom out key');
    const box = await page.locator('#map-canvas').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const s1 = await scale();
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((v) => Number(document.querySelector('#map-view').dataset.scale) > v, s1);
    await page.click('#map-view button:text("Whole map")');
    // keyboard: arrows move the map, the list of books near the centre follows
    const list0 = await updatedCount('#map-near');
    await page.focus('#map-canvas');
    for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
    await waitUpdatedPast('#map-near', list0);
    // the list names a book in the live region when focused
    const firstNear = page.locator('#map-near button').first();
    const name = await firstNear.textContent();
    await firstNear.focus();
    assert.equal(await page.textContent('#map-focus'), name);
    // drag pans the map and opens nothing
    const c0 = await page.getAttribute('#map-view', 'data-center');
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5 + 60, box.y + box.height * 0.5 + 30, { steps: 5 });
    await page.mouse.up();
    assert.notEqual(await page.getAttribute('#map-view', 'data-center'), c0, 'dragging moved the map');
    assert.equal(await page.isHidden('#similar'), true, 'a drag is not a click');
    await page.click('#map-view button:text("Whole map")');
    // hover: find a book under the pointer
    let hit = null;
    for (let gy = 0.2; gy <= 0.8 && !hit; gy += 0.05) {
      for (let gx = 0.2; gx <= 0.8 && !hit; gx += 0.02) {
        await page.mouse.move(box.x + gx * box.width, box.y + gy * box.height);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))); // moves are frame-aligned
        const h = await page.getAttribute('#map-canvas', 'data-hover');
        if (h && h !== '-1') hit = { x: box.x + gx * box.width, y: box.y + gy * box.height, i: Number(h) };
      }
    }
    assert.ok(hit, 'a book under the pointer somewhere');
    assert.match(await page.textContent('#map-focus'), new RegExp(`^${site.books[hit.i].title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} by`));
    await page.mouse.click(hit.x, hit.y);
    await page.waitForSelector('#similar:not([hidden])');
    assert.equal(await page.textContent('#similar-h'), `Books similar to “${site.books[hit.i].title}”`);
    assert.ok((await page.locator('#similar-list .card').count()) > 0);
    // from the keyboard: a book of the list near the centre, Enter
    const li = page.locator('#map-near li').nth(1);
    const idx = Number(await li.getAttribute('data-index'));
    await li.locator('button').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((t) => document.getElementById('similar-h').textContent === `Books similar to “${t}”`, site.books[idx].title);
    await page.setViewportSize({ width: 375, height: 812 });
    await page.locator('#map-view').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'discover-map-phone.png') });
    await page.locator('#rec-new-h').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'discover-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('no CSP violation, console error, page error or dialog', async () => {
    await problems.collectCsp();
    assert.deepEqual(problems.csp, []);
    assert.deepEqual(problems.console, []);
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.dialogs, []);
  });
});
