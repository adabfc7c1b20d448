// deploy/docker-compose.yml, checked as far as a machine without images can: the file parses,
// every file and volume it names exists, its nginx runs the tested deploy/nginx.conf with every
// placeholder filled (and `nginx -t` accepts the result with the certificate its own `certs`
// service makes), ports and host names agree across services, and the relays' environment is
// one the binary accepts: two relays started with it on a real Redis share the demo's workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { RedisProcess } from './redis_process.mjs';
import { RelayProcess, eventually, freePort, relayHelp, settingDefault } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const deploy = path.resolve(here, '../../deploy');
const composeFile = path.join(deploy, 'docker-compose.yml');
// Compose files use YAML merge keys (<<: *anchor) for the shared relay settings.
const compose = () => parse(fs.readFileSync(composeFile, 'utf8'), { merge: true });

const relays = (c) => Object.entries(c.services).filter(([, s]) => s.build?.dockerfile === 'docker/Dockerfile');
const portOf = (env) => env.RELAY_PORT ?? settingDefault('RELAY_PORT');
/** "host:port" of a URL or an address. */
const hostPort = (s) => {
  const u = new URL(s.includes('://') ? s : `tcp://${s}`);
  return [u.hostname, u.port];
};

/** What the nginx image's envsubst does to a template: $NAME and ${NAME} of defined variables. */
function envsubst(text, env) {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, braced, bare) => env[braced ?? bare] ?? m);
}
const placeholders = (text) => new Set([...text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n')
  .matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));

test('the compose file parses; its builds, mounted files and volumes exist', () => {
  const c = compose();
  assert.ok(relays(c).length >= 2, 'two relay replicas or more');
  for (const name of ['redis', 'nginx', 'jaeger', 'certs']) assert.ok(c.services[name], `${name} service`);
  for (const [name, service] of Object.entries(c.services)) {
    if (service.build) {
      const context = path.resolve(deploy, service.build.context);
      assert.ok(fs.existsSync(path.join(context, service.build.dockerfile)), `${name}: Dockerfile`);
    }
    for (const volume of service.volumes ?? []) {
      const [source] = volume.split(':');
      if (source.startsWith('.')) assert.ok(fs.existsSync(path.resolve(deploy, source)), `${name}: ${source} exists`);
      else assert.ok(source in (c.volumes ?? {}), `${name}: volume ${source} is declared`);
    }
    const dependsOn = service.depends_on ?? [];
    for (const dependency of Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn)) {
      assert.ok(c.services[dependency], `${name} depends on an existing service ${dependency}`);
    }
  }
});

test('Redis keeps an append-only file on a volume, and every relay tails it', () => {
  const c = compose();
  const redis = c.services.redis;
  const args = redis.command.join(' ');
  assert.match(args, /--appendonly yes/);
  assert.ok(redis.volumes.some((v) => v.endsWith(':/data')), 'the AOF directory is a volume');
  for (const [name, service] of relays(c)) {
    const [host, port] = hostPort(service.environment.RELAY_BUS);
    assert.equal(host, 'redis', `${name} tails the redis service`);
    assert.equal(port || '6379', '6379');
    assert.equal(service.read_only, true, `${name}: read-only root filesystem`);
  }
});

