// The relay behind nginx with the shipped deploy/nginx.conf: events stream through
// unbuffered, and resume through the proxy works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { RelayProcess, eventually, freePort } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let relay;
let nginx;
let base;

before(async () => {
  relay = await RelayProcess.start({ RELAY_HEARTBEAT_MS: '500' });
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-nginx-'));
  const port = await freePort();
  // Substitute only our ${NAME} placeholders; nginx's own $variables stay.
  const vars = { NGINX_PREFIX: prefix, NGINX_LISTEN: `127.0.0.1:${port}`, RELAY_UPSTREAM: `127.0.0.1:${relay.port}` };
  const conf = fs
    .readFileSync(path.join(here, '../../deploy/nginx.conf'), 'utf8')
    .replace(/\$\{(\w+)\}/g, (m, name) => vars[name] ?? m);
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  nginx = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  base = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    try {
      return (await fetch(`${base}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 10_000, 'nginx up');
});

after(() => {
  nginx?.kill('SIGTERM');
  relay?.kill();
});

test('events and heartbeats pass through nginx without buffering', async () => {
  const es = new EventSource(`${base}/api/events/stream`);
  const seen = [];
  await new Promise((resolve) => es.addEventListener('connected', resolve, { once: true }));
  es.addEventListener('demo.proxy', (e) => seen.push({ at: Date.now(), id: e.lastEventId }));
  let heartbeats = 0;
  es.addEventListener('heartbeat', () => heartbeats++);
  const sentAt = Date.now();
  const res = await fetch(`${base}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'demo.proxy', data: { via: 'nginx' } }),
  });
  assert.equal(res.status, 202);
  const { id } = await res.json();
  await eventually(() => seen.length === 1, 2000, 'event through the proxy');
  assert.equal(seen[0].id, id);
  assert.ok(seen[0].at - sentAt < 500, `delivered in ${seen[0].at - sentAt} ms`);
  await eventually(() => heartbeats >= 1, 3000, 'a heartbeat through the proxy');
  es.close();
});
