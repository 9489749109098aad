/**
 * The one import of `@oclif/core` in factflow: commands, the base commands and `bin/` take oclif
 * from here. `npm run build` replaces this file's output (`dist/src/cli/oclif.js`) with an esbuild
 * bundle of `@oclif/core` and its dependencies, so a command's start reads one file instead of
 * ~200 CommonJS modules (issue 21; docs/decisions.md). Everything that runs a command must share
 * this one copy: a command class and the `execute` that runs it come from the same module.
 */
export {Args, Command, Flags, execute} from '@oclif/core'
