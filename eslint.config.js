// Lint rules. The one that matters most for this project: the core (src/ outside src/platform/)
// must run on XS, so it may import only other core modules, never Node or an npm package.
import tseslint from 'typescript-eslint';

const nodeOnly = {
  patterns: [
    { group: ['node:*'], message: 'The core runs on XS: use a port from src/ports.ts, not a Node module.' },
    { regex: '^[^./]', message: 'The core imports only other core modules (relative paths): no npm packages, no Node modules.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/platform/**', 'src/main.ts'],
    rules: {
      'no-restricted-imports': ['error', nodeOnly],
      'no-restricted-globals': ['error', 'Buffer', 'process', 'require', 'setTimeout', 'setInterval', 'console'],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
);
