// Subscriber authorization (DESIGN 8) against the real binary: every forged or unfit token is
// refused with 401 and nothing streamed; claims filter live events, replay, conflation and
// the read model; a token that expires mid-stream ends in system.sse.reauth and the client
// resumes with a fresh one, losing nothing; producers with a publish scope; CORS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { SseClient } from '../../service/web/sse-client.js';
import { b64url, claimsFor, keyFiles, now, secret, sign } from './jwt_tokens.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

const producer = { authorization: 'Bearer producer-token' };
const issuer = 'https://idp.test';
const audience = 'sse-relay';
let keys;
let rs; // RS256 relay: issuer, audience, key id k1, no leeway, the largest heads allowed

before(async () => {
  keys = keyFiles();
  rs = await RelayProcess.start({
    RELAY_JWT_PUBLIC_KEY_FILE: keys.rsaFile, RELAY_JWT_ALGORITHMS: 'RS256', RELAY_JWT_ISSUER: issuer,
    RELAY_JWT_AUDIENCE: audience, RELAY_JWT_KEY_ID: 'k1', RELAY_JWT_LEEWAY_S: '0',
    RELAY_MAX_HEADER_BYTES: '65535', RELAY_PUBLISH_TOKEN: 'producer-token',
    RELAY_CORS_ORIGINS: 'http://app.test', RELAY_FLUSH_INTERVAL_MS: '1',
  });
});
after(() => {
  rs?.kill();
  keys?.remove();
});

/** A token the RS256 relay accepts, granting `sse`. */
const good = (sse = {}, seconds = 300, extra = {}) => sign(claimsFor(sse, seconds, { iss: issuer, aud: audience, ...extra }),
  { alg: 'RS256', key: keys.rsa.privateKey, header: { kid: 'k1' } });
const bearer = (token) => ({ authorization: `Bearer ${token}` });

async function refused(headers, detail, base = rs.base) {
  const res = await fetch(`${base}/api/events/stream`, { headers });
  const body = await res.text();
  assert.equal(res.status, 401, body);
  assert.match(res.headers.get('content-type'), /^application\/problem\+json/, 'a problem, not a stream');
  assert.doesNotMatch(body, /^(event|data|id|retry):/m, 'nothing streamed');
  assert.match(res.headers.get('www-authenticate'), /^Bearer realm="sse-relay", error="invalid_token"/);
  assert.match(JSON.parse(body).detail, detail);
  return res;
}

// ---- attacks: each its own case ------------------------------------------------------------

test('no token at all: 401 naming where a token goes, no error code (RFC 6750 3)', async () => {
  for (const path of ['/api/events/stream', '/api/workers', '/api/workers/w-1']) {
    const res = await fetch(`${rs.base}${path}`);
    assert.equal(res.status, 401, path);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="sse-relay"');
    assert.match((await res.json()).detail, /Authorization: Bearer <jwt>, or the cookie sse_relay_token/);
  }
});

test('attack: alg none', async () => {
  await refused(bearer(`${b64url({ alg: 'none', typ: 'JWT', kid: 'k1' })}.${b64url(claimsFor({}, 300, { iss: issuer, aud: audience }))}.`),
    /algorithm none is not allowed \(accepted: RS256\)/);
});

test('attack: HS256 signed with the RS256 public key (algorithm confusion)', async () => {
  await refused(bearer(sign(claimsFor({}, 300, { iss: issuer, aud: audience }), { alg: 'HS256', key: keys.rsaPem, header: { kid: 'k1' } })),
    /algorithm HS256 is not allowed/);
});

test('attack: signed by another key', async () => {
  const { privateKey } = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 });
  await refused(bearer(sign(claimsFor({}, 300, { iss: issuer, aud: audience }), { alg: 'RS256', key: privateKey, header: { kid: 'k1' } })),
    /signature does not verify/);
});

test('attack: a claim changed after signing (wider grant)', async () => {
  const [h, , s] = good({ workers: ['w-1'] }).split('.');
  await refused(bearer(`${h}.${b64url(claimsFor({}, 300, { iss: issuer, aud: audience }))}.${s}`), /signature does not verify/);
});

test('attack: expired', async () => {
  await refused(bearer(good({}, -5)), /the token has expired/);
});

