// deploy/k8s against the binary it deploys: every manifest parses, and the ports, probe
// paths, settings and drain timing it names are the ones the relay actually has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { RelayProcess, relayHelp, settingDefault } from './relay_process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../../deploy/k8s');

function load() {
  const byKind = { all: [] };
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      assert.deepEqual(doc.errors, [], `${file} parses`);
      const object = doc.toJS();
      assert.ok(object.apiVersion && object.kind && object.metadata?.name, `${file}: apiVersion, kind, name`);
      byKind.all.push(object);
      // The relay's own settings are the ConfigMap named like the app; others (the Grafana
      // dashboard) are looked up by name.
      if (!byKind[object.kind] || object.metadata.name === 'sse-relay') byKind[object.kind] = object;
    }
  }
  return byKind;
}

test('every manifest parses, and each kind the deployment needs is there', () => {
  const m = load();
  for (const kind of ['ConfigMap', 'Deployment', 'Service', 'Ingress', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) {
    assert.ok(m[kind], `${kind} present`);
  }
});

test('ports, probes and selectors agree with each other and with the binary', async () => {
  const m = load();
  const pod = m.Deployment.spec.template;
  const [container] = pod.spec.containers;
  const http = container.ports.find((p) => p.name === 'http');
  const env = Object.fromEntries(container.env.filter((e) => 'value' in e).map((e) => [e.name, e.value]));
  assert.equal(String(http.containerPort), env.RELAY_PORT, 'the container port is the one the relay listens on');
  assert.equal(settingDefault('RELAY_PORT'), String(http.containerPort), 'and the binary default (the image sets it too)');
  const labels = pod.metadata.labels;
  const selects = (selector) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  assert.ok(selects(m.Deployment.spec.selector.matchLabels));
  assert.ok(selects(m.Service.spec.selector), 'the Service selects the pods');
  assert.ok(selects(m.PodDisruptionBudget.spec.selector.matchLabels), 'the PDB covers the pods');
  assert.equal(m.Service.spec.ports[0].targetPort, 'http');
  const backend = m.Ingress.spec.rules[0].http.paths[0].backend.service;
  assert.equal(backend.name, m.Service.metadata.name);
  assert.equal(backend.port.name, m.Service.spec.ports[0].name);
  assert.deepEqual(m.HorizontalPodAutoscaler.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: m.Deployment.metadata.name });
  assert.ok(m.HorizontalPodAutoscaler.spec.minReplicas >= 2, 'never a single replica: a drain needs somewhere to go');
  for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
    assert.equal(probe.httpGet.port, 'http');
  }
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');

  // The paths answer on the real binary, with the ConfigMap's settings (memory bus here).
  const settings = { ...m.ConfigMap.data, RELAY_BUS: 'memory' };
  const relay = await RelayProcess.start(settings);
  try {
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      assert.equal((await fetch(`${relay.base}${probe.httpGet.path}`)).status, 200, probe.httpGet.path);
    }
  } finally {
    relay.kill();
  }
});

test('every ConfigMap setting is one the binary has', () => {
  const m = load();
  const known = relayHelp();
  for (const name of Object.keys(m.ConfigMap.data)) {
    assert.ok(known.split(/\s+/).includes(name), `${name} appears in --help`);
  }
});

test('a drain always completes: the grace period covers preStop plus the relay\'s own grace', () => {
  const m = load();
  const pod = m.Deployment.spec.template.spec;
  const [container] = pod.containers;
  const [command, seconds] = container.lifecycle.preStop.exec.command;
  assert.equal(command, 'sleep');
  const graceMs = Number(m.ConfigMap.data.RELAY_SHUTDOWN_GRACE_MS ?? settingDefault('RELAY_SHUTDOWN_GRACE_MS'));
  assert.ok(pod.terminationGracePeriodSeconds * 1000 > Number(seconds) * 1000 + graceMs + 2000,
    `${pod.terminationGracePeriodSeconds} s > ${seconds} s preStop + ${graceMs} ms grace + margin`);
  // The heartbeat keeps a quiet stream alive through the ingress's read timeout.
  const readTimeoutS = Number(m.Ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']);
  const heartbeatMs = Number(m.ConfigMap.data.RELAY_HEARTBEAT_MS ?? settingDefault('RELAY_HEARTBEAT_MS'));
  assert.ok(readTimeoutS * 1000 > 2 * heartbeatMs);
  assert.equal(m.Ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off');
});

test('non-root, read-only root filesystem, no privilege escalation; the user is the image\'s', () => {
  const m = load();
  const pod = m.Deployment.spec.template.spec;
  const [container] = pod.containers;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  assert.ok(container.resources.requests && container.resources.limits);
  const dockerfile = fs.readFileSync(path.resolve(here, '../../docker/Dockerfile'), 'utf8');
  const uid = dockerfile.match(/--uid (\d+)/)[1];
  assert.equal(String(pod.securityContext.runAsUser), uid, 'the uid the image creates');
});

test('Prometheus scrapes the admin listener; the Grafana dashboard ConfigMap is the tested dashboard', () => {
  const m = load();
  const pod = m.Deployment.spec.template;
  const [container] = pod.spec.containers;
  const env = Object.fromEntries(container.env.filter((e) => 'value' in e).map((e) => [e.name, e.value]));
  const admin = container.ports.find((p) => p.name === 'admin');
  assert.equal(String(admin.containerPort), env.RELAY_ADMIN_PORT, 'the admin port is the one the relay listens on');
  assert.equal(env.RELAY_ADMIN_HOST, '0.0.0.0', 'reachable from the scraper');
  assert.equal(pod.metadata.annotations['prometheus.io/port'], env.RELAY_ADMIN_PORT);
  assert.equal(pod.metadata.annotations['prometheus.io/path'], '/metrics');
  assert.ok(!m.Service.spec.ports.some((p) => p.targetPort === 'admin' || String(p.targetPort) === env.RELAY_ADMIN_PORT), 'no Service exposes it');
  const dashboards = m.all.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
  assert.equal(dashboards.length, 1, 'one ConfigMap for the sidecar');
  const shipped = JSON.parse(fs.readFileSync(path.resolve(here, '../../deploy/grafana/sse-relay.json'), 'utf8'));
  assert.deepEqual(JSON.parse(dashboards[0].data['sse-relay.json']), shipped,
    'deploy/k8s/grafana-dashboard.yaml is deploy/grafana/sse-relay.json (run scripts/k8s-dashboard-configmap.sh)');
});
