/**
 * npm run cluster: three nodes on this machine (ports 3001-3003), each with its
 * own embedded PostgreSQL under ./data/<node>, talking to each other as peers.
 * Ctrl-C stops them all cleanly.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

const NODES = [
  { id: 'n1', port: 3001 },
  { id: 'n2', port: 3002 },
  { id: 'n3', port: 3003 },
];
const secret = process.env.CLUSTER_SECRET ?? randomBytes(24).toString('base64url');
const main = path.resolve(__dirname, '..', 'dist', 'main.js');
const children: ChildProcess[] = [];

for (const node of NODES) {
  const peers = NODES.filter((other) => other !== node)
    .map((other) => `${other.id}=http://127.0.0.1:${other.port}`)
    .join(',');
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      NODE_ID: node.id,
      PORT: String(node.port),
      HOST: '127.0.0.1',
      PEERS: peers,
      CLUSTER_SECRET: secret,
      DATA_DIR: process.env.DATA_ROOT ? path.join(process.env.DATA_ROOT, node.id) : path.join('data', node.id),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `[${node.id}] `);
  child.stdout.on('data', (chunk: Buffer) => process.stdout.write(prefix(chunk)));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
  // A node that dies stays dead (the others keep serving): the cluster is for
  // trying out failures too. The launcher exits once every node has.
  child.on('exit', (code, signal) => {
    console.log(`[${node.id}] exited (${signal ?? code})`);
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(stopping ? 0 : 1);
  });
  children.push(child);
}

console.log(
  `kv-store cluster starting:\n${NODES.map((n) => `  ${n.id}: http://127.0.0.1:${n.port}/kv-store/v1`).join('\n')}\nCtrl-C stops all three.`,
);

let stopping = false;
function stopAll(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
