// A frozen Redis (SIGSTOP: a stalled VM, a long fork) is an unreachable one. Every Redis
// command has a deadline (RELAY_BUS_COMMAND_TIMEOUT_MS): a publish answers 503
// bus-unavailable within it instead of hanging for the whole freeze (before: a 202 after
// 40 s), /readyz turns 503 after the grace so balancers stop routing to the replica, and when
// Redis wakes every publish that got a 202 reaches every subscriber once, in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, collect, ready } from './bus_clients.mjs';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

let redis;
before(async () => { redis = await RedisProcess.start(); });
after(async () => {
  closeAll();
  if (redis.child.signalCode === null) redis.child.kill('SIGCONT');
  await redis.remove();
});

const readyz = async (relay) => (await fetch(`${relay.base}/readyz`)).status;

test('Redis frozen for 6 s under two replicas: publishes answer 503 within the command deadline, /readyz 503, then every 202 once, in order', async () => {
  const env = { RELAY_BUS: redis.url, RELAY_BUS_STREAM: `freeze:${Date.now()}`, RELAY_BUS_COMMAND_TIMEOUT_MS: '500' };
  const a = await RelayProcess.start(env);
  const b = await RelayProcess.start(env);
  try {
    await ready(a);
    await ready(b);
    const subs = [collect(`${a.base}/api/events/stream?types=freeze.tick`, { types: ['freeze.tick'] }),
      collect(`${b.base}/api/events/stream?types=freeze.tick`, { types: ['freeze.tick'] })];
    await Promise.all(subs.map((s) => s.opened));
    const accepted = [];
    let n = 0;
    const publish = async (relay) => {
      const started = Date.now();
      const res = await relay.publish({ type: 'freeze.tick', data: { n: n++ } });
      const body = await res.json();
      if (res.status === 202) accepted.push(body.id);
      return { status: res.status, ms: Date.now() - started, body, retryAfter: res.headers.get('retry-after') };
    };
    for (let i = 0; i < 5; i++) assert.equal((await publish(i % 2 ? a : b)).status, 202);

    redis.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await publish(i % 2 ? a : b));
    for (const answer of during) {
      assert.equal(answer.status, 503, JSON.stringify(answer));
      assert.equal(answer.body.type, 'urn:sse-relay:problem:bus-unavailable');
      assert.ok(answer.retryAfter, 'with Retry-After');
      assert.ok(answer.ms < 1500, `answered in ${answer.ms} ms, the deadline is 500 ms`);
    }
    await eventually(async () => (await readyz(a)) === 503 && (await readyz(b)) === 503, 6000, '/readyz 503 on both');
    const notReadyAfter = Date.now() - frozenAt;
    await new Promise((r) => setTimeout(r, Math.max(0, 6000 - (Date.now() - frozenAt))));
    redis.child.kill('SIGCONT');

    await ready(a);
    await ready(b);
    for (let i = 0; i < 5; i++) {
      let answer;
      do { answer = await publish(i % 2 ? a : b); } while (answer.status !== 202);
    }
    console.log(`# frozen Redis: 503 in ${during.map((d) => d.ms).join('/')} ms, /readyz 503 after ${notReadyAfter} ms`);
    await eventually(() => subs.every((s) => accepted.every((id) => s.received.some((e) => e.id === id))), 10_000,
      'every 202 event on both replicas');
    await new Promise((r) => setTimeout(r, 300));
    for (const s of subs) {
      const ids = s.received.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no event twice');
      // In log order, and each 202 among them. A publish answered 503 may still have been
      // stored (Redis ran it when it woke): its outcome was unknown, and so it was said.
      assert.deepEqual(ids.filter((id) => accepted.includes(id)), accepted);
    }
  } finally {
    closeAll();
    a.kill();
    b.kill();
  }
});
