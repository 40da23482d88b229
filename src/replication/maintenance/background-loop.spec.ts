import { Logger } from '@nestjs/common';
import { BackgroundLoop } from './background-loop';

describe('BackgroundLoop', () => {
  it('runs pass after pass with the pause each asks for, warns once per streak of failures, and stops at once', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
    const outcomes: Array<number | Error> = [0, 0, new Error('db away'), new Error('db away'), 0, 60_000];
    let passes = 0;
    const loop = new BackgroundLoop(
      'testing',
      logger,
      () => {
        const outcome = outcomes[passes++]!;
        return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
      },
      1,
    );
    loop.start();
    while (passes < outcomes.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await loop.stop(); // cuts the last pass's 60 s pause short
    expect(Date.now() - started).toBeLessThan(1000);
    expect(passes).toBe(outcomes.length);
    expect(warnings).toEqual(['testing failed, will retry: db away']);
  });
});
