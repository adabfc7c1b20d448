// What the scale-out suites share: waiting for /readyz, SSE subscribers that record what
// they receive (npm eventsource, which reconnects with Last-Event-ID as the spec says), and
// a worker.created CloudEvent.
import { EventSource } from 'eventsource';
import assert from 'node:assert/strict';
import { eventually } from './relay_process.mjs';

export async function ready(relay, ms = 10_000) {
  await eventually(async () => {
    try {
      return (await fetch(`${relay.base}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }, ms, `readyz 200 at ${relay.base}`);
}

/** Every EventSource opened through collect(); a suite closes them however it ends. */
export const openStreams = new Set();

export function closeAll() {
  openStreams.forEach((es) => es.close());
  openStreams.clear();
}

/** A subscriber recording {id, type, data, raw, connection (1 for the first)} of each event of `types`, its `connected`
 *  payloads (one per connection) and its resyncs and shutdowns. */
export function collect(url, { headers = {}, types = ['bus.tick', 'worker.created', 'worker.status.updated'] } = {}) {
  const received = [];
  const connections = [];
  const resyncs = [];
  const shutdowns = [];
  const es = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
  });
  openStreams.add(es);
  const opened = new Promise((resolve) => es.addEventListener('connected', resolve, { once: true }));
  es.addEventListener('connected', (e) => connections.push(JSON.parse(e.data)));
  es.addEventListener('system.sse.resync', (e) => resyncs.push(JSON.parse(e.data)));
  es.addEventListener('system.sse.shutdown', (e) => shutdowns.push(JSON.parse(e.data)));
  for (const type of types) {
    es.addEventListener(type, (e) => received.push({
      id: e.lastEventId, type, data: JSON.parse(e.data).data, raw: e.data, connection: connections.length,
    }));
  }
  return { es, received, connections, resyncs, shutdowns, opened };
}

export const created = (id, source = '/bus-test') => ({
  specversion: '1.0', id: `c-${id}`, source, type: 'worker.created',
  data: { worker_id: id, name: id, region: 'eu-west-1', instance_type: 'm5.large', status: 'pending', created_at: '2026-11-30T10:00:00Z' },
});

/** Stream ids in log order. */
export function byLogOrder(x, y) {
  const [xm, xs] = x.split('-').map(BigInt);
  const [ym, ys] = y.split('-').map(BigInt);
  return xm === ym ? Number(xs - ys) : Number(xm - ym);
}

/** POST through `base` until 202, with the same CloudEvent each time (a producer's retry). */
export async function ingestUntilAccepted(base, event) {
  for (;;) {
    const res = await fetch(`${base}/api/domain-events`, {
      method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event),
    }).catch(() => null);
    if (res?.status === 202) return (await res.json()).ids[0];
    if (res) {
      assert.ok([502, 503, 504].includes(res.status), `${res.status} ${await res.text()}`);
      await res.text().catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
