// Nest 12 and a few of its dependencies ship ESM only; swc turns them into
// CommonJS so Jest can load them without the experimental VM modules flag.
const esmPackages = [
  '@nestjs', 'file-type', 'strtok3', 'token-types', 'uint8array-extras', '@tokenizer', '@borewit',
];
const transform = { '^.+\\.(t|j|mj)s$': ['@swc/jest'] };
const transformIgnorePatterns = [`node_modules/(?!(${esmPackages.join('|')})/)`];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };

module.exports = {
  // A guard, not a cover: each project exits on its own (checked with --detectOpenHandles
  // and forceExit off; the last leak found was a pending timer in the chaos harness's
  // cleanup). CI must not hang should a new one appear.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/chaos/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
