import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The haproxy binary, or a failure that says how to get it. The deployment
 * tests run the real HAProxy on the shipped configuration: a configuration
 * that only looks right (issue 14's, which refused to start while a node name
 * did not resolve) is what they are there to catch. CI installs it (.ci/run).
 */
export function haproxyBinary(): string {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return 'haproxy';
  } catch {
    throw new Error(
      'haproxy is not on PATH: the deployment tests run the real HAProxy on deploy/haproxy/haproxy.cfg; ' +
        'install it (apt-get install haproxy), as .ci/run does',
    );
  }
}

/** `haproxy -c`: whether HAProxy accepts a configuration file, and what it said. */
export function checkHaproxyConfig(file: string): { valid: boolean; output: string } {
  try {
    const output = execFileSync(haproxyBinary(), ['-c', '-f', file], { encoding: 'utf8', stdio: 'pipe' });
    return { valid: true, output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    if (failed.stdout === undefined) throw error;
    return { valid: false, output: `${failed.stdout}${failed.stderr ?? ''}` };
  }
}

/** One HAProxy process in the foreground on a configuration text; stop() ends it. */
export class HaproxyProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly directory: string,
  ) {
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  }

  static start(config: string): HaproxyProcess {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'kv-haproxy-'));
    const file = path.join(directory, 'haproxy.cfg');
    writeFileSync(file, config);
    // -db: stay in the foreground, so this process owns it and sees it exit.
    const child = spawn(haproxyBinary(), ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new HaproxyProcess(child, directory);
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What it printed: its warnings, and on exit, why. */
  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.isRunning()) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
