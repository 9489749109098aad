// Lint: typescript-eslint's recommended rules plus the import direction of STYLE.md:
// bin → commands → src, server → src; src never imports commands/ or server/; src/ui only from commands.
import tseslint from 'typescript-eslint'

// oclif comes from src/cli/oclif.ts only: the build bundles it into one file, and a command class
// must come from the same copy as the `execute` that runs it (docs/decisions.md, issue 21).
const oclifOnce = {group: ['@oclif/core', '@oclif/core/*'], message: 'Import oclif from src/cli/oclif.js (one bundled copy; docs/decisions.md).'}

const noUpward = (extra = []) => ({
  'no-restricted-imports': ['error', {
    patterns: [
      oclifOnce,
      {group: ['**/commands/**', '../commands', '../../commands'], message: 'src/ and server/ never import commands/ (STYLE.md).'},
      {group: ['**/server/**', '../server', '../../server'], message: 'src/ never imports server/ (STYLE.md).'},
      ...extra,
    ],
  }],
})

export default tseslint.config(
  {ignores: ['.scratch/**', 'dist/**', 'node_modules/**', 'output/**', 'coverage/**', 'bench/**/*.js', 'bin/**', 'eslint.config.js']},
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/ui/**', 'src/**/*.test.{ts,tsx}'],
    rules: {
      ...noUpward([{group: ['**/ui/**', '../ui/*', './ui/*'], message: 'src/ui is imported only by commands (STYLE.md).'}]),
      'no-console': 'error',
    },
  },
  {files: ['src/ui/**/*.{ts,tsx}'], rules: {...noUpward(), 'no-console': 'error'}},
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {group: ['**/commands/**'], message: 'server/ never imports commands/ (STYLE.md).'},
          {group: ['**/src/ui/**'], message: 'src/ui is imported only by commands (STYLE.md).'},
        ],
      }],
    },
  },
  {files: ['commands/**/*.{ts,tsx}'], rules: {'no-restricted-imports': ['error', {patterns: [oclifOnce]}]}},
  {files: ['src/cli/oclif.ts'], rules: {'no-restricted-imports': 'off'}},
  {files: ['test/**/*.{ts,tsx}', '**/*.test.{ts,tsx}'], rules: {'@typescript-eslint/no-non-null-assertion': 'off'}},
)
