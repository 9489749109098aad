import {readFile} from 'node:fs/promises'

import {UserInputError} from '../errors/index.js'

/** A file's text, or stdin's for `-` (`config create -f FILE|-`). */
export async function readInputFile(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new UserInputError('FILE_NOT_FOUND', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'Give the path of a pipeline YAML file, or - to read it from stdin.',
    })
  }
}