test('the relays\' settings are the binary\'s, one runs the demo, and a stop is graceful', () => {
  const c = compose();
  const known = relayHelp().split(/\s+/);
  const ids = new Set();
  let demos = 0;
  for (const [name, service] of relays(c)) {
    for (const variable of Object.keys(service.environment)) assert.ok(known.includes(variable), `${name}: ${variable} is a setting`);
    ids.add(service.environment.RELAY_INSTANCE_ID);
    if (service.environment.RELAY_DEMO === 'true') demos += 1;
    const graceMs = Number(service.environment.RELAY_SHUTDOWN_GRACE_MS ?? settingDefault('RELAY_SHUTDOWN_GRACE_MS'));
    assert.ok(parseInt(service.stop_grace_period, 10) * 1000 > graceMs + 2000, `${name}: stop_grace_period covers the relay's grace`);
    const [otlpHost, otlpPort] = hostPort(service.environment.OTEL_EXPORTER_OTLP_ENDPOINT);
    assert.equal(otlpHost, 'jaeger');
    assert.equal(otlpPort, '4318', 'Jaeger\'s OTLP/HTTP port');
  }
  assert.equal(ids.size, relays(c).length, 'each replica has its own instance id');
  assert.equal(demos, 1, 'exactly one replica produces the demo fleet (through the bus, so both show it)');
  assert.equal(c.services.jaeger.environment.COLLECTOR_OTLP_ENABLED, 'true');
});

test('nginx runs the tested deploy/nginx.conf, fronts every relay, and publishes its listeners', () => {
  const c = compose();
  const nginx = c.services.nginx;
  const env = nginx.environment;
  // The image renders /etc/nginx/templates/X.template into $NGINX_ENVSUBST_OUTPUT_DIR/X, and
  // nginx loads /etc/nginx/nginx.conf: the template must land exactly there.
  const template = nginx.volumes.find((v) => v.includes('/etc/nginx/templates/'));
  const [source, target] = template.split(':');
  assert.equal(path.resolve(deploy, source), path.join(deploy, 'nginx.conf'), 'the file the balancer tests run');
  assert.equal(path.posix.join(env.NGINX_ENVSUBST_OUTPUT_DIR, path.posix.basename(target, '.template')), '/etc/nginx/nginx.conf');

  const conf = fs.readFileSync(path.join(deploy, 'nginx.conf'), 'utf8');
  for (const name of placeholders(conf)) assert.ok(name in env, `nginx's environment sets ${name}`);
  const upstreams = [...env.RELAY_SERVERS.matchAll(/server\s+([^\s;]+)/g)].map((m) => hostPort(m[1]));
  assert.deepEqual(upstreams.map(([h]) => h).sort(), relays(c).map(([n]) => n).sort(), 'every relay and only relays');
  for (const [host, port] of upstreams) assert.equal(port, portOf(c.services[host].environment), `${host}'s port`);

  const published = nginx.ports.map((p) => p.split(':').at(-1));
  assert.ok(published.includes(hostPort(env.NGINX_LISTEN)[1]), 'the plain listener is published');
  assert.ok(published.includes(hostPort(env.NGINX_TLS_LISTEN)[1]), 'the TLS + HTTP/2 listener is published');
});

test('Prometheus scrapes every relay on its admin listener with the alert rules, and Grafana provisions the dashboard', () => {
  const c = compose();
  const prometheus = c.services.prometheus;
  const configDir = prometheus.volumes.find((v) => v.endsWith(':/etc/prometheus:ro')).split(':')[0];
  const config = parse(fs.readFileSync(path.resolve(deploy, configDir, 'prometheus.yml'), 'utf8'));
  const targets = config.scrape_configs.flatMap((s) => s.static_configs.flatMap((x) => x.targets));
  for (const [name, service] of relays(c)) {
    const env = service.environment;
    assert.ok(env.RELAY_ADMIN_PORT, `${name} has an admin listener`);
    assert.equal(env.RELAY_ADMIN_HOST, '0.0.0.0', `${name}'s admin listener is reachable on the compose network`);
    assert.notEqual(env.RELAY_ADMIN_PORT, portOf(env));
    assert.ok(targets.includes(`${name}:${env.RELAY_ADMIN_PORT}`), `Prometheus scrapes ${name} on its admin port`);
    assert.ok(!(service.ports ?? []).some((p) => p.endsWith(`:${env.RELAY_ADMIN_PORT}`)), 'the admin port is never published');
  }
  for (const rules of config.rule_files) assert.ok(fs.existsSync(path.resolve(deploy, configDir, rules)), `${rules} is mounted beside it`);
  const grafana = c.services.grafana;
  const mounted = Object.fromEntries(grafana.volumes.map((v) => v.split(':')).map(([src, dst]) => [dst, path.resolve(deploy, src)]));
  const provisioning = mounted['/etc/grafana/provisioning'];
  const providers = parse(fs.readFileSync(path.join(provisioning, 'dashboards', 'sse-relay.yml'), 'utf8')).providers;
  const dashboardPath = providers[0].options.path;
  const dashboardFile = Object.entries(mounted).find(([dst]) => path.posix.dirname(dst) === dashboardPath)?.[1];
  assert.equal(dashboardFile, path.join(deploy, 'grafana', 'sse-relay.json'), 'the provider\'s folder holds the tested dashboard');
  const datasource = parse(fs.readFileSync(path.join(provisioning, 'datasources', 'prometheus.yml'), 'utf8')).datasources[0];
  assert.equal(new URL(datasource.url).hostname, 'prometheus');
  assert.equal(new URL(datasource.url).port, prometheus.ports[0].split(':').at(-1));
});

