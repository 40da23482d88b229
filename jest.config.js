// Nest 12 and a few of its dependencies ship ESM only; swc turns them into
// CommonJS so Jest can load them without the experimental VM modules flag.
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  '@borewit',
  // @nestjs/swagger's Swagger UI server (@fastify/static) and the OpenAPI validator of the tests.
  'content-disposition',
  '@seriousme',
];
const transform = { '^.+\\.(t|j|mj)s$': ['@swc/jest'] };
// Judged at a file's innermost node_modules/, so that a package nested in another's
// node_modules (content-disposition in @fastify/static's) is matched by its own name.
const transformIgnorePatterns = [`node_modules/(?!.*node_modules/)(?!(${esmPackages.join('|')})/)`];
const common = {
  transform,
  transformIgnorePatterns,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

module.exports = {
  // No forceExit: it would hide a leak (a timer, a socket, a child process, a pool) by
  // cutting the run short. Instead, a run that does not end by itself within 30 s of its last
  // test fails, naming what is still open (test/exit-watchdog.ts). The last leak: the chaos
  // proxy reset sockets whose end() was still shutting down, which leaves a handle Node
  // cannot close, and the process spun at exit (test/chaos/harness/proxy-exit.spec.ts).
  // Find a new one with --detectOpenHandles, or, if Jest names nothing, gdb on the process.
  globalTeardown: '<rootDir>/test/exit-watchdog.ts',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/test/chaos/**/*.spec.ts',
        '<rootDir>/clients/*/src/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
