// SIGTERM with 200 subscribers and producers in flight: every subscriber receives every
// event that got a 202, then system.sse.shutdown, then the stream ends; exit 0 in the grace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { RelayProcess, eventually } from './relay_process.mjs';

const SUBSCRIBERS = 200;
const PRODUCERS = 4;
const GRACE_MS = 5000;

test('graceful stop delivers every accepted event, then shutdown, then EOF', async () => {
  const relay = await RelayProcess.start({
    RELAY_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    RELAY_RECONNECT_JITTER_MS: '2000',
    RELAY_RETRY_MS: '60000', // keep the clients from reconnecting while we inspect them
  });
  try {
    const subs = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const es = new EventSource(`${relay.base}/api/events/stream`);
      const sub = { es, ids: [], shutdown: null, afterShutdown: [], ended: false };
      es.addEventListener('demo.seq', (e) => (sub.shutdown ? sub.afterShutdown : sub.ids).push(e.lastEventId));
      es.addEventListener('system.sse.shutdown', (e) => (sub.shutdown = JSON.parse(e.data)));
      es.addEventListener('error', () => {
        if (sub.shutdown) {
          sub.ended = true;
          es.close();
        }
      });
      subs.push(sub);
    }
    await eventually(async () => (await relay.stats()).clients === SUBSCRIBERS, 15_000, 'all subscribed');

    const accepted = [];
    let producing = true;
    const producers = Array.from({ length: PRODUCERS }, async (_, p) => {
      for (let n = 0; producing; n++) {
        try {
          const res = await relay.publish({ type: 'demo.seq', data: { p, n } });
          if (res.status !== 202) break; // 503 while draining: nothing accepted
          accepted.push((await res.json()).id);
        } catch {
          break; // connection refused or reset once the listener is gone
        }
      }
    });
    await eventually(() => accepted.length >= 200, 10_000, 'traffic in flight');
    const stopped = await relay.terminate();
    producing = false;
    await Promise.all(producers);

    assert.equal(stopped.code, 0, `exit code (stderr: ${relay.stderr})`);
    assert.ok(stopped.ms < GRACE_MS + 1000, `stopped in ${stopped.ms} ms`);
    await eventually(() => subs.every((s) => s.ended), 10_000, 'every stream ended');

    const expected = [...accepted].sort(); // ids are <ms>-<seq>: compare as sets, then order
    const jitters = new Set();
    for (const sub of subs) {
      assert.deepEqual([...sub.ids].sort(), expected, 'every accepted event, none twice');
      assert.deepEqual(sub.ids, [...sub.ids].sort(byId), 'in log order');
      assert.equal(sub.shutdown.reason, 'shutdown');
      assert.ok(sub.shutdown.reconnect_ms >= 60000 && sub.shutdown.reconnect_ms <= 62000);
      assert.equal(sub.afterShutdown.length, 0);
      jitters.add(sub.shutdown.reconnect_ms);
    }
    assert.ok(jitters.size > 20, `reconnect_ms is jittered per client (${jitters.size} distinct)`);
    assert.match(relay.stdout, /"msg":"relay draining"/);
  } finally {
    relay.kill();
  }
});

function byId(a, b) {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? (as < bs ? -1 : as > bs ? 1 : 0) : am < bm ? -1 : 1;
}
