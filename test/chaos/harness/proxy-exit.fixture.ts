/**
 * Run as its own process by proxy-exit.spec.ts: a connection through the proxy
 * whose end (FIN) the proxy passes on, then resets while that end is still
 * shutting down, as `ChaosCluster.stop()` does when a killed node's FINs and the
 * stop arrive together. Prints "done" and must then exit by itself.
 */
import net from 'node:net';
import { Network } from './proxy';

async function main(): Promise<void> {
  const target = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const network = new Network();
  const proxyPort = Number(process.argv[2]);
  await network.addProxy('a', 'b', proxyPort, (target.address() as net.AddressInfo).port);

  await network.cutOneWay(['a'], ['b'], 'hold');
  const client = net.connect(proxyPort, '127.0.0.1');
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('connect', resolve));
  client.end('bye'); // held by the proxy, its FIN too
  await new Promise((resolve) => client.once('close', resolve));
  await network.heal(); // delivers 'bye' and ends the proxy's connection to the target...
  await network.close(); // ...and resets that connection before the end has gone out
  await new Promise((resolve) => target.close(resolve));
  console.log('done');
}

void main();
