// The read model under load an attacker (or a runaway producer) can make: bounded in
// workers, terminated workers forgotten, one shared serialisation per version, pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { RelayProcess, eventually } from './relay_process.mjs';

const created = (id, n) => ({
  specversion: '1.0', id: `c-${n}`, source: '/limits', type: 'worker.created',
  data: {
    worker_id: id, name: `worker ${id} ${'x'.repeat(200)}`, region: 'eu-west-1',
    instance_type: 'm5.large', status: 'pending', created_at: '2026-11-30T10:00:00Z',
  },
});
const terminated = (id, n) => ({
  specversion: '1.0', id: `t-${n}`, source: '/limits', type: 'worker.terminated',
  data: { worker_id: id, reason: 'done', terminated_at: '2026-11-30T10:05:00Z' },
});
const rssBytes = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

async function createWorkers(relay, count, from = 0) {
  for (let start = from; start < from + count; start += 100) {
    const batch = [];
    for (let i = start; i < Math.min(start + 100, from + count); i++) {
      batch.push(created(`w-${String(i).padStart(6, '0')}`, i));
    }
    const res = await relay.ingest(batch);
    assert.equal(res.status, 202, await res.text());
  }
}

test('RELAY_MAX_WORKERS: a create past the maximum is 409 too-many-workers and stores nothing', async () => {
  const relay = await RelayProcess.start({ RELAY_MAX_WORKERS: '3' });
  try {
    await createWorkers(relay, 3);
    const res = await relay.ingest([created('w-extra', 99)]);
    assert.equal(res.status, 409);
    const problem = await res.json();
    assert.equal(problem.type, 'urn:sse-relay:problem:too-many-workers');
    assert.match(problem.detail, /RELAY_MAX_WORKERS/);
    const { workers } = await (await fetch(`${relay.base}/api/workers`)).json();
    assert.equal(workers.length, 3);
  } finally {
    relay.kill();
  }
});

test('a terminated worker is forgotten after RELAY_TERMINATED_RETENTION_MS, freeing its place', async () => {
  const relay = await RelayProcess.start({ RELAY_MAX_WORKERS: '2', RELAY_TERMINATED_RETENTION_MS: '300' });
  try {
    await createWorkers(relay, 2);
    assert.equal((await relay.ingest([terminated('w-000000', 1)])).status, 202);
    assert.equal((await relay.ingest([created('w-new', 50)])).status, 409);  // still held
    await new Promise((r) => setTimeout(r, 400));
    // The retention ran out: the place is free and the next fold forgets the worker.
    assert.equal((await relay.ingest([created('w-new', 51)])).status, 202);
    const { workers } = await (await fetch(`${relay.base}/api/workers`)).json();
    assert.deepEqual(workers.map((w) => w.worker_id), ['w-000001', 'w-new']);
    assert.equal((await fetch(`${relay.base}/api/workers/w-000000`)).status, 404);
  } finally {
    relay.kill();
  }
});

