// Builds the browser app (server/web) into dist/web, which `factflow serve` serves at `/`
// (docs/decisions.md, 2026-12-07 — the web view). No plugin: Vite's own transformer compiles
// TSX with React's automatic runtime; no dev server or HMR is part of the product.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {defineConfig} from 'vite'

const here = path.dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  publicDir: false,
  oxc: {jsx: {runtime: 'automatic', importSource: 'react'}},
  build: {
    outDir: path.join(here, '../../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    reportCompressedSize: false,
    sourcemap: false,
  },
})
