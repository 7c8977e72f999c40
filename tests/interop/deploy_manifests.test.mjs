// deploy/kubernetes/: the base and the production overlay render with `kubectl kustomize`, every
// object validates against the Kubernetes API schemas (kubernetes-models), and the manifests
// agree with each other and with the real binary: selectors match pod labels, every variable a
// container is given is one its role reads, every probe answers 200 on the port the manifest
// gives the role (over HTTPS with the production overlay's mounted certificate), and the gateway
// is given the time to drain.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, waitFor } from './lib/gateway.mjs';
import { deployDir, envNamesIn, flagsIn, kustomize, roleHelp, startRole } from './lib/deploy.mjs';
import { issueCert, makeCa } from './lib/tls.mjs';

const OVERLAYS = { base: 'kubernetes/base', production: 'kubernetes/overlays/production' };
const ROLES = ['gateway', 'api', 'worker'];

// kubernetes-models lays its classes out as <group>/<version>/<Kind> ("v1/<Kind>" for core).
async function validate(obj) {
  const module = await import(`kubernetes-models/${obj.apiVersion}/${obj.kind}`);
  new module[obj.kind](obj).validate();
}

const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v) && Object.keys(selector ?? {}).length > 0;
const ofKind = (objs, kind) => objs.filter((o) => o.kind === kind);
const named = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const containersOf = (objs) => ofKind(objs, 'Deployment').flatMap((d) =>
  d.spec.template.spec.containers.map((c) => ({ deployment: d, container: c, role: c.args?.[0] })));

// The variables a container is given: its env entries and the keys of its envFrom ConfigMaps.
function envOf(objs, container) {
  const vars = {};
  for (const from of container.envFrom ?? []) {
    const cm = named(objs, 'ConfigMap', from.configMapRef?.name);
    assert.ok(cm, `envFrom names ConfigMap ${from.configMapRef?.name}, which is not in the manifests`);
    Object.assign(vars, cm.data);
  }
  for (const e of container.env ?? []) vars[e.name] = e.value ?? e.valueFrom;
  return vars;
}

