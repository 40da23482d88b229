// Type-aware lint for all TypeScript (src, test, bench, scripts). Run with
// `npm run lint`; warnings fail it too (--max-warnings 0).
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'data/', '.chaos-runs/', 'node_modules/'] },
  {
    files: ['{src,test,bench,scripts}/**/*.ts'],
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
      // A switch over a union must name every member (or have a default), so adding
      // an operation or an outcome shows every place that has to handle it.
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
);
