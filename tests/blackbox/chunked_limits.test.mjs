// Chunked framing from a client that reaches the relay directly (the k8s Service, compose
// ports): every part of a chunked body is bounded. An endless chunk extension, chunk-size
// line or trailer is refused with a clear status and the connection closed, and the relay's
// memory does not follow what the client sends (before the bound, one connection that sent
// 670 MB took the RSS from 40 MB to 690 MB).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { RelayProcess } from './relay_process.mjs';

const rssBytes = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

let relay;
before(async () => {
  relay = await RelayProcess.start();
});
after(() => relay.kill());

const head =
  'POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
  'Transfer-Encoding: chunked\r\n\r\n';

// Sends `prefix`, then `filler` over and over (up to `limit` bytes) until the relay answers
// or closes; resolves with what it answered, the bytes sent and the largest RSS seen.
function flood(prefix, filler, limit = 200 * 1024 * 1024) {
  return new Promise((resolve) => {
    const socket = net.connect(relay.port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let peak = rssBytes(relay.child.pid);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearInterval(sampler);
      socket.destroy();
      resolve({ answer, sent, peak });
    };
    const sampler = setInterval(() => { peak = Math.max(peak, rssBytes(relay.child.pid)); }, 20);
    const chunk = Buffer.from(filler.repeat(Math.ceil(65536 / filler.length)));
    const pump = () => {
      while (!done && sent < limit) {
        sent += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', pump);
      }
    };
    socket.on('connect', () => { socket.write(prefix); pump(); });
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    socket.on('error', finish);
    socket.on('close', finish);
    setTimeout(finish, 15_000);
  });
}

const statusOf = (answer) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

for (const [name, prefix, filler, status, words] of [
  ['an endless chunk extension', `${head}2;a=`, 'x', 400, 'chunk-size line'],
  ['an endless chunk-size line of zeros', `${head}`, '0', 400, 'chunk-size line'],
  ['an endless trailer field', `${head}2\r\n{}\r\n0\r\nX-Trailer: `, 't', 431, 'trailer'],
]) {
  test(`${name} is refused with ${status} and the relay's memory stays flat`, async () => {
    const before = rssBytes(relay.child.pid);
    const { answer, sent, peak } = await flood(prefix, filler);
    console.log(`# ${name}: answered ${statusOf(answer) || 'nothing'} after ${sent} bytes sent, RSS +${peak - before} B at peak`);
    assert.equal(statusOf(answer), status, `answer: ${answer.slice(0, 300)}`);
    assert.ok(answer.includes(words), `the problem names the ${words}: ${answer.slice(0, 400)}`);
    assert.ok(sent < 64 * 1024 * 1024, `the relay should stop reading early, it took ${sent} bytes`);
    const grown = peak - before;
    assert.ok(grown < 16 * 1024 * 1024, `RSS grew by ${grown} bytes while ${sent} bytes arrived`);
    const health = await fetch(`${relay.base}/healthz`);
    assert.equal(health.status, 200);
  });
}

test('a chunked body that decodes past RELAY_MAX_BODY_BYTES is 413, however it is cut', async () => {
  const before = rssBytes(relay.child.pid);
  // 1 KiB chunks: the declared sizes are each small, the sum is not.
  const piece = `400\r\n${'y'.repeat(1024)}\r\n`;
  const { answer, peak } = await flood(`${head}`, piece, 64 * 1024 * 1024);
  assert.equal(statusOf(answer), 413, answer.slice(0, 300));
  assert.ok(answer.includes('RELAY_MAX_BODY_BYTES'));
  assert.ok(peak - before < 16 * 1024 * 1024, `RSS grew by ${peak - before} bytes`);
});

test('a well-formed chunked publish with extensions and a trailer is still accepted', async () => {
  const body = JSON.stringify({ type: 'demo.chunked', data: { ok: true } });
  const request =
    `${head}${body.length.toString(16)};name="value"\r\n${body}\r\n0\r\nX-Checksum: abc\r\n\r\n`;
  const answer = await new Promise((resolve) => {
    const socket = net.connect(relay.port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.on('data', (d) => { text += d; if (text.includes('\r\n\r\n{')) { socket.destroy(); resolve(text); } });
    socket.on('close', () => resolve(text));
  });
  assert.equal(statusOf(answer), 202, answer);
});
