// ESLint: typescript-eslint for app/, e2e/, test/; eslint-plugin-svelte for the renderer; and the
// layer rule: app/common may not import Node, Electron or ws (test/layers.test.ts checks it too).
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // type-only imports say so: they vanish from the emitted JS, and a reader sees which
      // imports are only types (the renderer imports nothing but types from most of app/)
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-globals': ['error', { name: 'eval', message: 'packs never run code' }],
      'no-new-func': 'error',
      'no-eval': 'error',
    },
  },
  {
    files: ['app/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(node:|fs$|path$|os$|child_process$|electron$|ws$|yauzl$|yazl$)', message: 'app/common is plain JS: no Node, Electron or ws' }] },
      ],
    },
  },
);
