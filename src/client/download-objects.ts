import {createWriteStream} from 'node:fs'
import {mkdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import type {StorageObjectResource} from '../api/storage-schemas.js'
import type {FactflowClient} from './http-client.js'

/** Where `storage download` keeps the ETag of every file it wrote, in the output folder. */
export const DOWNLOAD_MANIFEST = '.factflow-download.json'

export interface DownloadOptions {
  outputDir: string
  /** Parallel downloads (default 4). */
  concurrency?: number
  /** After each object: objects done (downloaded or skipped), objects in all, bytes downloaded so far. */
  onProgress?: (done: number, total: number, bytes: number) => void
}

export interface DownloadedFile {
  key: string
  path: string
  status: 'downloaded' | 'skipped'
  bytes: number
}

export interface DownloadResult {
  execution_id: string
  output_dir: string
  objects: number
  downloaded: number
  skipped: number
  bytes: number
  files: DownloadedFile[]
}

interface Manifest {
  execution_id: string
  /** Per key: the ETag the server sent with the bytes on disk, and their size. */
  objects: Record<string, {etag: string; size: number}>
}

/**
 * `storage download ID --output-dir DIR`: every artefact of an execution (`executions/<id>/…`) into
 * `DIR/<route>/<stage>/<file>`. Resumable: a file already there whose ETag the manifest recorded is
 * asked for with `If-None-Match` and skipped on 304; bytes go to a `.partial` file renamed when
 * complete, so an interrupted run never leaves a truncated file under the real name.
 */
export async function downloadExecutionObjects(client: FactflowClient, idOrTag: string, options: DownloadOptions): Promise<DownloadResult> {
  const execution = await client.getExecution(idOrTag)
  const prefix = `executions/${execution.id}/`
  const objects: StorageObjectResource[] = []
  for (let offset = 0; ; offset += 1000) {
    const page = await client.browseStorage({execution_id: execution.id, limit: 1000, offset})
    objects.push(...page.objects)
    if (!page.has_more) break
  }
  const root = path.resolve(options.outputDir)
  await mkdir(root, {recursive: true})
  const manifestPath = path.join(root, DOWNLOAD_MANIFEST)
  const manifest = await readManifest(manifestPath, execution.id)
  const files: DownloadedFile[] = []
  let bytes = 0
  let next = 0
  let sinceSaved = 0
  const save = () => writeFile(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`)

  const one = async (object: StorageObjectResource): Promise<DownloadedFile> => {
    const relative = object.key.startsWith(prefix) ? object.key.slice(prefix.length) : object.key
    const target = path.resolve(root, relative)
    if (!target.startsWith(`${root}${path.sep}`)) throw new Error(`refusing to write ${object.key} outside ${root}`)
    const known = manifest.objects[object.key]
    const onDisk = known ? await stat(target).then((s) => s.size, () => undefined) : undefined
    const headers: Record<string, string> = known && onDisk === known.size ? {'if-none-match': known.etag} : {}
    const response = await client.object(object.key, headers)
    if (response.status === 304) return {key: object.key, path: target, status: 'skipped', bytes: 0}
    await mkdir(path.dirname(target), {recursive: true})
    const partial = `${target}.partial`
    let written = 0
    try {
      const body = Readable.fromWeb(response.body! as import('node:stream/web').ReadableStream<Uint8Array>)
      body.on('data', (chunk: Buffer) => { written += chunk.length })
      await pipeline(body, createWriteStream(partial))
      await rename(partial, target)
    } catch (error) {
      await rm(partial, {force: true})
      throw error
    }
    const etag = response.headers.get('etag')
    if (etag) manifest.objects[object.key] = {etag, size: written}
    else delete manifest.objects[object.key]
    return {key: object.key, path: target, status: 'downloaded', bytes: written}
  }

  const worker = async () => {
    while (next < objects.length) {
      const file = await one(objects[next++]!)
      files.push(file)
      bytes += file.bytes
      options.onProgress?.(files.length, objects.length, bytes)
      if (file.status === 'downloaded' && ++sinceSaved >= 50) {
        sinceSaved = 0
        await save()
      }
    }
  }
  options.onProgress?.(0, objects.length, 0)
  try {
    await Promise.all(Array.from({length: Math.min(options.concurrency ?? 4, Math.max(1, objects.length))}, worker))
  } finally {
    await save()
  }
  files.sort((a, b) => a.key.localeCompare(b.key))
  const downloaded = files.filter((f) => f.status === 'downloaded').length
  return {execution_id: execution.id, output_dir: root, objects: objects.length, downloaded, skipped: files.length - downloaded, bytes, files}
}

async function readManifest(file: string, executionId: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Manifest>
    // A folder another execution was downloaded into keeps nothing of that one's ETags.
    if (parsed.execution_id === executionId && parsed.objects && typeof parsed.objects === 'object') return {execution_id: executionId, objects: parsed.objects}
  } catch {
    // No manifest yet (or an unreadable one): everything is downloaded.
  }
  return {execution_id: executionId, objects: {}}
}
