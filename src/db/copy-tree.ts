import {copyFile, mkdir, readdir} from 'node:fs/promises'
import path from 'node:path'

/** How many files `copyTree` copies at once (libuv's pool has four threads; a few more keep it fed). */
const PARALLEL_COPIES = 8

/**
 * Copies the folder `from` into `to` (created; must not exist or be empty): every folder, then every
 * regular file with `copyFile` (the kernel's copy, no bytes through JavaScript), several at once.
 * Symbolic links and other special files are not copied. Measured on a 1,100-file, 40 MB PGlite
 * data directory: ≈ 0.3 s where Node 20's `fs.cp` takes 1.6–2.5 s (it stats every entry twice).
 */
export async function copyTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, {withFileTypes: true, recursive: true})
  const folders = ['']
  const files: string[] = []
  for (const entry of entries) {
    const relative = path.relative(from, path.join(entry.parentPath, entry.name))
    if (entry.isDirectory()) folders.push(relative)
    else if (entry.isFile()) files.push(relative)
  }
  // Parents sort before their children.
  for (const folder of folders.sort()) await mkdir(path.join(to, folder), {recursive: true})
  let next = 0
  await Promise.all(Array.from({length: Math.min(PARALLEL_COPIES, files.length)}, async () => {
    while (next < files.length) {
      const file = files[next++]!
      await copyFile(path.join(from, file), path.join(to, file))
    }
  }))
}
