// Replicas on one Redis behind the shipped balancer configurations (deploy/nginx.conf,
// deploy/haproxy.cfg), as an operator runs them: subscribers and producers only ever talk to
// the balancer, replicas die and restart underneath, and every event that got a 202 reaches
// every subscriber exactly once, in log order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHaproxy, startNginx } from './balancer.mjs';
import { byLogOrder, closeAll, collect, created, ingestUntilAccepted, ready } from './bus_clients.mjs';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually, freePort } from './relay_process.mjs';

let redis;
before(async () => { redis = await RedisProcess.start(); });
after(async () => {
  closeAll();
  await redis.remove();
});

// Reconnects within a second, so the suite does not wait out production-sized delays.
const replicaEnv = (stream) => ({
  RELAY_BUS: redis.url, RELAY_BUS_STREAM: stream, RELAY_RETRY_MS: '300', RELAY_RECONNECT_JITTER_MS: '800',
  RELAY_HEARTBEAT_MS: '2000', RELAY_SHUTDOWN_GRACE_MS: '3000',
});

async function replicas(n, stream) {
  const started = [];
  for (let i = 0; i < n; i++) started.push(await RelayProcess.start(replicaEnv(stream)));
  for (const r of started) await ready(r);
  return started;
}

test('two replicas behind nginx: events ingested through it reach subscribers on both with the same ids, order and envelopes; a subscriber whose replica is SIGKILLed resumes on the other through nginx with exactly the missed events', async () => {
  const [a, b] = await replicas(2, `nginx:${Date.now()}`);
  const nginx = await startNginx([a.port, b.port]);
  try {
    const subs = Array.from({ length: 6 }, () => collect(`${nginx.base}/api/events/stream`));
    await Promise.all(subs.map((s) => s.opened));
    const instances = new Set(subs.map((s) => s.connections[0].instance_id));
    assert.equal(instances.size, 2, 'nginx spread the subscribers over both replicas');
    const ids = [];
    for (let i = 0; i < 30; i++) {
      const res = i % 3 === 0
        ? await fetch(`${nginx.base}/api/domain-events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(created(`w-${i}`)) })
        : await fetch(`${nginx.base}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'bus.tick', data: { n: i } }) });
      assert.equal(res.status, 202);
      const body = await res.json();
      ids.push(body.id ?? body.ids[0]);
    }
    await eventually(() => subs.every((s) => s.received.length === 30), 10_000, 'every subscriber got 30');
    for (const s of subs) {
      assert.deepEqual(s.received.map((e) => e.id), ids);
      assert.deepEqual(s.received.map((e) => e.raw), subs[0].received.map((e) => e.raw));  // byte-equal envelopes
    }
    const [wa, wb] = await Promise.all([a, b].map(async (r) => (await fetch(`${r.base}/api/workers`)).json()));
    assert.equal(wa.workers.length, 10);
    assert.deepEqual(wb, wa);

    // Kill the replica that serves subs[0]; it reconnects through nginx, lands on the other.
    const instanceOf = async (r) => (await r.stats()).instance_id;
    const victim = (await instanceOf(a)) === subs[0].connections[0].instance_id ? a : b;
    const survivor = victim === a ? b : a;
    victim.kill();
    // A keep-alive connection nginx held to the dead replica fails a POST with 502 (nginx
    // does not re-send a POST it may have delivered); the producer retries the same
    // CloudEvent, which the bus stores once.
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push(await ingestUntilAccepted(nginx.base, created(`after-kill-${i}`)));
    await eventually(() => subs.every((s) => s.received.length === 35), 15_000, 'all subscribers got the 5 after the kill');
    const survivorId = (await survivor.stats()).instance_id;
    for (const s of subs) {
      assert.deepEqual(s.received.map((e) => e.id), [...ids, ...missed], 'exactly once, in order');
      assert.equal(s.connections.at(-1).instance_id, survivorId);
    }
    assert.ok(subs[0].connections.length === 2, 'subs[0] reconnected once');
  } finally {
    closeAll();
    await nginx.stop();
    a.kill();
    b.kill();
  }
});

test('haproxy: a rolling restart of both replicas under 200 subscribers and producers in flight; every event that got 202 reaches every subscriber exactly once', async () => {
  const stream = `haproxy:${Date.now()}`;
  let [a, b] = await replicas(2, stream);
  const haproxy = await startHaproxy([a.port, b.port]);
  try {
    const subs = Array.from({ length: 200 }, () => collect(`${haproxy.base}/api/events/stream?types=worker.created`, { types: ['worker.created'] }));
    await Promise.all(subs.map((s) => s.opened));
    const accepted = [];
    let stop = false;
    const produce = async (name) => {
      for (let n = 0; !stop; n++) {
        accepted.push(await ingestUntilAccepted(haproxy.base, created(`${name}-${n}`, '/rolling')));
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const producers = [produce('p1'), produce('p2')];
    const roll = async (old) => {
      const { code } = await old.terminate();
      assert.equal(code, 0, 'a drained replica exits 0');
      const fresh = await RelayProcess.start(replicaEnv(stream), [], old.port);
      await ready(fresh);
      // haproxy sends it traffic again after its next /readyz check (inter 1 s).
      await new Promise((r) => setTimeout(r, 1500));
      return fresh;
    };
    await new Promise((r) => setTimeout(r, 500));
    a = await roll(a);
    b = await roll(b);
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(producers);
    const expected = [...accepted].sort(byLogOrder);
    assert.ok(expected.length > 50, `${expected.length} events accepted during the roll`);
    await eventually(() => subs.every((s) => s.received.length >= expected.length), 20_000,
      'every subscriber has every accepted event');
    await new Promise((r) => setTimeout(r, 300));
    let moved = 0;
    const wanted = new Set(expected);
    for (const s of subs) {
      const got = s.received.map((e) => e.id);
      const seen = new Set();
      const twice = got.filter((id) => seen.has(id) || !seen.add(id));
      const unknown = got.filter((id) => !wanted.has(id));
      const missing = expected.filter((id) => !seen.has(id));
      if (twice.length) {
        const first = got.indexOf(twice[0]);
        const again = got.lastIndexOf(twice[0]);
        console.log(JSON.stringify({ connections: s.connections, first, again, total: got.length,
          around: s.received.slice(Math.max(0, first - 3), again + 3).map((e) => [e.connection, e.id]) }));
      }
      assert.deepEqual({ twice, unknown, missing }, { twice: [], unknown: [], missing: [] },
        `subscriber with connections ${JSON.stringify(s.connections.map((c) => c.instance_id))}`);
      assert.deepEqual(got, expected, 'in log order');
      assert.equal(s.resyncs.length, 0, 'resumed, never resynced');
      if (s.shutdowns.length > 0) moved++;
    }
    assert.ok(moved >= 100, `${moved} subscribers were told system.sse.shutdown and moved`);
  } finally {
    closeAll();
    await haproxy.stop();
    a.kill();
    b.kill();
  }
});
