// The dashboard's timer lag (tests/blackbox/dashboard_load.mjs) for two or more relay
// binaries (each serves its own dashboard), alternated in one sitting: a fresh relay and a
// fresh browser page per run, every binary once per round, the order rotating.
//   node tests/bench/dashboard_lag_ab.mjs --rounds 3 before=/path/a after=/path/b
import path from 'node:path';
import { launchChromium } from '../blackbox/chromium.mjs';
import { measureTimerLag } from '../blackbox/dashboard_load.mjs';
import { RelayProcess } from '../blackbox/relay_process.mjs';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] || 3);
const binaries = args.filter((a) => /^[\w.-]+=/.test(a)).map((a) => { const [name, file] = a.split(/=(.*)/s); return { name, file: path.resolve(file) }; });
const cases = [{ id: '20w_200', workers: 20, rate: 200 }, { id: '500w_1000', workers: 500, rate: 1000 }];
const results = [];
const browser = await launchChromium();
try {
  for (let r = 0; r < rounds; r++) {
    const order = binaries.map((_, i) => binaries[(i + r) % binaries.length]);
    for (const c of cases) {
      for (const b of order) {
        RelayProcess.binary = b.file;
        const relay = await RelayProcess.start({ OTEL_SDK_DISABLED: 'true' });
        try {
          const m = await measureTimerLag(browser, relay.base, { workers: c.workers, rate: c.rate, seconds: 5 });
          results.push({ round: r + 1, case: c.id, binary: b.name, ...m });
          console.log(`round ${r + 1} ${c.id} ${b.name}: timer lag p50 ${m.p50.toFixed(1)} / p99 ${m.p99.toFixed(1)} / max ${m.max.toFixed(1)} ms at ${m.rate.toFixed(0)} ev/s`);
        } finally {
          relay.kill();
        }
      }
    }
  }
} finally {
  await browser.close();
}
console.log('\n| case | binary | p99 ms (median, runs) |\n|---|---|---|');
for (const c of cases) {
  for (const b of binaries) {
    const runs = results.filter((x) => x.case === c.id && x.binary === b.name).map((x) => x.p99);
    const sorted = [...runs].sort((a, z) => a - z);
    console.log(`| ${c.id} | ${b.name} | ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} (${runs.map((v) => v.toFixed(1)).join(', ')}) |`);
  }
}
