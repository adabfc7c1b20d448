// The README leads and its links hold: the sections in the order a new user needs them, every
// relative link to a file that exists, every #anchor to a heading that exists (README and
// docs/), and the two commands of the quick start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
/** GitHub's anchor of a heading. */
const slug = (heading) => heading.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
const anchors = (text) => new Set(text.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));

test('README: quick start, API, client, configuration, checklist, deploy, scale-out, then the rest', () => {
  const readme = read('README.md');
  const sections = readme.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
  const expected = ['Quick start', 'API', 'Browser client and dashboard', 'Configuration', 'Production checklist', 'Deploy', 'Scale-out (Redis Streams)'];
  assert.deepEqual(sections.slice(0, expected.length), expected);
  for (const later of ['Security and limits', 'Architecture', 'Benchmarks', 'Pointers']) assert.ok(sections.includes(later), later);
  assert.match(readme, /^make run\b/m);
  assert.match(readme, /^make test\b/m);
  assert.ok(readme.length < 80_000, 'the narrative lives in docs/');
});

test('every relative link and anchor in the README and docs/ resolves', () => {
  const files = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken = [];
  for (const file of files) {
    const text = read(file).replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [filePart, anchor] = target.split('#');
      const resolved = filePart ? path.normalize(path.join(path.dirname(file), filePart)) : file;
      if (resolved.startsWith('..')) continue; // ../shared/DESIGN.md lives beside the repository
      if (!fs.existsSync(path.join(root, resolved))) { broken.push(`${file}: ${target}`); continue; }
      if (anchor && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
