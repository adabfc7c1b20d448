// The soak of soak.mjs in a short form (500 subscribers, 12 s), and the checker it relies on
// checked first against sequences with a known defect. SOAK_SUBSCRIBERS / SOAK_SECONDS
// override the size (scripts/run-tests.sh runs it once more against the ASan binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RelayProcess } from './relay_process.mjs';
import { EventTable, soak, soakEnv, Subscriber } from './soak.mjs';

const subscribers = Number(process.env.SOAK_SUBSCRIBERS ?? 500);
const seconds = Number(process.env.SOAK_SECONDS ?? 12);

test('the soak checker finds gaps, duplicates and reordering, and allows conflation and resync', () => {
  const accepted = [
    { id: '1-1', type: 'soak.alpha', key: 'k1' },
    { id: '1-2', type: 'soak.alpha', key: '' },
    { id: '1-3', type: 'soak.alpha', key: 'k1' },
    { id: '1-4', type: 'soak.beta', key: '' },
  ].map((e) => ({ ...e, order: BigInt(e.id.split('-')[1]) + 1_000_000n }));
  const problemsOf = (received, filter = { types: [], keys: [] }) => {
    const table = new EventTable();
    const s = new Subscriber(0, null, 'normal', filter, table);
    s.start = '1-0';
    s.received = received.map((id) => {
      if (id === 'resync') return -1;
      const e = accepted.find((a) => a.id === id);
      return table.intern(e.id, e.type, e.key);
    });
    return s.check(accepted).problems;
  };
  assert.deepEqual(problemsOf(['1-1', '1-2', '1-3', '1-4']), []);
  assert.deepEqual(problemsOf(['1-2', '1-3', '1-4']), []); // 1-1 conflated into 1-3 (k1)
  assert.deepEqual(problemsOf(['resync', '1-3', '1-4']), []); // a gap announced by a resync
  assert.match(problemsOf(['1-1', '1-3', '1-4'])[0], /gap: 1-2 missing/); // keyless, no resync
  assert.match(problemsOf(['1-1', '1-2', '1-2', '1-3', '1-4'])[0], /duplicate 1-2/);
  assert.ok(problemsOf(['1-2', '1-1', '1-3', '1-4']).some((p) => /not expected here/.test(p)));
  assert.match(problemsOf(['1-1', '1-2', '1-3'])[0], /missing at the end: 1-4/);
  assert.deepEqual(problemsOf(['1-4'], { types: ['soak.beta'], keys: [] }), []);
  assert.match(problemsOf(['1-2', '1-4'], { types: ['soak.beta'], keys: [] })[0], /outside the filter/);
});

test(`soak: ${subscribers} subscribers (slow, stalling, reconnecting, filtered) for ${seconds} s: exact sequences, resources back`, async () => {
  const relay = await RelayProcess.start(soakEnv(subscribers));
  try {
    const result = await soak(relay, { subscribers, seconds, rate: 150 });
    console.log(`soak figures: ${JSON.stringify({ ...result, problems: undefined })}`);
    assert.deepEqual(result.problems, [], `${result.subscribersWithProblems} subscribers saw a defect`);
    assert.equal(result.refusedPublishes, 0);
    assert.ok(result.accepted > seconds * 100, `only ${result.accepted} events accepted`);
    // Every reconnecting subscriber really did come back, several times.
    assert.ok(result.byKind.reconnecting.sessions > 2 * result.byKind.reconnecting.subscribers);
    // The stuck ones were evicted (nobody else stalled meanwhile: their sequences are exact)
    // and came back with their Last-Event-ID.
    assert.ok(result.evictions.total >= result.byKind.stuck.subscribers, JSON.stringify(result.evictions));
    assert.ok(result.byKind.stuck.sessions > result.byKind.stuck.subscribers);
    // Descriptors: back to what the relay had before anyone subscribed.
    assert.ok(result.afterFirst.fds <= result.baseline.fds + 2, `fds ${JSON.stringify(result)}`);
    assert.ok(result.afterSecond.fds <= result.baseline.fds + 2);
    // Memory: a second round of the same subscribers reuses what the first freed.
    const grown = result.afterSecond.rssMb - result.afterFirst.rssMb;
    assert.ok(grown < Math.max(4, subscribers * 0.002), `RSS grew ${grown.toFixed(1)} MB in round two`);
    const exit = await relay.terminate();
    assert.equal(exit.code, 0, relay.stderr.slice(-2000));
    assert.doesNotMatch(relay.stderr, /LeakSanitizer|AddressSanitizer|runtime error/);
  } finally {
    relay.kill();
  }
});
