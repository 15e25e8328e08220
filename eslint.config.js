// Baton's lint rules: typescript-eslint's recommended set, zero warnings allowed in `npm run check`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'web/dist/', '.tmp/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'warn',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Time is an input: take it from the Clock, not Date.now().',
        },
      ],
    },
  },
  {
    files: [
      'bin/**/*.js',
      'bench/**/*.ts',
      'test/**/*.ts',
      '**/*.test.ts',
      'src/engine/clock.ts',
      'src/store/ids.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
