#!/usr/bin/env node
// Development launcher: same as run.js but reports the source of a failure in full.
process.env.FACTFLOW_DEBUG ??= '1'
const {execute} = await import('../dist/src/cli/oclif.js')
await execute({development: true, dir: import.meta.url})
