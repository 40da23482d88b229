// Chosen to match the code as it was written before Prettier, so the one-time
// reformat stays small: single quotes, trailing commas, 120 columns (the
// hand-wrapped code rarely went past it). Everything else is Prettier's default.
/** @type {import('prettier').Config} */
export default {
  printWidth: 120,
  singleQuote: true,
  overrides: [
    // The YAML files (compose, Kubernetes) quote with double quotes, as YAML's own docs do.
    { files: '*.{yml,yaml}', options: { singleQuote: false } },
  ],
};
