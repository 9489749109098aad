#!/usr/bin/env node
// `--version` is answered before oclif loads: importing @oclif/core alone costs ~200 ms here,
// and CI scripts call `factflow --version` often. The format is oclif's own.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`factflow/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // oclif as one bundled file (`npm run build`), the same copy the commands extend.
  const {execute} = await import('../dist/src/cli/oclif.js')
  await execute({dir: import.meta.url})
}
