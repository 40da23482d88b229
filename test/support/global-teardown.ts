interface Stoppable {
  stop(): Promise<void>;
}

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { embeddedTestServer?: Stoppable }).embeddedTestServer?.stop();
}
