import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { enginePurity } from './tools/eslint/engine-purity.mjs';
import { layerBoundaries } from './tools/eslint/layer-boundaries.mjs';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'charts/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    plugins: { cairn: { rules: { 'layer-boundaries': layerBoundaries, 'engine-purity': enginePurity } } },
    rules: {
      'cairn/layer-boundaries': 'error',
      'cairn/engine-purity': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
