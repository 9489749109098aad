import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import {UserInputError} from '../errors/index.js'
import type {IssueCode} from './codes.js'
import {IssueCollector, SourceIndex, type ValidationReport} from './issues.js'
import {validatePipelineText, type ValidationOptions} from './load-pipeline.js'
import {parseProfileList, readLlmProfileNames} from './settings.js'
import {MAX_DOCUMENT_BYTES} from './validate/limits.js'

const READ_BATCH = 32

/** Inputs of `factflow config validate` (and of anything else that checks files on disk). */
export interface ValidateFilesOptions extends Omit<ValidationOptions, 'fileName' | 'profiles'> {
  /** Files and directories (every `*.yaml` / `*.yml` below a directory, recursively). */
  paths: readonly string[]
  /** An app settings file whose `llm.providers[].name` are known profiles. */
  settingsFile?: string
  /** More known profile names (`--llm-profiles a,b`). */
  profiles?: readonly string[] | string
}

export interface FileValidationResult extends ValidationReport {
  file: string
}

export interface FilesValidationSummary {
  files: FileValidationResult[]
  totals: {files: number; valid: number; invalid: number; errors: number; warnings: number}
}

/**
 * Validates every pipeline file under `paths`. A path that does not exist, an unreadable file or a
 * directory without pipelines is reported as an E007 issue of that path, never thrown. Throws
 * `UserInputError` only for a settings file that cannot be read.
 */
export async function validatePipelineFiles(options: ValidateFilesOptions): Promise<FilesValidationSummary> {
  const profiles = typeof options.profiles === 'string' ? parseProfileList(options.profiles) : [...(options.profiles ?? [])]
  if (options.settingsFile) profiles.push(...await settingsProfiles(options.settingsFile))
  const validation: ValidationOptions = {...options, profiles}
  const files: FileValidationResult[] = []
  for (const input of options.paths) {
    const info = await stat(input).catch(() => undefined)
    if (!info) {
      files.push(unreadable(input, 'the path does not exist', 'check the path'))
    } else if (info.isDirectory()) {
      // Imported here: validating named files needs no directory walker.
      const {glob} = await import('tinyglobby')
      const found = (await glob(['**/*.yaml', '**/*.yml'], {cwd: input, ignore: ['**/node_modules/**'], onlyFiles: true, dot: false})).sort()
      if (found.length === 0) files.push(unreadable(input, 'the directory holds no *.yaml or *.yml file', 'pass a pipeline file or a directory that holds some'))
      // A bounded number of open files at a time: a large tree must not run out of descriptors.
      for (let start = 0; start < found.length; start += READ_BATCH) {
        const batch = found.slice(start, start + READ_BATCH)
        files.push(...await Promise.all(batch.map((relative) => validateFile(path.join(input, relative), validation))))
      }
    } else {
      files.push(await validateFile(input, validation))
    }
  }
  const valid = files.filter((file) => file.is_valid).length
  return {
    files,
    totals: {
      files: files.length,
      valid,
      invalid: files.length - valid,
      errors: files.reduce((sum, file) => sum + file.error_count, 0),
      warnings: files.reduce((sum, file) => sum + file.warning_count, 0),
    },
  }
}

async function validateFile(file: string, options: ValidationOptions): Promise<FileValidationResult> {
  try {
    const info = await stat(file)
    // The validator refuses larger documents anyway; do not read gigabytes to say so.
    if (info.size > MAX_DOCUMENT_BYTES) return single(file, 'E004', `the document is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB`, 'split the pipeline', true)
    const text = await readFile(file, 'utf8')
    return {file, ...validatePipelineText(text, {...options, fileName: file})}
  } catch (error) {
    return unreadable(file, `the file cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'check its permissions')
  }
}

function unreadable(file: string, message: string, suggestion: string): FileValidationResult {
  return single(file, 'E007', message, suggestion, false)
}

function single(file: string, code: IssueCode, message: string, suggestion: string, positioned: boolean): FileValidationResult {
  const issues = new IssueCollector(new SourceIndex())
  issues.add(code, [], message, {suggestion, position: {line: 1, column: 1}})
  return {file, ...issues.report(false, positioned)}
}

async function settingsProfiles(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UserInputError('SETTINGS_NOT_FOUND', `Cannot read the settings file ${file}: ${error.code ?? error.message}`, {
      hint: 'Check the --settings path, or name profiles with --llm-profiles a,b.',
    })
  })
  return readLlmProfileNames(text, file)
}
