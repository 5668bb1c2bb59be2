// node --test: the shape limits of the C code hold (tools/sizes.mjs --check): no function longer than 150 lines,
// no file longer than 800, and the command line (src/cli) at most 25% of the C lines of src/ and include/, so the
// front-end stays thin and the core keeps the logic. A failure prints the report, which names what is over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SIZES = fileURLToPath(new URL('../../tools/sizes.mjs', import.meta.url));

test('C functions, files and the command line share are within the limits', () => {
  const r = spawnSync(process.execPath, [SIZES, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tools/sizes.mjs --check exited ${r.status}:\n${r.stdout}${r.stderr}`);
  const m = r.stdout.match(/src\/cli (\d+) of (\d+) in src\/ and include\/, ([\d.]+)%/);
  assert.ok(m, `no share line in:\n${r.stdout}`);
  assert.ok(Number(m[3]) <= 25, `command line share ${m[3]}%`);
});

test('the check fails when a limit is exceeded', () => {
  const r = spawnSync(process.execPath, [SIZES, '--check', '--max-file', '100'], { encoding: 'utf8' });
  assert.equal(r.status, 1, `a 100-line file limit should fail:\n${r.stdout}`);
  const s = spawnSync(process.execPath, [SIZES, '--check', '--max-cli-share', '1'], { encoding: 'utf8' });
  assert.equal(s.status, 1, `a 1% share limit should fail:\n${s.stdout}`);
});