test('attack: nbf in the future', async () => {
  await refused(bearer(good({}, 300, { nbf: now() + 120 })), /not valid yet \(nbf\)/);
});

test('attack: wrong audience', async () => {
  await refused(bearer(good({}, 300, { aud: 'another-service' })), /not meant for this audience/);
});

test('attack: wrong issuer', async () => {
  await refused(bearer(good({}, 300, { iss: 'https://evil.test' })), /issuer \(iss\) is not accepted/);
});

test('attack: unknown kid', async () => {
  await refused(bearer(sign(claimsFor({}, 300, { iss: issuer, aud: audience }), { alg: 'RS256', key: keys.rsa.privateKey, header: { kid: 'k2' } })),
    /key id \(kid\) is not known/);
});

test('attack: malformed base64', async () => {
  await refused(bearer('eyJ$$$.eyJ.c2ln'), /malformed token: the header is not base64url/);
});

test('attack: malformed JSON', async () => {
  await refused(bearer(`${b64url('{"alg":"RS256",')}.${b64url('{}')}.c2ln`), /malformed token: the header is not JSON/);
});

test('attack: a token whose refusal would quote a line break into WWW-Authenticate (header injection)', async () => {
  // A repeated header key is named in the refusal; its name here holds CR LF and a header.
  const header = '{"alg":"RS256","x\\r\\nX-Injected: 1":1,"x\\r\\nX-Injected: 1":2}';
  const res = await refused(bearer(`${b64url(header)}.${b64url('{}')}.c2ln`), /repeats the key/);
  assert.equal(res.headers.get('x-injected'), null);
  const description = res.headers.get('www-authenticate').match(/error_description="([^"]*)"$/)[1];
  assert.match(description, /at \/x\?\?X-Injected: 1$/, 'CR and LF became ?');
  // And a claim about sse that only a signed token could make is not even read unsigned.
  await refused(bearer(`${b64url({ alg: 'RS256', kid: 'k1' })}.${b64url({ sse: { 'a"\r\nb': [] } })}.c2ln`), /signature does not verify/);
});

test('attack: oversized tokens: 60 KB (inside the largest head) is 401 unread; 64 KB cannot arrive (431); the relay stays up', async () => {
  const big = `${'a'.repeat(60 * 1024)}.b.c`;
  await refused(bearer(big), /longer than 8192 bytes/);
  await refused({ cookie: `sse_relay_token=${big}` }, /longer than 8192 bytes/);
  const huge = `${'a'.repeat(64 * 1024)}.b.c`;
  assert.equal((await fetch(`${rs.base}/api/events/stream`, { headers: bearer(huge) })).status, 431);
  assert.equal((await fetch(`${rs.base}/healthz`)).status, 200, 'still serving');
});

test('a far-future exp (year 9999, year 3000, 2^53-1) opens a stream that stays open, no reauth loop', async () => {
  for (const exp of [253402300799, 32503680000, 2 ** 53 - 1]) {
    const token = sign({ ...claimsFor({}, 0, { iss: issuer, aud: audience }), exp },
      { alg: 'RS256', key: keys.rsa.privateKey, header: { kid: 'k1' } });
    const reauths = [];
    const sub = subscribe(token);
    sub.es.addEventListener('system.sse.reauth', (e) => reauths.push(e.data));
    await sub.opened;
    const res = await rs.publish({ type: 'lab.note', data: { exp } }, producer);
    assert.equal(res.status, 202);
    await eventually(() => sub.got.some((e) => e.data?.exp === exp), 5000, `an event on the stream of exp ${exp}`);
    await new Promise((r) => setTimeout(r, 300));
    sub.es.close();
    assert.deepEqual(reauths, [], `exp ${exp} must not expire the stream at once`);
  }
});

