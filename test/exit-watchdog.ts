import type { GlobalConfig } from 'jest';

/** How long a finished run may take to exit before it counts as hung. */
const GRACE_MS = 30_000;

/**
 * Jest's global teardown (jest.config.js), the safety net instead of forceExit:
 * when every test is done, the process must end by itself. If it is still alive
 * GRACE_MS later, a test leaked something (a timer, a socket, a child process, a
 * pool), and the run fails, naming what is still open, instead of hanging CI or
 * being cut short in silence as forceExit would. The timer is unref'd, so it
 * never keeps the process alive itself. (A handle Node cannot close, like the
 * chaos proxy's, spins inside Node's exit where no timer runs: only a CI time
 * limit catches that.)
 */
export default function armExitWatchdog(globalConfig: GlobalConfig): void {
  if (globalConfig.watch || globalConfig.watchAll) return; // watch mode stays alive on purpose
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().join(', ');
    console.error(
      `\nJest: the tests finished ${GRACE_MS / 1000} s ago but the process is still alive (open: ${open}). ` +
        'A test leaked it; find it with --detectOpenHandles.',
    );
    process.exit(1);
  }, GRACE_MS).unref();
}
