// Ingest throughput of POST /api/domain-events on the relay's one thread (embedded log):
// single events and batches of 100, over keep-alive connections (tests/bench/ingest_load.mjs).
// Usage: node tests/bench/ingest_throughput.mjs [seconds=5] [connections=8]
// Loopback only; starts its own relay and stops it. The Redis rows: tests/bench/bus_bench.mjs.
import { RelayProcess } from '../blackbox/relay_process.mjs';
import { measureIngest } from './ingest_load.mjs';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 8);
const relay = await RelayProcess.start({ RELAY_LOG_LEVEL: 'warn', RELAY_MAX_BODY_BYTES: String(1 << 20),
  RELAY_MAX_PENDING_BYTES: String(4 << 20) });
try {
  const results = await measureIngest(relay.base, [relay.child.pid], { seconds, connections });
  console.log(JSON.stringify({ seconds, connections, results }, null, 1));
} finally {
  relay.kill();
}
