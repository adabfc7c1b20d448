// Relay processes on one real redis-server (RELAY_BUS=redis://): events ingested at either
// replica reach subscribers of both with the same ids in the same order, the read models
// agree, a subscriber of a replica that dies resumes on the other with its Last-Event-ID,
// Redis restarts (AOF) and wipes are survived without loss or a silent gap, and a replica
// started late begins from the snapshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { byLogOrder, closeAll, collect, created, ready } from './bus_clients.mjs';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

let redis;

before(async () => { redis = await RedisProcess.start(); });
after(async () => {
  closeAll();
  await redis.remove();
});

const busEnv = () => ({ RELAY_BUS: redis.url, RELAY_BUS_STREAM: `t:${Date.now()}` });

/** Two relay processes on a fresh stream of the test's Redis, both ready; `body(a, b, env)`
 *  runs, then every EventSource is closed and both processes are killed however it ended. */
async function withTwoReplicas(body) {
  const env = busEnv();
  const a = await RelayProcess.start(env);
  const b = await RelayProcess.start(env);
  try {
    await ready(a);
    await ready(b);
    await body(a, b, env);
  } finally {
    closeAll();
    a.kill();
    b.kill();
  }
}

test('events ingested at either replica reach subscribers of both: same ids, same order, same read model', async () => {
  await withTwoReplicas(async (a, b) => {
    const atA = collect(`${a.base}/api/events/stream`);
    const atB = collect(`${b.base}/api/events/stream`);
    await Promise.all([atA.opened, atB.opened]);
    const ids = [];
    for (let i = 0; i < 30; i++) {
      const relay = i % 2 ? b : a;
      const res = i % 3 === 0
        ? await relay.ingest(created(`w-${i}`))
        : await relay.publish({ type: 'bus.tick', data: { n: i } });
      assert.equal(res.status, 202, await res.clone().text());
      const body = await res.json();
      ids.push(body.id ?? body.ids[0]);
    }
    await eventually(() => atA.received.length === 30 && atB.received.length === 30, 10_000, 'both got 30');
    assert.deepEqual(atA.received.map((e) => e.id), ids);
    assert.deepEqual(atB.received, atA.received);
    const [wa, wb] = await Promise.all([a, b].map(async (r) => (await fetch(`${r.base}/api/workers`)).json()));
    assert.equal(wa.workers.length, 10);
    assert.deepEqual(wb, wa);
    // The same (source, id) posted to both at once is stored once.
    // Both answer 202 with the one id: a retry is never a conflict with itself.
    for (let round = 0; round < 5; round++) {
      const twin = created(`w-dup-${round}`);
      const [r1, r2] = await Promise.all([a.ingest(twin), b.ingest(twin)]);
      const [t1, t2] = [await r1.text(), await r2.text()];
      assert.equal(r1.status, 202, t1);
      assert.equal(r2.status, 202, t2);
      assert.equal(JSON.parse(t1).ids[0], JSON.parse(t2).ids[0]);
    }
    atA.es.close();
    atB.es.close();
  });
});

test('Idempotency-Key on Redis: a retry at either replica answers the original id, the stream holds one entry and each subscriber gets one event', async () => {
  await withTwoReplicas(async (a, b, env) => {
    const atA = collect(`${a.base}/api/events/stream?types=idem.test`, { types: ['idem.test'] });
    const atB = collect(`${b.base}/api/events/stream?types=idem.test`, { types: ['idem.test'] });
    await Promise.all([atA.opened, atB.opened]);
    const key = { 'idempotency-key': `retry-${Date.now()}` };
    const answers = [];
    for (const relay of [a, b, a, b]) {
      const res = await relay.publish({ type: 'idem.test', data: { n: answers.length } }, key);
      assert.equal(res.status, 202);
      answers.push((await res.json()).id);
    }
    assert.equal(new Set(answers).size, 1, `one id for every retry: ${answers}`);
    const other = await (await a.publish({ type: 'idem.test', data: { n: 'other' } }, { 'idempotency-key': `other-${Date.now()}` })).json();
    await eventually(() => atA.received.length === 2 && atB.received.length === 2, 10_000, 'both got the two events');
    await new Promise((r) => setTimeout(r, 300));  // a duplicate would arrive by now
    for (const sub of [atA, atB]) assert.deepEqual(sub.received.map((e) => e.id), [answers[0], other.id]);
    assert.equal(await redis.cli('XLEN', env.RELAY_BUS_STREAM), '2');
  });
});

