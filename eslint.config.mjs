// Type-aware lint for all TypeScript (src, test, bench, scripts, clients). Run with
// `npm run lint`; warnings fail it too (--max-warnings 0).
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'clients/*/dist/', 'coverage/', 'data/', '.chaos-runs/', 'node_modules/'] },
  {
    files: ['{src,test,bench,scripts,clients}/**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Fan-out to peers is where a forgotten promise loses an error: these two come
      // with the preset, named here so nobody drops them by accident.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A switch over a union names every member; a `default` does not count, so adding
      // an operation, fault kind or outcome shows every place that has to handle it.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
      // Forwarding a caught error (typed unknown) into a promise's reject is
      // propagation, not inventing a non-Error reason; literals are still flagged.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Off: `async` without `await` is how a Promise-returning port or handler is
      // implemented here (MemoryAcceptorStore, peer handlers, test doubles). It also
      // turns a throw into a rejection, as callers of a port expect, which dropping
      // `async` to please the rule would silently change.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Specs read HTTP bodies, parsed JSON and YAML as `any` (test/support/http.ts
    // declares it so) and let the assertion be the type check: a wrong shape fails
    // the test. Jest's asymmetric matchers (expect.any, objectContaining) are typed
    // `any` as well. Everything outside specs keeps these rules.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
