import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const FIXTURE = path.join(__dirname, 'proxy-exit.fixture.ts');
const EXIT_WITHIN_MS = 15_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A leak that shows only at exit: a handle Node can no longer close keeps the
 * process spinning after its last callback, so this runs the proxy in a child
 * process and waits for it to end on its own.
 */
describe('chaos link proxy, at exit', () => {
  it(
    'lets the process exit after resetting a connection whose end is still going out',
    async () => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE, String(await freePort())], {
        cwd: path.resolve(__dirname, '../../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | string>((resolve) =>
        child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
      );
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        exited,
        new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), EXIT_WITHIN_MS))),
      ]);
      clearTimeout(timer);
      if (outcome === 'still running') {
        child.kill('SIGKILL');
        await exited;
      }
      expect({ outcome, output: output.trim() }).toEqual({ outcome: 0, output: 'done' });
    },
    EXIT_WITHIN_MS + 10_000,
  );
});