test('a good token from the cookie opens the stream; the same token tampered in the cookie does not', async () => {
  const token = good();
  const ac = new AbortController();
  const res = await fetch(`${rs.base}/api/events/stream`, { headers: { cookie: `theme=dark; sse_relay_token=${token}` }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  ac.abort();
  await refused({ cookie: `sse_relay_token=${token}x` }, /signature|malformed/);
});

// ---- claims filter everything a subscriber gets ----------------------------------------------

const regionOf = { 'w-eu-1': 'eu-west-1', 'w-us-1': 'us-east-1', 'w-us-2': 'us-east-1' };
const createdEvent = (id) => ({
  specversion: '1.0', id: `auth-c-${id}`, source: '/auth-test', type: 'worker.created',
  data: { worker_id: id, name: id, region: regionOf[id], instance_type: 'm5.large', status: 'pending', created_at: '2026-11-30T10:00:00.000Z' },
});
let round = 0;
// Per worker and round: telemetry (conflatable) and a labs sync (never conflated), each with
// a later time than the last, so none is a stale sample the fold would keep silent.
const roundEvents = () => {
  round += 1;
  const at = new Date(Date.UTC(2026, 10, 30, 10, 0, round)).toISOString();
  return Object.keys(regionOf).flatMap((id) => [
    { specversion: '1.0', id: `auth-t-${id}-${round}`, source: '/auth-test', type: 'CMLWorkerTelemetryUpdatedDomainEvent',
      data: { worker_id: id, cpu_percent: round % 100, memory_percent: 10, labs_count: 1, collected_at: at } },
    { specversion: '1.0', id: `auth-l-${id}-${round}`, source: '/auth-test', type: 'CMLWorkerLabsUpdatedDomainEvent',
      data: { worker_id: id, labs: [{ lab_id: `lab-${round}`, title: 'OSPF', state: 'STARTED', node_count: round }], synchronized_at: at } },
  ]);
};
const TYPES = ['worker.created', 'worker.labs.updated', 'worker.metrics.updated', 'lab.note'];
const grantA = { workers: ['w-eu-1', 'w-us-1'] };
const grantB = { regions: ['us-east-1'], types: ['worker.created', 'worker.labs.updated'] };
const allowedBy = (grant) => (e) => {
  const worker = e.data.worker_id ?? e.key;
  if (grant.types && !grant.types.includes(e.type)) return false;
  if (grant.workers && !grant.workers.includes(worker)) return false;
  if (grant.regions && !grant.regions.includes(regionOf[e.data.worker_id])) return false; // a generic event has no region
  return true;
};

function subscribe(token, lastEventId) {
  const got = [];
  const es = new EventSource(`${rs.base}/api/events/stream`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...bearer(token), ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } }),
  });
  const opened = new Promise((resolve, reject) => {
    es.addEventListener('connected', resolve, { once: true });
    es.addEventListener('error', reject, { once: true });
  });
  for (const type of TYPES) {
    es.addEventListener(type, (e) => {
      const envelope = JSON.parse(e.data);
      got.push({ id: e.lastEventId, type, data: envelope.data, key: envelope.subject?.replace(/^key\//, '') });
    });
  }
  return { es, got, opened };
}

test('two subscribers with different grants get exactly what each allows, live and on replay; the read model too', async () => {
  const admin = subscribe(good());
  const a = subscribe(good(grantA));
  const b = subscribe(good(grantB));
  await Promise.all([admin.opened, a.opened, b.opened]);
  try {
    assert.equal((await rs.ingest(Object.keys(regionOf).map(createdEvent), producer)).status, 202);
    for (let i = 0; i < 20; i++) {
      assert.equal((await rs.ingest(roundEvents(), producer)).status, 202);
      assert.equal((await rs.publish({ type: 'lab.note', key: 'w-eu-1', data: { i } }, producer)).status, 202);
    }
    const total = 3 + 20 * 7; // creates; per round 3 x (telemetry, labs) and one note
    await eventually(() => admin.got.length === total, 10_000, `all ${total} events at the unrestricted subscriber`);
    // The generic event's key is its worker for the grant (DESIGN 8).
    for (const e of admin.got) if (e.type === 'lab.note') e.key = 'w-eu-1';
    const expectA = admin.got.filter(allowedBy(grantA)).map((e) => e.id);
    const expectB = admin.got.filter(allowedBy(grantB)).map((e) => e.id);
    await eventually(() => a.got.length >= expectA.length && b.got.length >= expectB.length, 5_000, 'both subscribers caught up');
    await new Promise((r) => setTimeout(r, 200)); // anything extra would arrive now
    assert.deepEqual(a.got.map((e) => e.id), expectA, 'A: its two workers, every type, generic events keyed to them');
    assert.deepEqual(b.got.map((e) => e.id), expectB, 'B: us-east-1 only, lifecycle types only, no generic events');
    assert.ok(expectA.length > 0 && expectB.length > 0 && expectA.length < total && expectB.length < total);

    // Replay after a reconnect with Last-Event-ID obeys the grant too. It is behind, so
    // conflatable events (metrics per worker, generic events per key) conflate, but only
    // among what it may see: every labs event there, nothing it may not see, and the newest
    // conflatable event of each allowed key.
    const from = a.got[5].id;
    const replay = subscribe(good(grantA), from);
    await replay.opened;
    const after = admin.got.slice(admin.got.findIndex((e) => e.id === from) + 1).filter(allowedBy(grantA));
    const conflatable = (e) => e.type === 'worker.metrics.updated' || e.type === 'lab.note';
    const kept = after.filter((e) => !conflatable(e)).map((e) => e.id);
    await eventually(() => replay.got.filter((e) => !conflatable(e)).length >= kept.length, 5_000, 'the replay');
    await new Promise((r) => setTimeout(r, 200));
    replay.es.close();
    assert.deepEqual(replay.got.filter((e) => !conflatable(e)).map((e) => e.id), kept);
    const allowedIds = new Set(after.map((e) => e.id));
    for (const e of replay.got) assert.ok(allowedIds.has(e.id), `replayed ${e.type} ${e.id} is allowed and after ${from}`);
    const newestOf = (type, worker) => after.filter((e) => e.type === type && (e.data.worker_id ?? e.key) === worker).at(-1);
    for (const worker of grantA.workers) {
      assert.ok(replay.got.some((e) => e.id === newestOf('worker.metrics.updated', worker).id), `the newest metrics of ${worker}`);
    }
    assert.ok(replay.got.some((e) => e.id === newestOf('lab.note', 'w-eu-1').id), 'the newest note of its key');

    // The read model: rows per grant, an ETag per grant, 403 outside it.
    const rows = async (token) => {
      const res = await fetch(`${rs.base}/api/workers`, { headers: bearer(token) });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(res.headers.get('vary'), /^Authorization, Cookie/);
      return { ids: (await res.json()).workers.map((w) => w.worker_id).sort(), etag: res.headers.get('etag') };
    };
    const [all, ra, rb] = [await rows(good()), await rows(good(grantA)), await rows(good(grantB))];
    assert.deepEqual(all.ids, ['w-eu-1', 'w-us-1', 'w-us-2']);
    assert.deepEqual(ra.ids, ['w-eu-1', 'w-us-1']);
    assert.deepEqual(rb.ids, ['w-us-1', 'w-us-2']);
    assert.equal(new Set([all.etag, ra.etag, rb.etag]).size, 3, 'one ETag per grant');
    const revalidated = await fetch(`${rs.base}/api/workers`, { headers: { ...bearer(good(grantB)), 'if-none-match': ra.etag } });
    assert.equal(revalidated.status, 200, 'A\'s ETag is no validator of B\'s view');
    const paged = await (await fetch(`${rs.base}/api/workers?limit=1`, { headers: bearer(good(grantB)) })).json();
    assert.deepEqual([paged.workers[0].worker_id, paged.next_after], ['w-us-1', 'w-us-1']);
    const one = (token, id) => fetch(`${rs.base}/api/workers/${id}`, { headers: bearer(token) });
    assert.equal((await one(good(grantA), 'w-us-1')).status, 200);
    assert.equal((await one(good(grantA), 'w-us-2')).status, 403, 'a worker outside the list');
    assert.equal((await one(good(grantB), 'w-eu-1')).status, 403, 'a worker outside the regions');
    assert.equal((await one(good(grantA), 'w-nope')).status, 403, 'an id outside the list, existing or not');
    assert.equal((await one(good(), 'w-nope')).status, 404);
  } finally {
    for (const s of [admin, a, b]) s.es.close();
  }
});

test('asking for a worker or a type outside the grant is 403, not a quietly narrower stream', async () => {
  const cases = [
    [grantA, '?worker=w-us-2', /does not allow worker 'w-us-2'/],
    [grantB, '?types=worker.metrics.updated', /does not allow type 'worker.metrics.updated'/],
    [grantB, '?types=worker.*', /does not allow all of 'worker.\*'/],
  ];
  for (const [grant, query, detail] of cases) {
    const res = await fetch(`${rs.base}/api/events/stream${query}`, { headers: bearer(good(grant)) });
    assert.equal(res.status, 403, query);
    assert.match(res.headers.get('www-authenticate'), /error="insufficient_scope"/);
    assert.match((await res.json()).detail, detail);
  }
  const inside = new AbortController();
  const ok = await fetch(`${rs.base}/api/events/stream?worker=w-us-1&types=worker.labs.updated`, { headers: bearer(good(grantB)), signal: inside.signal });
  assert.equal(ok.status, 200, 'a request inside the grant');
  inside.abort();
});

// ---- producers -------------------------------------------------------------------------------

test('producers: the static token, or a JWT with scope sse:publish; a JWT without it is 403', async () => {
  const body = { type: 'lab.note', data: 1 };
  assert.equal((await rs.publish(body, producer)).status, 202);
  assert.equal((await rs.publish(body, bearer(good({}, 300, { scope: 'profile sse:publish' })))).status, 202);
  const noScope = await rs.publish(body, bearer(good()));
  assert.equal(noScope.status, 403);
  assert.match((await noScope.json()).detail, /lacks the sse:publish scope/);
  assert.equal((await rs.publish(body, bearer(good({}, -5, { scope: 'sse:publish' })))).status, 401);
  assert.equal((await rs.publish(body)).status, 401);
});

// ---- expiry ----------------------------------------------------------------------------------

/** Publishes lab.tick events every 20 ms until stop(); the 202 ids in order. */
function ticker(relay) {
  const ids = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const res = await relay.publish({ type: 'lab.tick', data: i }, producer);
      assert.equal(res.status, 202);
      ids.push((await res.json()).id);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { ids, stop: async () => { running = false; await done; } };
}

test('a token that expires mid-stream: system.sse.reauth, the stream closes, a fresh token resumes it with nothing lost or repeated (npm eventsource)', async () => {
  const got = [];
  const reauths = [];
  const ticks = ticker(rs);
  let token = good({}, 2);
  let lastId = null;
  let es;
  const open = () => {
    es = new EventSource(`${rs.base}/api/events/stream`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...bearer(token), ...(lastId ? { 'last-event-id': lastId } : {}) } }),
    });
    es.addEventListener('lab.tick', (e) => { got.push(e.lastEventId); lastId = e.lastEventId; });
    es.addEventListener('system.sse.reauth', (e) => {
      reauths.push(JSON.parse(e.data));
      es.close();
      token = good({}, 2); // what a page would fetch from its identity provider
      open();
    });
  };
  open();
  await new Promise((r) => setTimeout(r, 5500));
  await ticks.stop();
  await eventually(() => got.at(-1) === ticks.ids.at(-1), 5_000, 'the last tick');
  es.close();
  assert.ok(reauths.length >= 2, `reauth at each expiry (${reauths.length})`);
  const metrics = await (await fetch(`${rs.base}/metrics`)).text();
  assert.ok(Number(metrics.match(/^sse_relay_reauths_total (\d+)/m)[1]) >= reauths.length, 'counted in /metrics');
  assert.deepEqual(reauths[0], { reason: 'token_expired' });
  const first = ticks.ids.indexOf(got[0]);
  assert.deepEqual(got, ticks.ids.slice(first), 'every tick once, in order, across the re-authentications');
});