function checkManifests(name) {
  describe(`kubernetes ${name}`, () => {
    let objs, secretKeys;
    before(() => {
      objs = kustomize(path.join(deployDir, OVERLAYS[name]));
      // The overlay leaves the Secret to the operator; its keys are the base's.
      const secret = named(kustomize(path.join(deployDir, OVERLAYS.base)), 'Secret', 'pulseboard');
      secretKeys = new Set(Object.keys(secret.stringData ?? secret.data));
    });

    it('every object validates against the Kubernetes API schema', async () => {
      const kinds = new Set(objs.map((o) => o.kind));
      for (const k of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress', 'ConfigMap']) {
        assert.ok(kinds.has(k), `a ${k} is rendered`);
      }
      for (const obj of objs) {
        await validate(obj).catch((e) => assert.fail(`${obj.kind}/${obj.metadata?.name}: ${e.message}`));
      }
    });

    it('selectors match the labels of the pods they mean', () => {
      const deployments = ofKind(objs, 'Deployment');
      for (const d of deployments) {
        assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `Deployment ${d.metadata.name}`);
      }
      const selectsPods = (selector) => deployments.filter((d) => matches(selector, d.spec.template.metadata.labels));
      for (const svc of ofKind(objs, 'Service')) {
        const [d, ...more] = selectsPods(svc.spec.selector);
        assert.ok(d && more.length === 0, `Service ${svc.metadata.name} selects exactly one Deployment's pods`);
        const portNames = d.spec.template.spec.containers.flatMap((c) => c.ports.map((p) => p.name));
        for (const p of svc.spec.ports) assert.ok(portNames.includes(p.targetPort), `Service ${svc.metadata.name} targets port ${p.targetPort}`);
      }
      for (const pdb of ofKind(objs, 'PodDisruptionBudget')) {
        assert.equal(selectsPods(pdb.spec.selector.matchLabels).length, 1, `PodDisruptionBudget ${pdb.metadata.name}`);
      }
      for (const hpa of ofKind(objs, 'HorizontalPodAutoscaler')) {
        assert.ok(named(objs, hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name), `HPA ${hpa.metadata.name} target`);
      }
      for (const ing of ofKind(objs, 'Ingress')) {
        for (const p of ing.spec.rules.flatMap((r) => r.http.paths)) {
          const svc = named(objs, 'Service', p.backend.service.name);
          assert.ok(svc?.spec.ports.some((sp) => sp.name === p.backend.service.port.name), `Ingress path ${p.path}`);
        }
      }
    });

    it('each container is given only variables and flags its role reads', () => {
      for (const { deployment, container, role } of containersOf(objs)) {
        assert.ok(ROLES.includes(role), `${deployment.metadata.name} runs a role (args[0] = ${role})`);
        const help = roleHelp(role);
        const known = envNamesIn(help);
        for (const [name, value] of Object.entries(envOf(objs, container))) {
          assert.ok(known.has(name), `${deployment.metadata.name}: pulseboard ${role} does not read ${name}`);
          const ref = value?.secretKeyRef;
          if (ref) assert.ok(ref.name === 'pulseboard' && secretKeys.has(ref.key), `${name} from Secret key ${ref.key}`);
        }
        for (const flag of container.args.filter((a) => a.startsWith('--'))) {
          assert.ok(flagsIn(help).has(flag), `pulseboard ${role} has no ${flag}`);
        }
      }
    });

    it('pods run restricted: non-root, read-only root, no privilege escalation, bounded resources', () => {
      const [, imageUser, imageGroup] = /^USER\s+(\d+):(\d+)/m.exec(readFileSync(path.join(deployDir, 'Containerfile'), 'utf8')) ?? [];
      for (const { deployment, container } of containersOf(objs)) {
        const pod = deployment.spec.template.spec;
        const what = deployment.metadata.name;
        assert.equal(pod.securityContext.runAsNonRoot, true, what);
        assert.equal(String(pod.securityContext.runAsUser), imageUser, `${what} runs as the image's user`);
        assert.equal(String(pod.securityContext.runAsGroup), imageGroup, `${what} runs as the image's group`);
        assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', what);
        assert.equal(container.securityContext.allowPrivilegeEscalation, false, what);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true, what);
        assert.deepEqual(container.securityContext.capabilities.drop, ['ALL'], what);
        for (const r of ['cpu', 'memory']) {
          assert.ok(container.resources.requests[r] && container.resources.limits[r], `${what} ${r} request and limit`);
        }
      }
    });

    it('gateways drain within the grace period; workers run two for leader election', () => {
      const gw = containersOf(objs).find((c) => c.role === 'gateway');
      const args = gw.container.args;
      const drainMs = Number(args[args.indexOf('--drain-timeout') + 1]);
      assert.ok(drainMs > 0, 'the gateway is given --drain-timeout');
      const preStop = gw.container.lifecycle.preStop.exec.command;
      assert.equal(preStop[0], 'sleep');
      const grace = gw.deployment.spec.template.spec.terminationGracePeriodSeconds;
      assert.ok(grace > Number(preStop[1]) + drainMs / 1000, `grace ${grace} s > preStop ${preStop[1]} s + drain ${drainMs / 1000} s`);
      assert.equal(gw.container.readinessProbe.httpGet.path, '/readyz');
      const worker = containersOf(objs).find((c) => c.role === 'worker');
      assert.ok(worker.deployment.spec.replicas >= 2, 'a standby worker');
      const ingress = ofKind(objs, 'Ingress')[0].metadata.annotations;
      assert.equal(ingress['nginx.ingress.kubernetes.io/affinity'], 'cookie');
      assert.ok(Number(ingress['nginx.ingress.kubernetes.io/proxy-read-timeout']) > 45, 'longer than pingInterval + pingTimeout');
    });
  });
}

checkManifests('base');
checkManifests('production');

