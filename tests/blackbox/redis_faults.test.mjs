// Network faults between one replica and Redis, put on the wire by a loopback proxy
// (fault_proxy.mjs) while the other replica keeps its direct link: latency, a stall, and
// connections reset under traffic. What a producer was told (202, or 503 and a retry with
// the same Idempotency-Key) is what every subscriber of either replica gets: each event once,
// in log order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { byLogOrder, closeAll, collect, ready } from './bus_clients.mjs';
import { FaultProxy } from './fault_proxy.mjs';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

let redis;
before(async () => { redis = await RedisProcess.start(); });
after(async () => {
  closeAll();
  await redis.remove();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const readyz = async (relay) => (await fetch(`${relay.base}/readyz`)).status;

const streams = new Map(); // replica -> its stream
const streamOf = (relay) => streams.get(relay);

/** Replica `a` on Redis directly, `b` through a fault proxy, on one fresh stream. */
async function replicas(extra = {}) {
  const proxy = await FaultProxy.start({ port: redis.port });
  const stream = `faults:${Date.now()}:${Math.random()}`;
  const env = { RELAY_BUS_STREAM: stream, RELAY_BUS_COMMAND_TIMEOUT_MS: '500', ...extra };
  const a = await RelayProcess.start({ ...env, RELAY_BUS: redis.url });
  const b = await RelayProcess.start({ ...env, RELAY_BUS: proxy.url });
  await ready(a);
  await ready(b);
  streams.set(a, stream);
  return {
    a, b, proxy,
    async stop() {
      closeAll();
      a.kill();
      b.kill();
      await proxy.close();
    },
  };
}

/** A fault.tick subscriber on each replica, connected. */
async function subscribeBoth(...relays) {
  const subs = relays.map((r) => collect(`${r.base}/api/events/stream?types=fault.tick`, { types: ['fault.tick'] }));
  await Promise.all(subs.map((s) => s.opened));
  return subs;
}

async function publishId(relay, data, headers = {}) {
  const res = await relay.publish({ type: 'fault.tick', data }, headers);
  const body = await res.json();
  return { status: res.status, id: body.id, body };
}

test('a subscriber moving to a replica 150 ms behind (its Redis link delayed) resumes with a replay, not resync future; an id the bus never held still resyncs without waiting for the tail', async () => {
  const { a, b, proxy, stop } = await replicas({ RELAY_BUS_COMMAND_TIMEOUT_MS: '2000' });
  try {
    proxy.delay(150);
    const first = await publishId(a, { n: 1 });
    assert.equal(first.status, 202);
    // At once: b reads the stream 150 ms late, so it has not folded `first` yet.
    const started = Date.now();
    const moved = collect(`${b.base}/api/events/stream?types=fault.tick`, {
      headers: { 'Last-Event-ID': first.id }, types: ['fault.tick'],
    });
    await moved.opened;
    const waited = Date.now() - started;
    const second = await publishId(a, { n: 2 });
    assert.equal(second.status, 202);
    await eventually(() => moved.received.length === 1, 5000, 'the next event after the resume id');
    assert.deepEqual(moved.resyncs, [], 'no resync: the bus held the id');
    assert.deepEqual(moved.received.map((e) => e.id), [second.id]);

    const guess = `${Date.now() + 3_600_000}-0`;
    const guessStarted = Date.now();
    const guessed = collect(`${b.base}/api/events/stream?types=fault.tick`, {
      headers: { 'Last-Event-ID': guess }, types: ['fault.tick'],
    });
    await eventually(() => guessed.resyncs.length === 1, 3000, 'resync for an id from the future');
    const guessMs = Date.now() - guessStarted;
    assert.equal(guessed.resyncs[0].reason, 'future');
    // One look at the bus: a round trip through the 150 ms delay each way, not the 2 s wait.
    assert.ok(guessMs >= 250 && guessMs < 1500, `a future id is decided after one look at the bus (${guessMs} ms)`);
    // A request that would be refused costs Redis nothing and waits for nothing: with
    // subscriber tokens required, no token is 401 at once, not after a round trip.
    const guarded = await RelayProcess.start({ RELAY_BUS: proxy.url, RELAY_BUS_STREAM: streamOf(a),
      RELAY_JWT_SECRET: 'k'.repeat(32) });
    try {
      await ready(guarded);
      const third = await publishId(a, { n: 3 }); // stored; `guarded` reads it 150 ms late
      const refusedAt = Date.now();
      const res = await fetch(`${guarded.base}/api/events/stream`, { headers: { 'Last-Event-ID': third.id } });
      const refusedMs = Date.now() - refusedAt;
      assert.equal(res.status, 401);
      await res.body?.cancel();
      assert.ok(refusedMs < 250, `401 in ${refusedMs} ms, a look at the bus takes 300`);
    } finally {
      guarded.kill();
    }
    console.log(`# resume at a replica 150 ms behind: opened after ${waited} ms; a future id resynced after ${guessMs} ms`);
  } finally {
    await stop();
  }
});

test('one replica\'s Redis link stalls for 4 s (bytes held, sockets open): its publishes 503 within the deadline and its /readyz turns 503 while the other replica serves; afterwards every 202 reaches both, once, in order', async () => {
  const { a, b, proxy, stop } = await replicas();
  try {
    const subs = await subscribeBoth(a, b);
    const accepted = [];
    let n = 0;
    const post = async (relay) => {
      const started = Date.now();
      const answer = await publishId(relay, { n: n++ });
      if (answer.status === 202) accepted.push(answer.id);
      return { ...answer, ms: Date.now() - started };
    };
    for (let i = 0; i < 4; i++) assert.equal((await post(i % 2 ? a : b)).status, 202);

    proxy.pause();
    const stalledAt = Date.now();
    const atB = [];
    for (let i = 0; i < 3; i++) atB.push(await post(b));
    for (const answer of atB) {
      assert.equal(answer.status, 503, JSON.stringify(answer));
      assert.equal(answer.body.type, 'urn:sse-relay:problem:bus-unavailable');
      assert.ok(answer.ms < 1500, `answered in ${answer.ms} ms, the deadline is 500 ms`);
    }
    for (let i = 0; i < 5; i++) assert.equal((await post(a)).status, 202, 'the other replica keeps accepting');
    await eventually(async () => (await readyz(b)) === 503, 6000, '/readyz 503 on the stalled replica');
    assert.equal(await readyz(a), 200);
    await sleep(Math.max(0, 4000 - (Date.now() - stalledAt)));
    proxy.resume();

    await ready(b);
    // The operator sees the spell: the stalled replica counts its reconnect, in both views.
    const metrics = await (await fetch(`${b.base}/metrics`)).text();
    const reconnects = Number(/^sse_relay_bus_reconnects_total (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(reconnects >= 1, `sse_relay_bus_reconnects_total ${reconnects}`);
    assert.equal((await b.stats()).bus.reconnects, reconnects);
    assert.equal((await a.stats()).bus.reconnects, 0, 'the replica with its own link never lost it');
    for (let i = 0; i < 4; i++) {
      let answer;
      do { answer = await post(i % 2 ? a : b); } while (answer.status !== 202);
    }
    await eventually(() => subs.every((s) => accepted.every((id) => s.received.some((e) => e.id === id))), 10_000,
      'every 202 event on both replicas');
    await sleep(300);
    for (const s of subs) {
      const ids = s.received.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no event twice');
      assert.deepEqual(ids.filter((id) => accepted.includes(id)), accepted, 'every 202, in log order');
      assert.deepEqual(s.resyncs, [], 'a stall loses nothing: no resync');
    }
  } finally {
    await stop();
  }
});

test('replies lost to a reset, three times under traffic: the producer retrying with its Idempotency-Key is answered the id stored by the first try, and both replicas deliver each event once, in order', async () => {
  const { a, b, proxy, stop } = await replicas();
  try {
    const subs = await subscribeBoth(a, b);
    const idOf = new Map(); // n -> the id its 202 named
    let retried = 0; // answers that were not 202: the producer could not know whether it was stored
    let storedByEarlierTry = 0; // retries answered with an id older than the retry itself
    let producing = true;
    const produce = async (relay, from) => {
      for (let n = from; producing; n++) {
        for (;;) {
          const sentAt = Date.now();
          const res = await relay.publish({ type: 'fault.tick', data: { n } }, { 'Idempotency-Key': `fault-${n}` })
            .catch(() => null);
          if (res?.status === 202) {
            const { id } = await res.json();
            if (idOf.has(n)) assert.equal(id, idOf.get(n), 'a retry answers the original id');
            if (retried && Number(id.split('-')[0]) < sentAt - 5) storedByEarlierTry++;
            idOf.set(n, id);
            break;
          }
          retried++;
          await res?.text();
          await sleep(20);
        }
        await sleep(5);
      }
    };
    const producers = [produce(a, 0), produce(b, 100_000)];
    for (let round = 0; round < 3; round++) {
      await sleep(200);
      // b's append reaches Redis and is stored; its reply is held, then the link resets.
      proxy.pause('down');
      await sleep(150);
      proxy.cut();
      proxy.resume();
    }
    await sleep(300);
    producing = false;
    await Promise.all(producers);
    const expected = [...idOf.values()].sort(byLogOrder);
    await eventually(() => subs.every((s) => s.received.length >= expected.length), 10_000, 'every event on both');
    await sleep(300);
    for (const s of subs) {
      assert.deepEqual(s.received.map((e) => e.id), expected, 'each stored event once, in log order');
      const ns = s.received.map((e) => e.data.n);
      assert.equal(new Set(ns).size, ns.length, 'no producer event stored twice');
      assert.deepEqual(s.resyncs, []);
    }
    assert.ok(retried >= 3, `every reset left a publish without its answer (${retried})`);
    assert.ok(storedByEarlierTry >= 1, 'a retry found the event its lost answer had stored');
    console.log(`# 3 lost replies under ${expected.length} publishes: ${retried} answers were not 202 and were retried with the same key; ${storedByEarlierTry} had been stored by the earlier try`);
  } finally {
    await stop();
  }
});
