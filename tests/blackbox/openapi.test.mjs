// The OpenAPI document itself: served at /api/openapi.json as it is in the repository, every
// schema in it compiles, every documented route exists on the binary and answers a documented
// status, and the checker the other suites run rejects what does not match.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { checkBody, checkSseEvent, openapi, openapiFile } from './openapi_check.mjs';
import { RelayProcess, freePort } from './relay_process.mjs';

const started = [];
after(() => started.forEach((r) => r.kill()));

test('served at /api/openapi.json, byte for byte the repository\'s, OpenAPI 3.1', async () => {
  const relay = await RelayProcess.start();
  started.push(relay);
  const res = await fetch(`${relay.base}/api/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(await res.text(), fs.readFileSync(openapiFile, 'utf8'));
  assert.equal(openapi.openapi, '3.1.0');
  assert.equal(openapi.info.version, (await import('node:child_process')).execFileSync(RelayProcess.binary, ['--version'], { encoding: 'utf8' }).trim().split(' ')[1]);
});

test('every schema compiles under JSON Schema 2020-12, and every $ref resolves', () => {
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: openapi.components });
  for (const name of Object.keys(openapi.components.schemas)) {
    assert.ok(ajv.getSchema(`doc#/components/schemas/${name}`), name);
  }
  const refs = JSON.stringify(openapi).match(/"\$ref":"[^"]+"/g);
  for (const ref of new Set(refs)) {
    const target = ref.slice(8, -1).replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], openapi);
    assert.ok(target, `${ref} resolves`);
  }
});

test('every documented route answers on the binary with a documented status', async () => {
  const adminPort = await freePort();
  const relay = await RelayProcess.start({ RELAY_ADMIN_PORT: String(adminPort), RELAY_ADMIN_TOKEN: 'ops', RELAY_DEMO: 'true' });
  started.push(relay);
  const admin = `http://127.0.0.1:${adminPort}`;
  const auth = { authorization: 'Bearer ops' };
  const fill = (template) => template.replace('{id}', 'worker-001').replace('{client_id}', 'nobody');
  for (const [template, item] of Object.entries(openapi.paths)) {
    for (const method of Object.keys(item).filter((m) => ['get', 'delete'].includes(m))) {
      const onAdmin = /^\/(metrics|api\/events\/stats|api\/admin)/.test(template);
      const base = onAdmin ? admin : relay.base;
      const query = template === '/api/admin/streams' && method === 'delete' ? '?sub=nobody' : '';
      const controller = new AbortController();
      // The wrapped fetch throws for an undocumented route or status.
      const res = await fetch(`${base}${fill(template)}${query}`, { method: method.toUpperCase(), headers: onAdmin ? auth : {}, signal: controller.signal });
      assert.notEqual(res.status, 405, `${method} ${template} exists`);
      if (template !== '/api/admin/streams/{client_id}') assert.ok(res.status < 400, `${method} ${template}: ${res.status}`);
      if (/json/.test(res.headers.get('content-type') ?? '')) await res.json(); else controller.abort();
    }
  }
});

test('the checker rejects answers and events that do not match', () => {
  assert.throws(() => checkBody('GET', '/api/workers', 200, 'application/json', { last_event_id: '1-0', workers: [{ worker_id: 'w' }] }),
    /does not match #\/components\/schemas\/WorkerList/);
  assert.throws(() => checkBody('GET', '/api/workers', 418, 'application/json', {}), /status 418 is not documented/);
  assert.throws(() => checkBody('POST', '/api/events', 503, 'application/problem+json', { type: 'urn:sse-relay:problem:bus_unavailable', title: 'x', status: 503, detail: 'y' }),
    /Problem/);
  assert.throws(() => checkSseEvent('worker.status.updated', JSON.stringify({ id: '1-0', type: 'worker.status.updated', time: '2026-01-01T00:00:00Z', subject: null, traceparent: null, data: { worker_id: 'w', status: 'sleeping' } })),
    /WorkerStatusUpdated/);
  assert.throws(() => checkSseEvent('system.sse.reauth', '{"reason":"because"}'), /Reauth/);
  checkSseEvent('system.sse.reauth', '{"reason":"revoked"}');
});
