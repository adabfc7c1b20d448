// The relay behind nginx with the shipped deploy/nginx.conf: events stream through
// unbuffered, and resume through the proxy works.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { startNginx } from './balancer.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

let relay;
let nginx;
let base;

before(async () => {
  relay = await RelayProcess.start({ RELAY_HEARTBEAT_MS: '500' });
  nginx = await startNginx([relay.port]);
  base = nginx.base;
});

after(async () => {
  await nginx?.stop();
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
