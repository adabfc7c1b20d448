// The browser client as an npm package (issue 26): `npm pack` of service/web holds exactly the
// module, its type declarations and its README; its version is the relay's; the packed
// package resolves by its exports in Node; and tsc --noEmit accepts a typed example written
// against it and rejects misuse, so the declarations are checked, not decorative.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RelayProcess } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../../service/web');
const tsc = path.join(here, 'node_modules/typescript/bin/tsc');
let dir;
let packed;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-client-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: web, encoding: 'utf8' });
  [packed] = JSON.parse(out);
  const target = path.join(dir, 'node_modules', 'sse-relay-client');
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(dir, packed.filename), '-C', target, '--strip-components=1']);
  for (const file of ['example.ts', 'misuse.ts', 'tsconfig.json', 'tsconfig.misuse.json']) {
    fs.copyFileSync(path.join(here, 'client_package', file), path.join(dir, file));
  }
});
after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

test('npm pack: exactly the module, its declarations and README; the version is the relay\'s', () => {
  assert.deepEqual(packed.files.map((f) => f.path).sort(), ['README.md', 'package.json', 'sse-client.d.ts', 'sse-client.js']);
  assert.equal(packed.name, 'sse-relay-client');
  const relayVersion = execFileSync(RelayProcess.binary, ['--version'], { encoding: 'utf8' }).trim().split(' ')[1];
  assert.equal(packed.version, relayVersion);
  const manifest = JSON.parse(fs.readFileSync(path.join(web, 'package.json'), 'utf8'));
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.exports['.'].types, './sse-client.d.ts');
  assert.equal(manifest.exports['.'].import, './sse-client.js');
  assert.equal(manifest.types, './sse-client.d.ts');
  // The tarball's module is the very file the relay serves.
  assert.equal(fs.readFileSync(path.join(dir, 'node_modules/sse-relay-client/sse-client.js'), 'utf8'),
    fs.readFileSync(path.join(web, 'sse-client.js'), 'utf8'));
});

test('the packed package resolves by its exports and gives the client', async () => {
  const entry = path.join(dir, 'resolve.mjs');
  fs.writeFileSync(entry, "import { SseClient, STATUS, compareIds } from 'sse-relay-client';\n" +
    "console.log(JSON.stringify([typeof SseClient, STATUS.connected, compareIds('2-0', '10-0') < 0]));\n");
  const out = execFileSync(process.execPath, [entry], { cwd: dir, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), ['function', 'connected', true]);
  const module = await import(pathToFileURL(path.join(dir, 'node_modules/sse-relay-client/sse-client.js')));
  assert.equal(new module.SseClient({ EventSource: null }).status, 'disconnected');
});

test('tsc --noEmit accepts the typed example and rejects misuse', () => {
  const ok = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const misuse = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.misuse.json')], { encoding: 'utf8' });
  assert.notEqual(misuse.status, 0, 'misuse compiles: the declarations check nothing');
  assert.match(misuse.stdout, /Type 'string' is not assignable to type 'string\[\]'/);
  assert.match(misuse.stdout, /Property 'cpu_percent' does not exist/);
});

test('the README shows the package import and the script tag', () => {
  const readme = fs.readFileSync(path.resolve(here, '../../README.md'), 'utf8');
  assert.match(readme, /import \{ SseClient \} from 'sse-relay-client';/);
  assert.match(readme, /<script type="module">\s*\n\s*import \{ SseClient \} from '[^']+\/sse-client\.js';/);
  assert.match(fs.readFileSync(path.join(web, 'README.md'), 'utf8'), /from 'sse-relay-client'/);
});