test('sse-client.js with getToken: resumes after each expiry from its last id, nothing lost or repeated', async () => {
  const got = [];
  let tokens = 0;
  const client = new SseClient({
    url: `${rs.base}/api/events/stream`,
    snapshotUrl: null,
    EventSource,
    getToken: async () => { tokens += 1; return good({ types: ['lab.*'] }, 2); },
    eventSourceInit: (token) => ({
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...bearer(token) } }),
    }),
  });
  client.on('lab.tick', (data, event) => got.push(event.id));
  client.connect();
  await eventually(() => client.status === 'connected', 5_000, 'connected');
  const ticks = ticker(rs);
  await new Promise((r) => setTimeout(r, 5000));
  await ticks.stop();
  await eventually(() => got.at(-1) === ticks.ids.at(-1), 8_000, 'the last tick');
  client.close();
  assert.ok(tokens >= 3, `a token at the start and after each expiry (${tokens})`);
  assert.deepEqual(got, ticks.ids, 'every tick once, in order');
});

// ---- CORS ------------------------------------------------------------------------------------

test('CORS: a listed origin gets credentials on preflight, simple requests and the stream; an unlisted one nothing', async () => {
  const preflight = (origin) => fetch(`${rs.base}/api/workers`, {
    method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  const listed = await preflight('http://app.test');
  assert.equal(listed.status, 204);
  assert.equal(listed.headers.get('access-control-allow-origin'), 'http://app.test');
  assert.equal(listed.headers.get('access-control-allow-credentials'), 'true');
  assert.match(listed.headers.get('access-control-allow-methods'), /GET/);
  assert.match(listed.headers.get('access-control-allow-headers'), /Authorization/);
  assert.match(listed.headers.get('vary'), /Origin/);
  const unlisted = await preflight('http://evil.test');
  assert.equal(unlisted.headers.get('access-control-allow-origin'), null);
  assert.equal(unlisted.headers.get('access-control-allow-credentials'), null);

  const simple = await fetch(`${rs.base}/api/workers`, { headers: { origin: 'http://app.test', ...bearer(good()) } });
  assert.equal(simple.headers.get('access-control-allow-origin'), 'http://app.test');
  assert.equal(simple.headers.get('access-control-allow-credentials'), 'true');
  assert.match(simple.headers.get('access-control-expose-headers'), /ETag/);
  assert.equal(simple.headers.get('vary'), 'Authorization, Cookie, Origin');
  const foreign = await fetch(`${rs.base}/api/workers`, { headers: { origin: 'http://evil.test', ...bearer(good()) } });
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);

  const ac = new AbortController();
  const stream = await fetch(`${rs.base}/api/events/stream`, { headers: { origin: 'http://app.test', cookie: `sse_relay_token=${good()}` }, signal: ac.signal });
  assert.equal(stream.status, 200);
  assert.equal(stream.headers.get('access-control-allow-origin'), 'http://app.test');
  assert.equal(stream.headers.get('access-control-allow-credentials'), 'true');
  ac.abort();
  const refusedCors = await fetch(`${rs.base}/api/events/stream`, { headers: { origin: 'http://app.test' } });
  assert.equal(refusedCors.status, 401);
  assert.equal(refusedCors.headers.get('access-control-allow-origin'), 'http://app.test', 'the page may read why');

  const star = await RelayProcess.start({ RELAY_CORS_ORIGINS: '*' });
  try {
    const res = await fetch(`${star.base}/api/workers`, { headers: { origin: 'http://any.test' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), null, 'never credentials with *');
  } finally {
    star.kill();
  }
});

// ---- the query parameter -----------------------------------------------------------------------

test('a token in the query parameter (when enabled) opens the stream and appears in no log line', async () => {
  const relay = await RelayProcess.start({ RELAY_JWT_SECRET: secret, RELAY_JWT_QUERY_PARAM: 'access_token', RELAY_LOG_LEVEL: 'debug' });
  try {
    const token = sign(claimsFor({}, 300));
    const ac = new AbortController();
    const res = await fetch(`${relay.base}/api/events/stream?access_token=${token}&types=lab.*`, { signal: ac.signal });
    assert.equal(res.status, 200);
    ac.abort();
    const bad = await fetch(`${relay.base}/api/events/stream?access_token=${token}x`);
    assert.equal(bad.status, 401);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!relay.stdout.includes(token) && !relay.stderr.includes(token), 'the token is in no log line');
    // Off by default: the same URL on a relay without the setting is a request without a token.
    const closed = await RelayProcess.start({ RELAY_JWT_SECRET: secret });
    try {
      assert.equal((await fetch(`${closed.base}/api/events/stream?access_token=${token}`)).status, 401);
    } finally {
      closed.kill();
    }
  } finally {
    relay.kill();
  }
});
