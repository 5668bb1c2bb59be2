// `node tools/sizes.mjs [--top N] [--max-function L] [--max-file L] [--max-cli-share P] [--check] [DIR ...]`
// Lists the longest C functions and files under src/ (or the DIRs given), with the limits the code keeps:
// no function longer than 150 lines and no file longer than 800, and the command line's share of the C lines
// (src/cli/ against src/ and include/ together) at most 25%: the front-end stays thin. A function is counted from the first line of
// its definition (return type and name, at column 0) to its closing brace at column 0, both included.
// With --check it exits 1 when something is over a limit. A size report for people, not a parser: it reads
// the text line by line and relies on the project's layout (definitions and their closing braces at column 0).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = { top: 15, maxFunction: 150, maxFile: 800, maxCliShare: 25, check: false, dirs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${name} takes a whole number >= 1, got "${argv[i]}"`);
      return v;
    };
    if (a === '--top') o.top = num(a);
    else if (a === '--max-function') o.maxFunction = num(a);
    else if (a === '--max-file') o.maxFile = num(a);
    else if (a === '--max-cli-share') o.maxCliShare = num(a);
    else if (a === '--check') o.check = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node tools/sizes.mjs [--top N (15)] [--max-function L (150)] [--max-file L (800)] [--max-cli-share P (25)] [--check] [DIR ...]');
      process.exit(0);
    } else if (a.startsWith('-')) throw new Error(`unknown option "${a}" (see --help)`);
    else o.dirs.push(path.resolve(a));
  }
  if (o.dirs.length === 0) o.dirs.push(path.join(ROOT, 'src'));
  return o;
}

function cFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...cFiles(p));
    else if (/\.[ch]$/.test(name)) out.push(p);
  }
  return out;
}

// The functions defined in one file's text: { name, start, lines } with 1-based start lines.
function functionsOf(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i];
    // a definition starts at column 0 with a type or name, never with a preprocessor line, comment or brace
    if (!/^[A-Za-z_]/.test(first) || /^(typedef|struct\s+\w+\s*\{|enum\b|union\b|extern\b|#)/.test(first)) continue;
    // gather the signature up to the line that ends with `{` (at most 8 lines), stopping at `;` (a declaration)
    let sig = '';
    let j = i;
    for (; j < lines.length && j < i + 8; j++) {
      sig += lines[j] + '\n';
      if (/;\s*(\/[/*].*)?$/.test(lines[j]) || /^\s*$/.test(lines[j])) { j = -1; break; }
      if (/\)\s*(__attribute__\(\(.*\)\)\s*)?\{\s*(\/[/*].*)?$/.test(lines[j])) break;
    }
    if (j < 0 || j >= lines.length || j >= i + 8) continue;
    if (/=\s*\{?\s*$/.test(sig.split('(')[0])) continue; // an initialised variable, not a function
    const m = sig.split('(')[0].match(/([A-Za-z_]\w*)\s*$/);
    if (!m) continue;
    let end = j + 1;
    while (end < lines.length && !/^\}/.test(lines[end])) end++;
    if (end >= lines.length) continue;
    out.push({ name: m[1], start: i + 1, lines: end - i + 1 });
    i = end;
  }
  return out;
}

// Lines of the C files under src/cli against all of src/ and include/ (the core, its public header, the wasm glue).
function cliShare() {
  const count = (dir) => cFiles(dir).reduce((n, f) => {
    const text = readFileSync(f, 'utf8');
    return n + text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  }, 0);
  const cli = count(path.join(ROOT, 'src', 'cli'));
  const all = count(path.join(ROOT, 'src')) + count(path.join(ROOT, 'include'));
  return { cli, all, percent: (100 * cli) / all };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const files = [];
  const funcs = [];
  for (const dir of o.dirs) {
    for (const f of cFiles(dir)) {
      const text = readFileSync(f, 'utf8');
      const rel = path.relative(ROOT, f);
      files.push({ file: rel, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) });
      for (const fn of functionsOf(text)) funcs.push({ ...fn, file: rel });
    }
  }
  funcs.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.start - b.start);
  files.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
  const overF = funcs.filter((f) => f.lines > o.maxFunction);
  const overFiles = files.filter((f) => f.lines > o.maxFile);

  console.log(`longest functions (limit ${o.maxFunction} lines; ${overF.length} over it, of ${funcs.length}):`);
  for (const f of funcs.slice(0, Math.max(o.top, overF.length))) {
    console.log(`  ${String(f.lines).padStart(5)}${f.lines > o.maxFunction ? ' !' : '  '} ${f.file}:${f.start} ${f.name}`);
  }
  console.log(`longest files (limit ${o.maxFile} lines; ${overFiles.length} over it, of ${files.length}):`);
  for (const f of files.slice(0, Math.max(Math.min(o.top, 10), overFiles.length))) {
    console.log(`  ${String(f.lines).padStart(5)}${f.lines > o.maxFile ? ' !' : '  '} ${f.file}`);
  }
  const share = cliShare();
  const overShare = share.percent > o.maxCliShare;
  console.log(`command line's share of the C lines (limit ${o.maxCliShare}%): src/cli ${share.cli} of ${share.all} ` +
    `in src/ and include/, ${share.percent.toFixed(1)}%${overShare ? ' !' : ''}`);
  if (o.check && (overF.length || overFiles.length || overShare)) process.exit(1);
}

try {
  main();
} catch (e) {
  console.error(`sizes: ${e.message}`);
  process.exit(2);
}
