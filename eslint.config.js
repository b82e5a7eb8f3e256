// Lint: typescript-eslint strict and type-aware, plus the import rule that keeps the layers apart:
// widgets → client-sdk ← server. Formatting is Prettier's job (eslint-config-prettier turns off
// the style rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** `no-restricted-imports` patterns: each `regex` is matched against the import specifier. */
const forbid = (...rules) => ['error', { patterns: rules.map(([regex, message]) => ({ regex, message })) }];

const SERVER_SRC = [
  '(^|/)server/src/|^@headline-ticker/server',
  'Only the server (and cross-package tests in test/) import server internals; shared types live in @headline-ticker/sdk/protocol.',
];
const WIDGETS = ['(^|/)widgets/|^@headline-ticker/widgets', 'Nothing imports the widgets: widgets → client-sdk ← server.'];
const SDK_BY_PATH = ['(^|/)client-sdk/', 'Import the SDK by its package name (@headline-ticker/sdk/…), not by path.'];

export default defineConfig(
  { ignores: ['**/node_modules/', '**/dist/', 'coverage/', 'server/public/', 'bench/results/', 'widgets/releases/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig.json nearest to it (per workspace: DOM or Node).
        projectService: { allowDefaultProject: ['*.js', 'client-sdk/scripts/*.mjs', 'client-sdk/bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers and booleans in messages and URLs are fine; objects are not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // With noUncheckedIndexedAccess, `!` after a checked index is the readable idiom (200+ uses).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `() => void x` and `(a) => set.add(a)` arrow shorthands are used on purpose (100+ uses).
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // Plain JS (launcher, build script): Node globals; TypeScript checks the rest.
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked], rules: { 'no-undef': 'off' } },
  {
    files: ['test/**', '**/*.test.ts'],
    rules: {
      // expect.any(…) and friends are typed `any`; `x?.close()` in afterAll guards a setup that failed half-way.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // plain-text.ts strips control characters on purpose.
  { files: ['server/src/**', 'client-sdk/src/**'], rules: { 'no-control-regex': 'off' } },
  // The import rule. Dependency direction: widgets → client-sdk ← server.
  { files: ['client-sdk/**'], rules: { 'no-restricted-imports': forbid(SERVER_SRC, WIDGETS) } },
  { files: ['widgets/**'], rules: { 'no-restricted-imports': forbid(SERVER_SRC, SDK_BY_PATH) } },
  // The editor console runs in the browser: it talks to the server over HTTP, with the SDK's types.
  {
    files: ['server/editor/**'],
    rules: {
      'no-restricted-imports': forbid(
        [
          '^\\.\\./\\.\\./src/|^\\.\\./src/|(^|/)server/src/',
          'The editor console imports nothing from server/src: its types are in @headline-ticker/sdk/protocol.',
        ],
        WIDGETS,
        SDK_BY_PATH,
      ),
    },
  },
  {
    files: ['server/src/**'],
    rules: {
      'no-restricted-imports': forbid(WIDGETS, SDK_BY_PATH, [
        '(^|/)editor/src/',
        'The server serves the editor bundle; it does not import its code.',
      ]),
    },
  },
  // The one exception to "nobody imports server/src from outside the server": bench/ is a dev tool
  // that measures the product, so it starts it in-process (docs/architecture.md).
  { files: ['bench/**'], rules: { 'no-restricted-imports': forbid(WIDGETS) } },
  { files: ['test/**'], rules: { 'no-restricted-imports': forbid(SDK_BY_PATH) } },

  prettier,
);
