import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {parse} from 'yaml'

import {UserInputError} from '../errors/index.js'
import {type LlmProfiles, resolveProfiles} from './settings.js'

export interface LoadLlmProfilesOptions {
  env?: NodeJS.ProcessEnv
  /** Where `factflow.yaml` is looked for (default: the process's working directory). */
  cwd?: string
}

/**
 * The LLM profiles a run uses when its composition root passes none: the `llm.providers` of the
 * settings file named by `FACTFLOW_SETTINGS`, else of `./factflow.yaml` when it exists, else only
 * the built-in `local` (and `default` = `local`). A `FACTFLOW_SETTINGS` file that does not exist
 * is an error (it was asked for); a missing `./factflow.yaml` is not.
 * Throws `UserInputError` SETTINGS_NOT_FOUND / SETTINGS_INVALID.
 */
export async function loadLlmProfiles(options: LoadLlmProfilesOptions = {}): Promise<LlmProfiles> {
  const env = options.env ?? process.env
  const named = env.FACTFLOW_SETTINGS
  const file = named ? path.resolve(options.cwd ?? process.cwd(), named) : path.resolve(options.cwd ?? process.cwd(), 'factflow.yaml')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as {code?: unknown}).code !== 'ENOENT' || named) {
      throw new UserInputError('SETTINGS_NOT_FOUND', `Could not read the settings file ${file}: ${(error as Error).message}`, {
        hint: 'Fix FACTFLOW_SETTINGS, or unset it to use ./factflow.yaml or the built-in local profile.',
        cause: error,
      })
    }
    return resolveProfiles(undefined, env)
  }
  let document: unknown
  try {
    document = parse(text, {maxAliasCount: 100})
  } catch (error) {
    throw new UserInputError('SETTINGS_INVALID', `The settings file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Fix the YAML (docs/reference/server.md, "Settings").',
    })
  }
  return resolveProfiles(document, env, file)
}
