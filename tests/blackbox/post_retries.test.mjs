// The shipped balancers never re-send a POST that reached a replica. With
// RELAY_BUS_WAIT_REPLICAS set and no Redis replica to confirm, an append is stored and then
// answered 503: haproxy's retry-on 503 used to send it again (the producer got 503, the
// subscribers 4 copies, XLEN grew by 4). Now one copy is stored and broadcast, the problem
// says the events are stored but unconfirmed and that a retry with the same key is safe, and
// a retry with that key stores nothing more.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, collect, ready } from './bus_clients.mjs';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';
import { startHaproxy, startNginx } from './balancer.mjs';

let redis;
before(async () => { redis = await RedisProcess.start(); });
after(async () => {
  closeAll();
  await redis.remove();
});

for (const [name, start] of [['haproxy', startHaproxy], ['nginx', startNginx]]) {
  test(`through ${name}: a POST answered 503 after its append (WAIT short) is stored and broadcast once, and its retry with the same key adds nothing`, async () => {
    const stream = `post:${name}:${Date.now()}`;
    const env = { RELAY_BUS: redis.url, RELAY_BUS_STREAM: stream, RELAY_BUS_WAIT_REPLICAS: '1', RELAY_BUS_WAIT_TIMEOUT_MS: '100' };
    const a = await RelayProcess.start(env);
    const b = await RelayProcess.start(env);
    const balancer = await start([a.port, b.port]);
    try {
      await ready(a);
      await ready(b);
      const subs = [collect(`${a.base}/api/events/stream?types=post.once`, { types: ['post.once'] }),
        collect(`${b.base}/api/events/stream?types=post.once`, { types: ['post.once'] })];
      await Promise.all(subs.map((s) => s.opened));
      // The first POST carries no key: a balancer's re-send would be stored again. The second
      // is the producer's retry of the same publish, with its key.
      const key = { 'idempotency-key': `${name}-${Date.now()}` };
      for (let attempt = 0; attempt < 3; attempt++) {
        const res = await fetch(`${balancer.base}/api/events`, {
          method: 'POST', headers: { 'content-type': 'application/json', ...(attempt > 0 ? key : {}) },
          body: JSON.stringify({ type: 'post.once', data: { attempt } }),
        });
        assert.equal(res.status, 503);
        const problem = await res.json();
        assert.equal(problem.type, 'urn:sse-relay:problem:bus-unavailable');
        assert.match(problem.detail, /stored but not yet confirmed/);
        assert.match(problem.detail, /retry with the same/);
      }
      await eventually(() => subs.every((s) => s.received.length >= 2), 5000, 'the stored events reach both replicas');
      await new Promise((r) => setTimeout(r, 500));  // copies, if any, would have arrived
      // One copy of the keyless POST, one of the keyed publish (its retry adds nothing).
      for (const s of subs) assert.deepEqual(s.received.map((e) => e.data.attempt), [0, 1]);
      assert.equal(await redis.cli('XLEN', stream), '2');
    } finally {
      closeAll();
      await balancer.stop();
      a.kill();
      b.kill();
    }
  });
}
