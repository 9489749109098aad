import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {fileURLToPath} from 'node:url'

export interface S3rverProcess {
  endpoint: string
  stop(): Promise<void>
}

/**
 * Starts s3rver on 127.0.0.1 with a random port in a child process (see s3rver-child.mjs for
 * why), with the given buckets, files under `directory`, silent. Resolves once it listens.
 */
export async function startS3rver(options: {directory: string; buckets: string[]}): Promise<S3rverProcess> {
  const script = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url))
  const config = {directory: options.directory, configureBuckets: options.buckets.map((name) => ({name}))}
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '--no-deprecation', script, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const line = buffered.split('\n')[0]
      if (buffered.includes('\n')) resolve((JSON.parse(line) as {port: number}).port)
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening`)))
  })
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.stdin!.end()
      await exited
    },
  }
}
