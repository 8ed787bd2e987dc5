// Type-aware lint: the rules that matter most here are the promise ones — a dropped promise in
// a worker or a webhook handler is a lost message.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'web/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  // The provider boundary (src/providers/provider.ts): only the registry imports an
  // implementation, and an implementation imports nothing of the domain but the contract.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/providers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/providers/infobip/**', '**/providers/infobip'],
              message: 'Import from src/providers/registry.ts or provider.ts (the contract).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/providers/*/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/messages/**',
                '**/inbound/**',
                '**/credentials/**',
                '**/channels/**',
                '**/profiles/**',
                '**/events/**',
                '**/sandboxes/**',
                '**/http/**',
                '**/db/**',
                '**/registry.js',
              ],
              message:
                'A provider folder imports only the contract (../provider.js) and shared utilities.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
