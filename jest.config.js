// Nest 12 and a few of its dependencies ship ESM only; swc turns them into
// CommonJS so Jest can load them without the experimental VM modules flag.
const esmPackages = [
  '@nestjs', 'file-type', 'strtok3', 'token-types', 'uint8array-extras', '@tokenizer', '@borewit',
];
const transform = { '^.+\\.(t|j|mj)s$': ['@swc/jest'] };
const transformIgnorePatterns = [`node_modules/(?!(${esmPackages.join('|')})/)`];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'mjs', 'json'] };

module.exports = {
  // Something in the e2e run (most likely the chaos harness's proxies or keep-alive
  // sockets) keeps the process alive after the last test; CI must not hang on it.
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