describe('kubernetes production: TLS from the Ingress to the gateways and the API', () => {
  let objs;
  before(() => (objs = kustomize(path.join(deployDir, OVERLAYS.production))));

  it('mounts the pulseboard-tls Secret where TLS_CERT/TLS_KEY point, and probes over HTTPS', () => {
    for (const { deployment, container, role } of containersOf(objs).filter((c) => c.role !== 'worker')) {
      const what = `${deployment.metadata.name}`;
      const env = envOf(objs, container);
      assert.ok(env.TLS_CERT && env.TLS_KEY, `${what} (${role}) is given TLS_CERT and TLS_KEY`);
      const mount = container.volumeMounts.find((m) => env.TLS_CERT.startsWith(`${m.mountPath}/`));
      assert.ok(mount?.readOnly, `${what}: TLS_CERT ${env.TLS_CERT} is on a read-only mount`);
      assert.ok(env.TLS_KEY.startsWith(`${mount.mountPath}/`), `${what}: TLS_KEY on the same mount`);
      const volume = deployment.spec.template.spec.volumes.find((v) => v.name === mount.name);
      assert.equal(volume?.secret?.secretName, 'pulseboard-tls', `${what}: the mount is the Secret pulseboard-tls`);
      // tls.crt and tls.key are the keys of a kubernetes.io/tls Secret.
      assert.deepEqual([env.TLS_CERT, env.TLS_KEY].map((f) => path.basename(f)), ['tls.crt', 'tls.key']);
      // Readable by the pod's group (fsGroup, the image's group), not by others.
      assert.equal(volume.secret.defaultMode & 0o007, 0, `${what}: the key is not world-readable`);
      assert.ok(volume.secret.defaultMode & 0o040, `${what}: the key is readable by the group`);
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        assert.equal(probe.httpGet.scheme, 'HTTPS', `${what} ${probe.httpGet.path} probed over HTTPS`);
      }
      assert.equal(deployment.spec.template.metadata.annotations['prometheus.io/scheme'], 'https', `${what} scraped over https`);
    }
    const ingress = ofKind(objs, 'Ingress')[0];
    assert.equal(ingress.metadata.annotations['nginx.ingress.kubernetes.io/backend-protocol'], 'HTTPS');
    const hosts = ingress.spec.rules.map((r) => r.host);
    assert.deepEqual(ingress.spec.tls.flatMap((t) => t.hosts), hosts, 'the Ingress serves TLS for its hosts');
  });
});

// Which variable gives each role its listening port (the probe's port must be that value).
const PORT_VARIABLE = { gateway: 'PORT', api: 'API_PORT', worker: 'WORKER_HTTP_PORT' };

// A role as its manifest configures it, with loopback services, a free port and, where the
// manifest mounts a certificate, one made here in its place.
function localEnv(env, { role, portVar, port, tmp, cert }) {
  const plain = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string'));
  const local = { ...plain, [portVar]: String(port), DATABASE_URL: `sqlite:${path.join(tmp, `${role}.db`)}` };
  if (plain.REDIS_URL) Object.assign(local, { REDIS_URL: process.env.PULSEBOARD_REDIS_URL ?? '', REDIS_MODE: 'pubsub' });
  if (plain.WORKER_STATE_DIR) local.WORKER_STATE_DIR = tmp;
  if (plain.TLS_CERT) Object.assign(local, { TLS_CERT: cert.cert, TLS_KEY: cert.key });
  return local;
}

describe('kubernetes probes answer on the real binary', () => {
  let tmp, ca, cert;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pb-manifests-'));
    ca = makeCa();
    cert = issueCert(ca, 'pod', '0d44');
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });
  for (const overlay of Object.keys(OVERLAYS)) {
    it(`${overlay}: each role, configured from its manifest, answers its probes with 200 on its port`, async () => {
      const objs = kustomize(path.join(deployDir, OVERLAYS[overlay]));
      for (const { deployment, container, role } of containersOf(objs)) {
        const env = envOf(objs, container);
        const portVar = PORT_VARIABLE[role];
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
          const port = container.ports.find((p) => p.name === probe.httpGet.port)?.containerPort;
          assert.equal(String(port), env[portVar], `${deployment.metadata.name}: probe port ${probe.httpGet.port} is ${portVar}`);
        }
        const free = await freePort();
        const tls = typeof env.TLS_CERT === 'string';
        const local = localEnv(env, { role, portVar, port: free, tmp, cert });
        const proc = await startRole({ role, env: local, port: free, ca: tls ? ca.ca : undefined });
        try {
          // As the kubelet does: probe until it answers 200 (a gateway is ready once Redis
          // confirmed its subscriptions), over the probe's scheme; a path the role does not
          // serve, or a scheme it does not speak, never does.
          for (const probe of [container.readinessProbe, container.livenessProbe]) {
            assert.equal(probe.httpGet.scheme ?? 'HTTP', tls ? 'HTTPS' : 'HTTP', `${role} probe scheme`);
            const what = `${overlay} ${role} ${probe.httpGet.path} answers 200`;
            await waitFor(async () => (await proc.get(probe.httpGet.path)) === 200, { timeoutMs: 30000, what });
          }
        } finally {
          await proc.stop();
        }
      }
    });
  }
});
