// Key rotation without a restart (RELAY_JWT_JWKS_FILE): the key set is mounted the way
// Kubernetes mounts a Secret (keys.json -> ..data/keys.json, ..data swapped by rename) and
// rotated as an identity provider does it: add the new key, move tokens to it, remove the
// old one. New tokens follow the file within a second or two; a token of a removed key is
// refused; a stream opened before the removal keeps running until its own exp; a broken
// file (or SIGHUP with one) is logged and the keys in use are kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventSource } from 'eventsource';
import { claimsFor, sign } from './jwt_tokens.mjs';
import { RelayProcess, eventually } from './relay_process.mjs';

const producer = { authorization: 'Bearer producer-token' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-jwks-'));
const keyFile = path.join(dir, 'keys.json');
const k1 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const k2 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
let version = 0;

/** Publishes a new key set as a Secret volume update does: a new dir, ..data renamed over. */
function publishKeys(keys) {
  const dated = path.join(dir, `..v${++version}`);
  fs.mkdirSync(dated);
  fs.writeFileSync(path.join(dated, 'keys.json'), typeof keys === 'string' ? keys : JSON.stringify({ keys }));
  fs.symlinkSync(path.basename(dated), path.join(dir, '..data_tmp'));
  fs.renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
}

const token1 = () => sign(claimsFor({}, 300), { alg: 'RS256', key: k1.privateKey, header: { kid: 'k1' } });
const token2 = () => sign(claimsFor({}, 300), { alg: 'ES256', key: k2.privateKey, header: { kid: 'k2' } });
const streamStatus = async (token) => {
  const controller = new AbortController();
  const res = await fetch(`${relay.base}/api/events/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const detail = res.status === 200 ? '' : await res.text();
  controller.abort();
  return { status: res.status, detail };
};

let relay;
before(async () => {
  publishKeys([jwk(k1, 'k1', 'RS256')]);
  fs.symlinkSync('..data/keys.json', keyFile);
  relay = await RelayProcess.start({
    RELAY_JWT_JWKS_FILE: keyFile, RELAY_JWT_ALGORITHMS: 'RS256,ES256', RELAY_JWT_LEEWAY_S: '0',
    RELAY_PUBLISH_TOKEN: 'producer-token',
  });
});
after(() => {
  relay?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a rotation through the mounted file: new kid accepted, removed kid refused, open streams untouched, a bad file changes nothing', async () => {
  assert.equal((await streamStatus(token1())).status, 200);
  assert.equal((await streamStatus(token2())).status, 401, 'k2 is not published yet');

  // A stream opened with k1 before the rotation.
  const got = [];
  const reauths = [];
  const old = new EventSource(`${relay.base}/api/events/stream`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${token1()}` } }),
  });
  old.addEventListener('rotation.tick', (e) => got.push(JSON.parse(e.data).data.n));
  old.addEventListener('system.sse.reauth', (e) => reauths.push(e.data));
  await new Promise((resolve, reject) => {
    old.addEventListener('connected', resolve, { once: true });
    old.addEventListener('error', reject, { once: true });
  });

  publishKeys([jwk(k1, 'k1', 'RS256'), jwk(k2, 'k2', 'ES256')]);
  await eventually(async () => (await streamStatus(token2())).status === 200, 5000, 'k2 accepted after it was added');
  assert.equal((await streamStatus(token1())).status, 200, 'k1 still accepted while both are published');

  publishKeys([jwk(k2, 'k2', 'ES256')]);
  await eventually(async () => (await streamStatus(token1())).status === 401, 5000, 'k1 refused after its removal');
  assert.match((await streamStatus(token1())).detail, /not in the key set/);
  assert.equal((await streamStatus(token2())).status, 200);

  // A broken set is not taken: k2 keeps working, and the relay says why in its log.
  publishKeys('{"keys": [{"kty": "RSA", "kid": "k3"}]}');
  await eventually(() => relay.stdout.includes('key set not loaded'), 5000, 'the bad file logged');
  relay.child.kill('SIGHUP');
  await eventually(() => relay.stdout.split('key set not loaded').length > 2, 5000, 'SIGHUP re-read, logged again');
  assert.equal(relay.child.exitCode, null, 'SIGHUP does not stop the relay');
  assert.equal((await streamStatus(token2())).status, 200);
  assert.match(relay.stdout, /"trigger":"SIGHUP"/);

  // The stream opened with k1 before its removal still gets events, with no reauth.
  for (let n = 1; n <= 3; n++) {
    assert.equal((await relay.publish({ type: 'rotation.tick', data: { n } }, producer)).status, 202);
  }
  await eventually(() => got.length === 3, 5000, 'events on the stream opened with k1');
  old.close();
  assert.deepEqual(got, [1, 2, 3]);
  assert.deepEqual(reauths, []);
});
