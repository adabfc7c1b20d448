// Prints what one idle subscriber costs the relay: RSS with N idle streams minus RSS with
// none, divided by N. Usage: node tests/bench/idle_rss.mjs [N=1000]
// Loopback only; starts its own relay and stops it.
import fs from 'node:fs';
import net from 'node:net';
import { RelayProcess, eventually } from '../blackbox/relay_process.mjs';

const count = Number(process.argv[2] ?? 1000);
const rssKiB = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const relay = await RelayProcess.start({ RELAY_MAX_CLIENTS: String(count + 10) });
try {
  // Warm the allocator and the code paths with a few streams first, then measure.
  const open = (n) =>
    Array.from({ length: n }, () => {
      const s = net.connect(relay.port, '127.0.0.1', () =>
        s.write('GET /api/events/stream HTTP/1.1\r\nHost: x\r\n\r\n'));
      s.on('data', () => {});
      return s;
    });
  const warm = open(10);
  await eventually(async () => (await relay.stats()).clients === 10, 10_000, 'warm-up');
  warm.forEach((s) => s.destroy());
  await eventually(async () => (await relay.stats()).clients === 0, 10_000, 'warm-up closed');
  await new Promise((r) => setTimeout(r, 200));
  const before = rssKiB(relay.child.pid);
  const sockets = open(count);
  await eventually(async () => (await relay.stats()).clients === count, 30_000, 'all subscribed');
  await new Promise((r) => setTimeout(r, 500));
  const after = rssKiB(relay.child.pid);
  console.log(JSON.stringify({
    subscribers: count,
    rss_before_kib: before,
    rss_after_kib: after,
    bytes_per_idle_subscriber: Math.round(((after - before) * 1024) / count),
  }));
  sockets.forEach((s) => s.destroy());
} finally {
  relay.kill();
}
