import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/app-config';
import { parsePeers } from '../../src/config/peers';
import { createTestDatabase, TestDatabase } from '../support/database';
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
  depends_on?: unknown;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const kvServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
const TEST_SECRET = 'compose-test-secret-0123456789';

/** Compose's `${VAR:?message}` and `${VAR:-default}` interpolation, enough for this file. */
function interpolate(value: string, env: Env): string {
  return value.replace(/\$\{(\w+)(?::[?-]([^}]*))?\}/g, (_, name: string) => env[name] ?? '');
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
    });
  });

  describe('deploy/k8s', () => {
    const documents = ['secret.yaml', 'services.yaml', 'statefulset.yaml', 'pdb.yaml'].flatMap(
      (file) => parseAllDocuments(read(`deploy/k8s/${file}`)).map((doc) => doc.toJS() as Record<string, any>), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const ofKind = (kind: string) => documents.filter((doc) => doc.kind === kind);
    const statefulSet = ofKind('StatefulSet')[0]!;
    const podSpec = statefulSet.spec.template.spec;
    const node = podSpec.containers.find((c: { name: string }) => c.name === 'kv-store');

    it('lists every manifest in the kustomization', () => {
      const kustomization = parse(read('deploy/k8s/kustomization.yaml')) as { resources: string[] };
      expect(kustomization.resources.sort()).toEqual(['pdb.yaml', 'secret.yaml', 'services.yaml', 'statefulset.yaml']);
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
      const secretRefs = podSpec.containers.flatMap(
        (c: { env: Array<{ valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }) =>
          c.env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.valueFrom!.secretKeyRef!),
      );
      expect(secretRefs.map((ref: { key: string }) => ref.key)).toContain('CLUSTER_SECRET');
      for (const ref of secretRefs) {
        expect(ref.name).toBe(secret.metadata.name);
        expect(secret.stringData).toHaveProperty(ref.key);
      }
      const postgres = podSpec.containers.find((c: { image: string }) => c.image.startsWith('postgres:'));
      const claim = statefulSet.spec.volumeClaimTemplates[0].metadata.name;
      expect(postgres.volumeMounts.map((mount: { name: string }) => mount.name)).toContain(claim);
      const databaseUrl = node.env.find((e: { name: string }) => e.name === 'DATABASE_URL').value as string;
      expect(databaseUrl).toMatch(/@127\.0\.0\.1:5432\//);
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
