// The HTTP contract (service/web/openapi.json, served at /api/openapi.json) checked against
// every real answer the black-box suites get, so the document cannot drift from the binary:
//   - fetch is wrapped: an answer of the relay (Server: sse-relay) must have a documented
//     route, method and status, and a JSON body the test reads must match its schema;
//   - EventSource (the npm eventsource package) is wrapped: every event's data must match
//     the schema of its type (an Envelope for log events, the relay's own payloads as they are).
// Installed once per test process by relay_process.mjs, which every suite imports; a
// violation fails the request or read that met it, and anything met outside one fails the
// file in an after() hook.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { EventSource } from 'eventsource';

const here = path.dirname(fileURLToPath(import.meta.url));
export const openapiFile = path.resolve(here, '../../service/web/openapi.json');
export const openapi = JSON.parse(fs.readFileSync(openapiFile, 'utf8'));

// Not strict: the document around the schemas has OpenAPI keywords of its own.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'api', components: openapi.components, 'x-sse-events': openapi['x-sse-events'] });
const compiled = new Map();
function validatorFor(ref) {
  const id = `api${ref}`;
  if (!compiled.has(id)) compiled.set(id, ajv.getSchema(id) ?? ajv.compile({ $ref: id }));
  return compiled.get(id);
}
const schemaRef = (schema) => schema?.$ref;

const routes = Object.entries(openapi.paths).map(([template, item]) => ({
  template,
  item,
  pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** Violations met where no caller could be told at once (EventSource events). */
export const violations = [];
/** How many answers and events were checked in this process (a file with none is suspicious). */
export const checked = { answers: 0, bodies: 0, events: 0 };

function describe(errors) {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`).join('; ');
}

/** The response spec of a relay answer, or why there is none. */
export function responseSpec(method, pathname, status) {
  const route = routes.find((r) => r.pattern.test(pathname));
  if (!route) {
    // An unknown path: the relay's 404 (or 405) problem is the contract for it.
    return status === 404 || status === 405 ? { spec: { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } }
      : { error: `${method} ${pathname} answered ${status}, but the path is not in the OpenAPI document` };
  }
  let operation = route.item[method.toLowerCase()];
  if (!operation && method === 'HEAD') operation = route.item.get;
  if (!operation) {
    if (status === 405 || status === 404) return { spec: { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } };
    return { error: `${method} ${route.template} answered ${status}, but the method is not documented` };
  }
  const spec = operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`] ?? operation.responses.default;
  if (!spec) return { error: `${method} ${route.template}: status ${status} is not documented` };
  return { spec, where: `${method} ${route.template} ${status}` };
}

/** Validates a parsed JSON body against the answer's documented schema; throws on a mismatch. */
export function checkBody(method, pathname, status, contentType, body) {
  const { spec, error, where } = responseSpec(method, pathname, status);
  if (error) throw new Error(`OpenAPI: ${error}`);
  const media = (contentType ?? '').split(';')[0].trim();
  const content = spec.content?.[media];
  if (!content) throw new Error(`OpenAPI: ${where ?? pathname}: content type ${media} is not documented`);
  const ref = schemaRef(content.schema);
  if (!ref) return;
  const validate = validatorFor(ref);
  checked.bodies += 1;
  if (!validate(body)) throw new Error(`OpenAPI: ${where ?? `${method} ${pathname} ${status}`} does not match ${ref}: ${describe(validate.errors)}`);
}

const sse = openapi['x-sse-events'];
const relayTypes = new Set(sse.relay_types);

/** Validates one SSE event (its type and the text of its data lines); returns the problem or null. */
export function sseProblem(type, data) {
  if (type === 'message' || type === 'open' || type === 'error') return null;
  let value;
  try {
    value = JSON.parse(data);
  } catch {
    return `event ${type}: data is not JSON: ${String(data).slice(0, 80)}`;
  }
  checked.events += 1;
  if (!relayTypes.has(type)) {
    const envelope = validatorFor(schemaRef(sse.envelope));
    if (!envelope(value)) return `event ${type}: the envelope does not match: ${describe(envelope.errors)}`;
    if (value.type !== type) return `event ${type}: the envelope says type ${value.type}`;
    value = value.data;
  }
  const ref = schemaRef(sse.types[type]);
  if (!ref) return null; // a generic event: its data is the producer's
  const validate = validatorFor(ref);
  return validate(value) ? null : `event ${type}: data does not match ${ref}: ${describe(validate.errors)}`;
}

/** For raw SSE readers: throws when the frame does not match the contract. */
export function checkSseEvent(type, data) {
  const problem = sseProblem(type, data);
  if (problem) throw new Error(`OpenAPI: ${problem}`);
}

let installed = false;
export function installContractChecks() {
  if (installed) return;
  installed = true;
  const originalFetch = globalThis.fetch;
  globalThis.fetch = async function checkedFetch(input, init = {}) {
    const res = await originalFetch(input, init);
    if (res.headers.get('server') !== 'sse-relay') return res; // a balancer's or another server's own answer
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method === 'OPTIONS') return res; // CORS preflights: answered by the framework, not the contract
    const pathname = new URL(res.url || (input instanceof Request ? input.url : String(input))).pathname;
    checked.answers += 1;
    const { error } = responseSpec(method, pathname, res.status);
    if (error) throw new Error(`OpenAPI: ${error}`);
    const contentType = res.headers.get('content-type');
    if (method === 'HEAD' || !/json/.test(contentType ?? '')) return res;
    // Checked when the test reads the body, never read for it: a test that leaves an answer
    // unread (to hold the relay's memory) must keep it unread.
    const json = res.json.bind(res);
    const text = res.text.bind(res);
    res.json = async () => {
      const body = await json();
      checkBody(method, pathname, res.status, contentType, body);
      return body;
    };
    res.text = async () => {
      const body = await text();
      let parsed;
      try { parsed = JSON.parse(body); } catch { throw new Error(`OpenAPI: ${method} ${pathname} ${res.status}: the JSON body does not parse`); }
      checkBody(method, pathname, res.status, contentType, parsed);
      return body;
    };
    return res;
  };
  const dispatch = EventSource.prototype.dispatchEvent;
  EventSource.prototype.dispatchEvent = function checkedDispatch(event) {
    if (typeof event.data === 'string') {
      const problem = sseProblem(event.type, event.data);
      if (problem) violations.push(`${this.url}: ${problem}`);
    }
    return dispatch.call(this, event);
  };
  after(() => assert.deepEqual(violations, [], 'every SSE event matches the OpenAPI document'));
}