test('a subscriber of a replica that is SIGKILLed resumes on the other with its Last-Event-ID: exactly the missed events', async () => {
  await withTwoReplicas(async (a, b) => {
    const first = collect(`${a.base}/api/events/stream?types=bus.tick`);
    await first.opened;
    for (let i = 0; i < 5; i++) assert.equal((await b.publish({ type: 'bus.tick', data: { n: i } })).status, 202);
    await eventually(() => first.received.length === 5, 10_000, 'five at A');
    first.es.close();
    a.child.kill('SIGKILL');
    const missed = [];
    for (let i = 5; i < 10; i++) {
      const res = await b.publish({ type: 'bus.tick', data: { n: i } });
      missed.push((await res.json()).id);
    }
    const resumed = collect(`${b.base}/api/events/stream?types=bus.tick`, { headers: { 'Last-Event-ID': first.received.at(-1).id } });
    await eventually(() => resumed.received.length === 5, 10_000, 'the five missed at B');
    assert.deepEqual(resumed.received.map((e) => e.id), missed);
    assert.deepEqual(resumed.received.map((e) => e.data.n), [5, 6, 7, 8, 9]);
    resumed.es.close();
  });
});

test('Redis killed and restarted mid-run (AOF): ingest answers 503 meanwhile, never a 202 that is lost; every 202 event reaches both replicas exactly once', async () => {
  await withTwoReplicas(async (a, b) => {
    const atA = collect(`${a.base}/api/events/stream?types=worker.created`);
    const atB = collect(`${b.base}/api/events/stream?types=worker.created`);
    await Promise.all([atA.opened, atB.opened]);
    const accepted = new Map(); // CloudEvent id -> relay id
    let unavailable = 0;
    let stop = false;
    // A producer that retries each event (same source and id) until it gets a 202.
    const produce = async (relay, prefix) => {
      for (let n = 0; !stop; n++) {
        const event = created(`${prefix}-${n}`);
        for (;;) {
          const res = await relay.ingest(event).catch(() => null);
          if (res?.status === 202) {
            accepted.set(event.id, (await res.json()).ids[0]);
            break;
          }
          if (res) {
            assert.equal(res.status, 503, await res.text());
            assert.ok(res.headers.get('retry-after'));
            await res.text().catch(() => {});
            unavailable++;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const producers = [produce(a, 'pa'), produce(b, 'pb')];
    await new Promise((r) => setTimeout(r, 500));
    await redis.kill();
    // Out of the balancer after the short grace (2 s), not at the first blip.
    await eventually(async () => (await fetch(`${a.base}/readyz`)).status === 503, 5_000, 'readyz 503 in the outage');
    await redis.restart();
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(producers);
    assert.ok(unavailable > 0, 'the outage was seen by the producers');
    const expected = [...accepted.values()].sort(byLogOrder);
    await eventually(() => atA.received.length >= expected.length && atB.received.length >= expected.length,
      15_000, `both subscribers got all ${expected.length} accepted events`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(atA.received.map((e) => e.id), expected);
    assert.deepEqual(atB.received.map((e) => e.id), expected);
    await ready(a);
    await ready(b);
  });
});

test('Redis wiped (FLUSHALL) under two replicas: every subscriber gets system.sse.resync, never a silent gap; the replicas rebuild and agree', async () => {
  await withTwoReplicas(async (a, b) => {
    const watch = (relay) => {
      const s = collect(`${relay.base}/api/events/stream?types=worker.created`);
      // In the sequence too: nothing of before may follow it.
      s.es.addEventListener('system.sse.resync', () => s.received.push({ resync: true }));
      return s;
    };
    const atA = watch(a);
    const atB = watch(b);
    await Promise.all([atA.opened, atB.opened]);
    for (const id of ['old-1', 'old-2', 'old-3']) assert.equal((await a.ingest(created(id))).status, 202);
    await eventually(() => atA.received.length === 3 && atB.received.length === 3, 10_000, 'three created at both');
    await redis.cli('FLUSHALL');
    await eventually(() => atA.resyncs.length === 1 && atB.resyncs.length === 1, 10_000, 'a resync at both');
    assert.equal(atA.resyncs[0].reason, 'bus_data_lost');
    assert.equal(atB.resyncs[0].reason, 'bus_data_lost');
    // The old workers went with the data; the read models rebuild from what Redis holds now.
    await eventually(async () => (await (await fetch(`${b.base}/api/workers`)).json()).workers.length === 0,
      5_000, 'B rebuilt empty');
    for (const id of ['new-1', 'new-2']) assert.equal((await b.ingest(created(id))).status, 202);
    await eventually(() => atA.received.length === 6 && atB.received.length === 6, 10_000, 'the new ones at both');
    for (const s of [atA, atB]) {
      assert.deepEqual(s.received.slice(3).map((e) => e.resync ? 'resync' : e.data.worker_id), ['resync', 'new-1', 'new-2']);
    }
    const [wa, wb] = await Promise.all([a, b].map(async (r) => (await fetch(`${r.base}/api/workers`)).json()));
    assert.deepEqual(wa.workers.map((w) => w.worker_id).sort(), ['new-1', 'new-2']);
    assert.deepEqual(wb, wa);
    // A Last-Event-ID from before the wipe is not replayed across it.
    const stale = collect(`${a.base}/api/events/stream?types=worker.created`, { headers: { 'Last-Event-ID': atA.received[1].id } });
    await eventually(() => stale.resyncs.length === 1, 5_000, 'an old id resyncs');
    assert.equal(stale.received.length, 0);
    const stats = await a.stats();
    assert.equal(stats.bus.epoch_changes, 1);
  });
});

test('Redis wiped (FLUSHALL) while two producers post to two replicas: one resync each, and no id is ever delivered twice', async () => {
  await withTwoReplicas(async (a, b) => {
    const subs = [a, b, a, b].map((r) => collect(`${r.base}/api/events/stream?types=bus.tick`));
    await Promise.all(subs.map((s) => s.opened));
    let flushedAt = Infinity;
    const accepted = [];  // {id, at}
    let running = true;
    const producer = async (relay, name) => {
      for (let n = 0; running; n++) {
        const res = await relay.publish({ type: 'bus.tick', data: { name, n } }).catch(() => null);
        if (res?.status === 202) accepted.push({ id: (await res.json()).id, at: Date.now() });
        else await res?.text();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const producers = [producer(a, 'pa'), producer(b, 'pb')];
    await new Promise((r) => setTimeout(r, 500));
    await redis.cli('FLUSHALL');
    flushedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await Promise.all(producers);
    const after = accepted.filter((x) => x.at > flushedAt + 50).map((x) => x.id);
    assert.ok(after.length > 20, `${after.length} events accepted after the wipe`);
    await eventually(() => subs.every((s) => after.every((id) => s.received.some((e) => e.id === id))), 10_000,
      'every event accepted after the wipe, at every subscriber');
    await new Promise((r) => setTimeout(r, 300));
    for (const s of subs) {
      const ids = s.received.map((e) => e.id);
      const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepEqual(twice, [], 'no id delivered twice');
      assert.equal(s.resyncs.length, 1, JSON.stringify(s.resyncs));
      assert.equal(s.resyncs[0].reason, 'bus_data_lost');
    }
  });
});

test('Redis rewound to an older RDB (restarted without AOF after a SAVE) while producers post: detected, one resync, no id twice; every replica, and one started afterwards, serve the same read model under the same ETag', async () => {
  const rdb = await RedisProcess.start({ aof: false });
  const env = { RELAY_BUS: rdb.url, RELAY_BUS_STREAM: `rewind:${Date.now()}` };
  const a = await RelayProcess.start(env);
  const b = await RelayProcess.start(env);
  let c;
  try {
    await ready(a);
    await ready(b);
    const subs = [a, b].map((r) => collect(`${r.base}/api/events/stream?types=worker.created`));
    await Promise.all(subs.map((s) => s.opened));
    let running = true;
    const producer = async (relay, name) => {
      for (let n = 0; running; n++) {
        const res = await relay.ingest(created(`${name}-${n}`, `/rewind-${name}`)).catch(() => null);
        await res?.text();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const producers = [producer(a, 'pa'), producer(b, 'pb')];
    await new Promise((r) => setTimeout(r, 400));
    await rdb.cli('SAVE');
    await new Promise((r) => setTimeout(r, 400));  // more events, which the rewind will lose
    await rdb.kill();
    await rdb.restart();  // as of the SAVE: ordinals and ids go back
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await Promise.all(producers);
    await eventually(() => subs.every((s) => s.resyncs.length >= 1), 10_000, 'a resync at both');
    await new Promise((r) => setTimeout(r, 500));
    for (const s of subs) {
      const ids = s.received.map((e) => e.id);
      assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no id delivered twice');
      assert.equal(s.resyncs.length, 1, JSON.stringify(s.resyncs));
      assert.equal(s.resyncs[0].reason, 'bus_data_lost');
    }
    c = await RelayProcess.start(env);
    await ready(c);
    const read = async (r) => {
      const res = await fetch(`${r.base}/api/workers`);
      return { etag: res.headers.get('etag'), body: await res.json() };
    };
    await eventually(async () => {
      const [ra, rb, rc] = await Promise.all([a, b, c].map(read));
      return ra.etag === rb.etag && rb.etag === rc.etag;
    }, 10_000, 'the three replicas at one version');
    const [ra, rb, rc] = await Promise.all([a, b, c].map(read));
    assert.deepEqual(rb.body, ra.body);
    assert.deepEqual(rc.body, ra.body, 'a replica started afterwards agrees: same ETag, same content');
    assert.equal((await a.stats()).bus.epoch_changes >= 1, true);
  } finally {
    closeAll();
    a.kill();
    b.kill();
    c?.kill();
    await rdb.remove();
  }
});

test('a replica started after 10,000 events, the stream trimmed below them, starts from the snapshot: the same GET /api/workers as the others by the time /readyz is 200', async () => {
  const env = { ...busEnv(), RELAY_BUS_SNAPSHOT_EVERY: '1000', RELAY_BUS_SNAPSHOT_SPACING_MS: '0' };
  const a = await RelayProcess.start(env);
  let c;
  try {
    await ready(a);
    const ce = (type, data, n) => ({ specversion: '1.0', id: `e-${n}`, source: '/late-test', type, data });
    let n = 0;
    for (let batch = 0; batch < 100; batch++) {
      const events = [];
      for (let i = 0; i < 100; i++, n++) {
        const worker = `w-${n % 2000}`;
        events.push(n < 2000
          ? ce('worker.created', { worker_id: worker, name: worker, region: 'eu-west-1', instance_type: 'm5.large', status: 'pending', created_at: '2026-11-30T10:00:00Z' }, n)
          : ce('worker.telemetry.updated', { worker_id: worker, cpu_percent: n % 97, memory_percent: 12.5, labs_count: n % 4, collected_at: new Date(Date.UTC(2026, 10, 30, 11) + n * 1000).toISOString() }, n));
      }
      const res = await a.ingest(events);
      assert.equal(res.status, 202, await res.clone().text());
    }
    await eventually(async () => (await a.stats()).bus.snapshots_written >= 9, 10_000, 'snapshots written');
    const snapshotId = await redis.cli('HGET', `${env.RELAY_BUS_STREAM}:snapshot`, 'id');
    await redis.cli('XTRIM', env.RELAY_BUS_STREAM, 'MINID', snapshotId);
    const length = Number(await redis.cli('XLEN', env.RELAY_BUS_STREAM));
    assert.ok(length < 2000, `the stream keeps ${length} entries, not the 10,000`);
    const expected = await (await fetch(`${a.base}/api/workers`)).json();
    assert.equal(expected.workers.length, 2000);

    c = await RelayProcess.start(env);
    await eventually(async () => (await fetch(`${c.base}/readyz`)).status === 200, 10_000, 'C ready');
    const atC = await (await fetch(`${c.base}/api/workers`)).json();
    assert.equal(atC.last_event_id, expected.last_event_id);
    assert.deepEqual(atC, expected);
    const stats = await c.stats();
    assert.equal(stats.bus.gaps, 0);
    assert.equal(stats.bus.epoch_changes, 0);
    // Catching up is not lagging: no warning, and never a lag counted from 0-0 (56 years).
    assert.ok(!c.stdout.includes('folding lags behind'), c.stdout.split('\n').find((l) => l.includes('lags')));
    assert.ok(stats.bus.lag_ms < 3_600_000, JSON.stringify(stats.bus));
    // Its replay window is the others': a Last-Event-ID from A resumes exactly at C.
    const resumeFrom = (await a.stats()).log.newest_id;
    const resumed = collect(`${c.base}/api/events/stream?types=bus.tick`, { headers: { 'Last-Event-ID': resumeFrom } });
    await resumed.opened;
    const tick = await a.publish({ type: 'bus.tick', data: { n: 1 } });
    const tickId = (await tick.json()).id;
    await eventually(() => resumed.received.length === 1, 5_000, 'the next event at C');
    assert.equal(resumed.received[0].id, tickId);
  } finally {
    closeAll();
    a.kill();
    c?.kill();
  }
});

test('the demo replica restarted on the shared bus adopts its fleet: the same workers keep moving, no refused batch', async () => {
  const env = busEnv();
  let demo = await RelayProcess.start({ ...env, RELAY_DEMO: 'true' });
  const other = await RelayProcess.start(env);
  const workers = async () => (await (await fetch(`${other.base}/api/workers`)).json()).workers;
  try {
    await ready(other);
    await eventually(async () => (await workers()).length === 6, 10_000, 'the demo fleet on the other replica');
    assert.ok((await workers()).some((w) => w.status !== 'running'), 'killed while its workers are still starting');
    demo.kill();
    await demo.exited;
    demo = await RelayProcess.start({ ...env, RELAY_DEMO: 'true' });
    // Pending -> provisioning -> running takes about five ticks: only a fleet that was adopted
    // gets there, the old process's workers would otherwise stay where it left them.
    await eventually(async () => (await workers()).every((w) => w.status === 'running'), 15_000, 'every worker running');
    const ids = (await workers()).map((w) => w.worker_id).sort();
    assert.deepEqual(ids, ['worker-001', 'worker-002', 'worker-003', 'worker-004', 'worker-005', 'worker-006']);
    assert.match(demo.stdout, /"demo fleet adopted","workers":6/);
    assert.doesNotMatch(demo.stdout, /demo batch refused/);
  } finally {
    demo.kill();
    other.kill();
  }
});
