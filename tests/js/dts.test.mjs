// node --test: web/bookrec.d.ts and web/bookrec.js name the same things, so the declarations cannot drift from
// the module: the same top-level exports, and the same public methods, getters and static methods of Model.
// Both files are read as text (no TypeScript compiler, no wasm build needed); private (#) members and the
// constructor are not part of the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const WEB = new URL('../../web/', import.meta.url);
const js = readFileSync(new URL('bookrec.js', WEB), 'utf8');
const dts = readFileSync(new URL('bookrec.d.ts', WEB), 'utf8');

// The names after `export [declare] const|let|function|class`.
function exportsOf(text) {
  const re = /^export\s+(?:declare\s+)?(?:const|let|var|function|class|async\s+function)\s+([A-Za-z_$][\w$]*)/gm;
  return [...text.matchAll(re)].map((m) => m[1]).sort();
}

// The body of `class Model { ... }` (from its line to the first line that is a lone closing brace).
function classBody(text, what) {
  const start = text.search(/^export\s+(?:declare\s+)?class\s+Model\b.*\{\s*$/m);
  assert.ok(start >= 0, `${what}: no class Model`);
  const end = text.indexOf('\n}', start);
  assert.ok(end > start, `${what}: class Model does not end`);
  return text.slice(start, end);
}

// Public members of class Model: "name", "get name" or "static name" for each member declared at two spaces.
function membersOf(text, what) {
  const re = /^ {2}(?:private\s+)?(static\s+)?(?:async\s+)?(get\s+|set\s+)?([A-Za-z_$][\w$]*)\s*\(/gm;
  const out = new Set();
  for (const m of classBody(text, what).matchAll(re)) {
    if (m[3] === 'constructor') continue;
    out.add(`${m[1] ? 'static ' : ''}${m[2] ? m[2].trim() + ' ' : ''}${m[3]}`);
  }
  return [...out].sort();
}

test('bookrec.d.ts declares every export of bookrec.js and no other', () => {
  const fromJs = exportsOf(js);
  assert.ok(fromJs.includes('Model') && fromJs.includes('ready'), `exports read from bookrec.js: ${fromJs}`);
  assert.deepEqual(exportsOf(dts), fromJs);
});

test('bookrec.d.ts declares every public member of Model and no other', () => {
  const fromJs = membersOf(js, 'bookrec.js');
  for (const name of ['static load', 'get kind', 'get stateSize', 'match', 'ratingWeight', 'explain', 'free']) {
    assert.ok(fromJs.includes(name), `bookrec.js: ${name} not found among ${fromJs}`);
  }
  assert.deepEqual(membersOf(dts, 'bookrec.d.ts'), fromJs);
});

test('bookrec.d.ts describes the result shapes', () => {
  assert.match(dts, /interface Scored \{[^}]*\bid: string;[^}]*\bscore: number;[^}]*\bmatch\?: number \| null;/s);
  assert.match(dts, /interface Contribution \{[^}]*\bid: string;[^}]*\bcontribution: number;/s);
  assert.equal(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).types, 'web/bookrec.d.ts');
});