test('pages (?limit=&after=) walk every worker once, in id order', async () => {
  const relay = await RelayProcess.start();
  try {
    await createWorkers(relay, 2500);
    const seen = [];
    let after = '';
    for (let pages = 0; pages < 10; pages++) {
      const res = await fetch(`${relay.base}/api/workers?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      assert.equal(res.status, 200);
      const page = await res.json();
      seen.push(...page.workers.map((w) => w.worker_id));
      if (!page.next_after) break;
      after = page.next_after;
    }
    assert.equal(seen.length, 2500);
    assert.equal(new Set(seen).size, 2500);
    assert.deepEqual(seen, [...seen].sort());
    const bad = await fetch(`${relay.base}/api/workers?limit=5000`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).detail, /limit must be an integer from 1 to 1000/);
  } finally {
    relay.kill();
  }
});

test('20 clients that request a large read model and never read share one copy; /healthz stays fast', async () => {
  const relay = await RelayProcess.start();
  const sockets = [];
  try {
    await createWorkers(relay, 20000);
    const full = await (await fetch(`${relay.base}/api/workers`)).text();
    const size = full.length;
    assert.ok(size > 5_000_000, `snapshot is ${size} bytes`);
    const before = rssBytes(relay.child.pid);
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(relay.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('GET /api/workers HTTP/1.1\r\nHost: x\r\n\r\n');
      socket.pause();  // never read: the response stays in the relay's hands
      sockets.push(socket);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const health = await fetch(`${relay.base}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(Date.now() - started < 500, `healthz took ${Date.now() - started} ms`);
    const grown = rssBytes(relay.child.pid) - before;
    // Twenty private copies would be 20x the snapshot; shared, the growth is about one.
    assert.ok(grown < 3 * size, `RSS grew by ${grown} bytes for 20 unread ${size}-byte answers`);
  } finally {
    for (const s of sockets) s.destroy();
    relay.kill();
  }
});

test('40 unread readers while 100 events/s flow pin at most RELAY_MAX_READ_MODEL_BYTES; the rest get 503 + Retry-After', async () => {
  const relay = await RelayProcess.start({
    RELAY_MAX_BODY_BYTES: String(512 * 1024),
    RELAY_MAX_READ_MODEL_BYTES: String(64 * 1024 * 1024),
  });
  const sockets = [];
  let flowing = true;
  try {
    // 100,000 workers (the default RELAY_MAX_WORKERS), in batches of 1,000.
    for (let start = 0; start < 100_000; start += 1000) {
      const batch = [];
      for (let i = start; i < start + 1000; i++) {
        const event = created(`w-${String(i).padStart(6, '0')}`, i);
        event.data.name = `worker ${i} ${'x'.repeat(100)}`;
        batch.push(event);
      }
      const res = await relay.ingest(batch);
      assert.equal(res.status, 202, await res.text());
    }
    const size = (await (await fetch(`${relay.base}/api/workers`)).text()).length;
    assert.ok(size > 20_000_000, `the list is ${size} bytes`);
    const before = rssBytes(relay.child.pid);
    let peak = before;
    const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(relay.child.pid)); }, 20);
    // 100 events/s: every request meets a new version of the read model.
    let n = 0;
    const flow = (async () => {
      while (flowing) {
        const i = n++ % 100_000;
        await relay.ingest([{
          specversion: '1.0', id: `m-${n}`, source: '/limits', type: 'worker.status.updated',
          data: { worker_id: `w-${String(i).padStart(6, '0')}`, status: 'running', updated_at: '2026-11-30T10:01:00Z' },
        }]);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const heads = [];
    for (let i = 0; i < 40; i++) {
      const socket = net.connect(relay.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('GET /api/workers HTTP/1.1\r\nHost: x\r\n\r\n');
      // Read the head, then stop reading: the rest stays in the relay's hands.
      heads.push(new Promise((resolve) => socket.once('data', (d) => { socket.pause(); resolve(d.toString('latin1')); })));
      sockets.push(socket);
      await new Promise((r) => setTimeout(r, 100));
    }
    const answers = await Promise.all(heads);
    await new Promise((r) => setTimeout(r, 1000));
    const started = Date.now();
    const health = await fetch(`${relay.base}/healthz`);
    const healthMs = Date.now() - started;
    clearInterval(sampler);
    flowing = false;
    await flow;
    const served = answers.filter((a) => a.startsWith('HTTP/1.1 200')).length;
    const busy = answers.filter((a) => a.startsWith('HTTP/1.1 503'));
    const grown = peak - before;
    console.log(`# read-model budget: list ${size} B, ${served} served, ${busy.length} x 503, RSS +${grown} B (peak), healthz ${healthMs} ms`);
    assert.equal(served + busy.length, 40, 'every request is answered');
    assert.ok(served >= 1, 'unread answers do not lock everyone out');
    assert.ok(busy.length > 0, 'past the budget requests are refused');
    assert.ok(busy.every((a) => /retry-after: 1/i.test(a) && a.includes('RELAY_MAX_READ_MODEL_BYTES')), busy[0]);
    // The budget plus one list being built and the slack of the allocator; forty copies
    // would be over a gigabyte.
    assert.ok(grown < 64 * 1024 * 1024 + 2 * size, `RSS grew by ${grown} bytes`);
    assert.equal(health.status, 200);
    assert.ok(healthMs < 1000, `healthz took ${healthMs} ms`);
    // Once the readers are gone, the lists they pinned are free again.
    for (const s of sockets) s.destroy();
    await eventually(async () => {
      const again = await fetch(`${relay.base}/api/workers`);
      await again.arrayBuffer();
      return again.status === 200;
    }, 5000, 'the whole list once the readers left');
  } finally {
    flowing = false;
    for (const s of sockets) s.destroy();
    relay.kill();
  }
});
