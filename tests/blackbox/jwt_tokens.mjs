// Signs test JWTs with node:crypto (HS256, RS256, ES256), and makes the forged ones the
// attack cases need; no JWT library, so what is sent is exactly what the test wrote.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const b64url = (data) => Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64url');

export const secret = 'test-secret-of-at-least-32-bytes!!';
export const now = () => Math.floor(Date.now() / 1000);

/** A compact JWS of `claims` with `header` (alg defaults to HS256) signed by `key`. */
export function sign(claims, { alg = 'HS256', key = secret, header = {} } = {}) {
  const input = `${b64url({ alg, typ: 'JWT', ...header })}.${b64url(claims)}`;
  let signature;
  if (alg.startsWith('HS')) {
    signature = crypto.createHmac(`sha${alg.slice(2)}`, key).update(input).digest();
  } else if (alg.startsWith('RS')) {
    signature = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), key);
  } else if (alg.startsWith('ES')) {
    signature = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  } else {
    signature = Buffer.alloc(0); // alg: none
  }
  return `${input}.${signature.toString('base64url')}`;
}

/** Claims valid for `seconds` from now, with the "sse" grant given. */
export const claimsFor = (sse = {}, seconds = 300, extra = {}) => ({ sub: 'tester', exp: now() + seconds, sse, ...extra });

/** An RSA and an EC key pair, the public halves written as PEM files in a temp dir. */
export function keyFiles() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-jwt-'));
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
  const ecPem = ec.publicKey.export({ type: 'spki', format: 'pem' });
  fs.writeFileSync(path.join(dir, 'rsa.pem'), rsaPem);
  fs.writeFileSync(path.join(dir, 'ec.pem'), ecPem);
  return { dir, rsa, ec, rsaPem, rsaFile: path.join(dir, 'rsa.pem'), ecFile: path.join(dir, 'ec.pem'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
