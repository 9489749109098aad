// Compiles src/engine/xxh64.wat into src/engine/xxh64-wasm.ts (the module's bytes, base64), so
// factflow loads the hash without an assembler at run time. Run after editing the .wat:
//   node test/tools/build-xxh64.mjs
// xxh64.test.ts compiles the .wat again and fails when the committed bytes differ.
import {readFile, writeFile} from 'node:fs/promises'

import wabt from 'wabt'

const source = new URL('../../src/engine/xxh64.wat', import.meta.url)
const target = new URL('../../src/engine/xxh64-wasm.ts', import.meta.url)

export async function compileXxh64() {
  const parser = await wabt()
  const module = parser.parseWat('xxh64.wat', await readFile(source, 'utf8'))
  try {
    module.validate()
    return Buffer.from(module.toBinary({}).buffer).toString('base64')
  } finally {
    module.destroy()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base64 = await compileXxh64()
  await writeFile(target, `// Generated from xxh64.wat by test/tools/build-xxh64.mjs: do not edit.\nexport const XXH64_WASM_BASE64 =\n  '${base64}'\n`)
  console.log(`wrote ${target.pathname} (${Buffer.from(base64, 'base64').length} bytes)`)
}