test('nginx -t accepts the rendered config with the certificate the certs service makes', () => {
  const c = compose();
  const env = c.services.nginx.environment;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sse-relay-compose-'));
  try {
    // The certs service's openssl command, writing into a directory of ours instead of /certs.
    const certDir = path.posix.dirname(env.NGINX_TLS_CERT);
    assert.ok(c.services.certs.volumes.some((v) => v.endsWith(`:${certDir}`)), 'certs writes where nginx reads');
    const openssl = c.services.certs.command.join(' ').match(/openssl req[^;]*/)[0];
    execFileSync('sh', ['-c', openssl.replaceAll(certDir, dir)], { stdio: 'ignore' });
    const local = { ...env, NGINX_PREFIX: dir, NGINX_TLS_CERT: env.NGINX_TLS_CERT.replace(certDir, dir),
      NGINX_TLS_KEY: env.NGINX_TLS_KEY.replace(certDir, dir) };
    let rendered = envsubst(fs.readFileSync(path.join(deploy, 'nginx.conf'), 'utf8'), local);
    // Compose's DNS names do not resolve here; nginx -t resolves upstream hosts.
    for (const [name] of relays(c)) rendered = rendered.replaceAll(`server ${name}:`, 'server 127.0.0.1:');
    fs.writeFileSync(path.join(dir, 'nginx.conf'), rendered);
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the relays start with the compose environment on a real Redis and share the demo fleet', async () => {
  const c = compose();
  const redis = await RedisProcess.start({ fsync: 'everysec' });
  const started = [];
  try {
    const otlp = `http://127.0.0.1:${await freePort()}`; // nobody listens: exports fail quietly
    const adminPorts = [];
    for (const [, service] of relays(c)) {
      // Each container has its own 9091; on one machine each relay needs a port of its own.
      adminPorts.push(await freePort());
      started.push(await RelayProcess.start({ ...service.environment, RELAY_BUS: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        RELAY_ADMIN_PORT: String(adminPorts.at(-1)), RELAY_ADMIN_HOST: '127.0.0.1' }));
    }
    for (const [i, relay] of started.entries()) {
      await eventually(async () => (await fetch(`${relay.base}/readyz`)).status === 200, 15_000, 'ready');
      const scrape = await fetch(`http://127.0.0.1:${adminPorts[i]}/metrics`);
      assert.equal(scrape.status, 200, 'what Prometheus scrapes is on the admin listener');
      assert.match(await scrape.text(), /^sse_relay_bus_connected 1$/m);
    }
    const quiet = started[relays(c).findIndex(([, s]) => s.environment.RELAY_DEMO !== 'true')];
    await eventually(async () => (await (await fetch(`${quiet.base}/api/workers`)).json()).workers?.length > 0, 15_000,
      'the demo replica\'s workers on the other replica');
  } finally {
    for (const relay of started) relay.kill();
    await redis.remove();
  }
});
