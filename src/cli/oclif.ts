/**
 * The one import of oclif in factflow: commands, the base commands and `bin/` take it from here.
 * `npm run build` replaces this file's output (`dist/src/cli/oclif.js`) with a module that loads an
 * esbuild bundle of these modules and their dependencies, with V8's code cache
 * (`build-oclif-bundle.ts`, `load-oclif-bundle.ts`): a command's start reads one file instead of
 * ~200 CommonJS modules and compiles little of it (issue 21, docs/decisions.md). Everything that
 * runs a command must share this one copy: a command class and the `execute` that runs it come from
 * the same module.
 *
 * The subpaths, not `@oclif/core` itself: its index loads every part of oclif at once, and checks
 * the Node version against oclif's `engines` with semver (47 modules) — factflow's own `engines`
 * (Node >= 20) is the stricter one.
 */
export * as Args from '@oclif/core/args'
export {Command} from '@oclif/core/command'
export {execute} from '@oclif/core/execute'
export * as Flags from '@oclif/core/flags'
