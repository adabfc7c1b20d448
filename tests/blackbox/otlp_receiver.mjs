// A stand-in OTLP/HTTP collector for the tests: decodes every POST /v1/traces with the
// official generated protobuf code (@opentelemetry/otlp-proto-exporter-base, root.js), so
// the relay's own encoder is judged by the reference decoder, not by itself.
import http from 'node:http';
import { once } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root.js');
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = root.opentelemetry.proto.collector.trace.v1;

/** Attribute list -> plain object (int64 values as numbers; they are small here). */
export function attributes(list) {
  const out = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    if (v.stringValue != null) out[kv.key] = v.stringValue;
    else if (v.intValue != null) out[kv.key] = Number(v.intValue);
    else if (v.doubleValue != null) out[kv.key] = v.doubleValue;
    else if (v.boolValue != null) out[kv.key] = v.boolValue;
  }
  return out;
}

const hex = (bytes) => (bytes && bytes.length ? Buffer.from(bytes).toString('hex') : '');

/**
 * mode: 'ok' answers 200; '503' answers 503 to everything; 'hang' accepts and never answers;
 * 'partial' answers 200 with a partial_success rejecting one span of each request.
 * `spans` are flattened: {traceId, spanId, parentSpanId, name, kind, start, end (BigInt ns),
 * attributes, status, traceState, resource}.
 */
export class OtlpReceiver {
  static async start(mode = 'ok') {
    const r = new OtlpReceiver(mode);
    r.server.listen(0, '127.0.0.1');
    await once(r.server, 'listening');
    r.port = r.server.address().port;
    r.endpoint = `http://127.0.0.1:${r.port}`;
    return r;
  }

  constructor(mode) {
    this.mode = mode;
    this.requests = [];
    this.spans = [];
    this.hanging = [];
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.requests.push({ path: req.url, contentType: req.headers['content-type'], headers: req.headers, bytes: body.length });
        if (this.mode === 'hang') {
          this.hanging.push(res);
          return;
        }
        if (this.mode === '503') {
          res.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded');
          return;
        }
        const message = ExportTraceServiceRequest.decode(body);
        const plain = ExportTraceServiceRequest.toObject(message, { longs: String, defaults: false });
        for (const rs of plain.resourceSpans ?? []) {
          const resource = attributes(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              this.spans.push({
                traceId: hex(s.traceId),
                spanId: hex(s.spanId),
                parentSpanId: hex(s.parentSpanId),
                traceState: s.traceState ?? '',
                name: s.name,
                kind: s.kind,
                start: BigInt(s.startTimeUnixNano),
                end: BigInt(s.endTimeUnixNano),
                attributes: attributes(s.attributes),
                status: s.status ?? {},
                resource,
                scope: ss.scope ?? {},
              });
            }
          }
        }
        const answer = this.mode === 'partial'
          ? ExportTraceServiceResponse.encode({ partialSuccess: { rejectedSpans: 1, errorMessage: 'one bad span' } }).finish()
          : Buffer.alloc(0);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(answer));
      });
    });
  }

  byName(name) {
    return this.spans.filter((s) => s.name === name);
  }

  async close() {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}
