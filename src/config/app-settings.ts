import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {parse} from 'yaml'
import {z} from 'zod'

import {parseDuration} from '../cli/parse-duration.js'
import {UserInputError} from '../errors/index.js'
import {type LlmProfiles, resolveProfiles, substituteEnv} from '../llm/settings.js'
import {invalidAddressEntry, type NetworkPolicy} from '../network/address-policy.js'
import {redactUrl} from '../secrets/redact-url.js'

/**
 * The server's settings (docs/reference/server.md, "Settings"): `factflow.yaml` (or `--config FILE`),
 * `${ENV}` substitution, each key overridable by its env variable. Secrets (LLM keys, URL
 * passwords) stay in memory: `maskedSettings` is what may be shown.
 */
export interface AppSettings {
  server: {host: string; port: number}
  database: {url: string}
  queue: {url: string}
  storage: {uri: string}
  limits: {max_concurrent_executions: number}
  pipelines: PipelinesSettings
  network: {allow_private: boolean; allow_link_local: boolean; allow_addresses: string[]}
  /** `root`: absolute; null under `factflow serve` until set (file adapters then read nothing). */
  files: {root: string | null}
  auth: {required: boolean; user_header: string; email_header: string | null; trusted_proxies: string[]}
  cors: {origins: string[]}
  /** Webhook deliveries (docs/reference/server.md, "Webhooks"), durations in milliseconds. */
  webhooks: WebhookSettings
  llm: {profiles: LlmProfiles}
  /** The file the settings came from, or null when only defaults and env were used. */
  source: string | null
}

export interface PipelinesSettings {
  dir: string
  /**
   * The server's environment variables that `${NAME}` in posted pipeline configs may read
   * (`pipelines.env`, default none): any other name is E008, whether it is set or not.
   */
  env: string[]
}

/** Whose settings: `factflow serve` (the defaults of docs/reference/server.md) or `factflow run` (one's own machine). */
export type SettingsRole = 'serve' | 'run'

export interface WebhookSettings {
  /** Waits before each retry; after the last, a delivery is dead. Default 1 min, 5 min, 30 min, 2 h, 12 h. */
  retry_schedule_ms: number[]
  /** One attempt's limit, connect to last byte (default 10 s). */
  timeout_ms: number
  /** How often the database queue is polled for due deliveries (default 1 s). */
  poll_interval_ms: number
}

export const DEFAULT_WEBHOOK_SETTINGS: Readonly<WebhookSettings> = {
  retry_schedule_ms: [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000], timeout_ms: 10_000, poll_interval_ms: 1000,
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const duration = z.union([z.number().nonnegative(), z.string().min(1)])

const fileSchema = z.object({
  server: z.object({host: z.string().min(1), port: z.coerce.number().int().min(0).max(65535)}).partial().strict(),
  database: z.object({url: z.string().min(1)}).partial().strict(),
  queue: z.object({provider: z.string(), url: z.string().min(1)}).partial().strict(),
  storage: z.object({uri: z.string().min(1)}).partial().strict(),
  limits: z.object({max_concurrent_executions: z.coerce.number().int().min(1).max(1000)}).partial().strict(),
  pipelines: z.object({dir: z.string().min(1), env: z.array(z.string().regex(ENV_NAME, 'not an environment variable name'))}).partial().strict(),
  network: z.object({
    allow_private: z.boolean(), allow_link_local: z.boolean(),
    allow_addresses: z.array(z.string().refine((entry) => invalidAddressEntry([entry]) === undefined, 'not an IP address or CIDR range')),
  }).partial().strict(),
  files: z.object({root: z.string().min(1)}).partial().strict(),
  auth: z.object({
    required: z.boolean(), user_header: z.string().min(1), email_header: z.string().min(1), trusted_proxies: z.array(z.string().min(1)),
  }).partial().strict(),
  cors: z.object({origins: z.array(z.string().min(1))}).partial().strict(),
  webhooks: z.object({retry_schedule: z.array(duration).max(20), timeout: duration, poll_interval: duration}).partial().strict(),
  llm: z.unknown(),
}).partial().strict()

export interface LoadAppSettingsOptions {
  /** `--config FILE`; default `./factflow.yaml` when it exists (or `FACTFLOW_SETTINGS`). */
  file?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
  /**
   * Default `serve`. `run` changes two defaults (docs/reference/server.md): `network.allow_private` true and
   * `files.root` the working directory.
   */
  role?: SettingsRole
}

const list = (value: string | undefined): string[] | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.split(',').map((part) => part.trim()).filter((part) => part !== '')

const bool = (value: string | undefined): boolean | undefined =>
  value === undefined || value === '' ? undefined : ['1', 'true', 'yes', 'on'].includes(value.toLowerCase())

/**
 * Reads and checks the settings. Throws `UserInputError` SETTINGS_NOT_FOUND (a named file that
 * cannot be read) or SETTINGS_INVALID (bad YAML, unknown key, wrong type), naming the key.
 */
export async function loadAppSettings(options: LoadAppSettingsOptions = {}): Promise<AppSettings> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const named = options.file ?? env.FACTFLOW_SETTINGS
  const file = path.resolve(cwd, named ?? 'factflow.yaml')
  let document: unknown = {}
  let source: string | null = null
  try {
    const text = await readFile(file, 'utf8')
    source = file
    try {
      document = parse(text, {maxAliasCount: 100}) ?? {}
    } catch (error) {
      throw new UserInputError('SETTINGS_INVALID', `The settings file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
        hint: 'Fix the YAML; config/factflow.example.yaml lists every key.',
      })
    }
  } catch (error) {
    if (error instanceof UserInputError) throw error
    if ((error as {code?: unknown}).code !== 'ENOENT' || named) {
      throw new UserInputError('SETTINGS_NOT_FOUND', `Could not read the settings file ${file}: ${(error as Error).message}`, {
        hint: 'Check --config / FACTFLOW_SETTINGS; without either, ./factflow.yaml is read when it exists.',
      })
    }
  }
  const {llm, ...rest} = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>
  // A section whose keys are all commented out is null in YAML: the same as absent.
  const sections = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null))
  const parsed = fileSchema.safeParse(substituteEnv(sections, env))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new UserInputError('SETTINGS_INVALID', `${source ?? 'The settings'}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      hint: 'config/factflow.example.yaml lists every key and what it takes.',
    })
  }
  const s = parsed.data
  const role = options.role ?? 'serve'
  const allowAddresses = list(env.FACTFLOW_ALLOW_ADDRESSES) ?? s.network?.allow_addresses ?? []
  const badAddress = invalidAddressEntry(allowAddresses)
  if (badAddress !== undefined) {
    throw new UserInputError('SETTINGS_INVALID', `network.allow_addresses: ${JSON.stringify(badAddress)} is not an IP address or CIDR range.`)
  }
  const pipelineEnv = list(env.FACTFLOW_PIPELINE_ENV) ?? s.pipelines?.env ?? []
  const badName = pipelineEnv.find((name) => !ENV_NAME.test(name))
  if (badName !== undefined) throw new UserInputError('SETTINGS_INVALID', `pipelines.env: ${JSON.stringify(badName)} is not an environment variable name.`)
  const filesRoot = env.FACTFLOW_FILES_ROOT || s.files?.root
  const port = env.FACTFLOW_PORT === undefined ? s.server?.port ?? 8000 : Number(env.FACTFLOW_PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserInputError('SETTINGS_INVALID', `FACTFLOW_PORT must be a port number, got ${JSON.stringify(env.FACTFLOW_PORT)}.`)
  }
  const maxExecutions = env.FACTFLOW_MAX_CONCURRENT_EXECUTIONS === undefined
    ? s.limits?.max_concurrent_executions ?? 8 : Number(env.FACTFLOW_MAX_CONCURRENT_EXECUTIONS)
  if (!Number.isInteger(maxExecutions) || maxExecutions < 1) {
    throw new UserInputError('SETTINGS_INVALID', `FACTFLOW_MAX_CONCURRENT_EXECUTIONS must be a positive integer, got ${JSON.stringify(env.FACTFLOW_MAX_CONCURRENT_EXECUTIONS)}.`)
  }
  return {
    server: {host: env.FACTFLOW_HOST || s.server?.host || '127.0.0.1', port},
    database: {url: env.FACTFLOW_DATABASE_URL || s.database?.url || './output/db'},
    queue: {url: env.FACTFLOW_QUEUE_URL || s.queue?.url || 'memory://'},
    storage: {uri: env.FACTFLOW_STORAGE_URI || s.storage?.uri || 'file://./output/storage'},
    limits: {max_concurrent_executions: maxExecutions},
    pipelines: {dir: env.FACTFLOW_PIPELINES_DIR || s.pipelines?.dir || 'config/pipelines', env: pipelineEnv},
    network: {
      allow_private: bool(env.FACTFLOW_ALLOW_PRIVATE) ?? s.network?.allow_private ?? role === 'run',
      allow_link_local: bool(env.FACTFLOW_ALLOW_LINK_LOCAL) ?? s.network?.allow_link_local ?? false,
      allow_addresses: allowAddresses,
    },
    files: {root: filesRoot ? path.resolve(cwd, filesRoot) : role === 'run' ? cwd : null},
    auth: {
      required: s.auth?.required ?? false, user_header: s.auth?.user_header ?? 'X-Forwarded-User',
      email_header: s.auth?.email_header ?? null, trusted_proxies: s.auth?.trusted_proxies ?? [],
    },
    cors: {origins: s.cors?.origins ?? []},
    webhooks: webhookSettings(s.webhooks ?? {}, env),
    llm: {profiles: resolveProfiles(llm === undefined ? undefined : {llm}, env, source ?? 'the settings')},
    source,
  }
}

/** `webhooks.*` with `FACTFLOW_WEBHOOK_RETRY_SCHEDULE` (comma-separated) and `FACTFLOW_WEBHOOK_TIMEOUT` over the file. */
function webhookSettings(file: {retry_schedule?: Array<number | string>; timeout?: number | string; poll_interval?: number | string}, env: NodeJS.ProcessEnv): WebhookSettings {
  const ms = (value: number | string, key: string) => {
    const parsed = typeof value === 'number' ? Math.round(value * 1000) : parseDuration(value, key)
    if (parsed <= 0 && key !== 'webhooks.retry_schedule') throw new UserInputError('SETTINGS_INVALID', `${key} must be longer than 0.`)
    return parsed
  }
  const schedule = env.FACTFLOW_WEBHOOK_RETRY_SCHEDULE !== undefined
    ? env.FACTFLOW_WEBHOOK_RETRY_SCHEDULE.split(',').map((part) => part.trim()).filter((part) => part !== '')
    : file.retry_schedule
  return {
    retry_schedule_ms: schedule === undefined ? [...DEFAULT_WEBHOOK_SETTINGS.retry_schedule_ms] : schedule.map((value) => ms(value, 'webhooks.retry_schedule')),
    timeout_ms: ms(env.FACTFLOW_WEBHOOK_TIMEOUT || file.timeout || DEFAULT_WEBHOOK_SETTINGS.timeout_ms / 1000, 'webhooks.timeout'),
    poll_interval_ms: ms(file.poll_interval ?? DEFAULT_WEBHOOK_SETTINGS.poll_interval_ms / 1000, 'webhooks.poll_interval'),
  }
}

/** The network policy the settings describe (`network.*`). */
export function networkPolicyOf(settings: Pick<AppSettings, 'network'>): NetworkPolicy {
  return {allowPrivate: settings.network.allow_private, allowLinkLocal: settings.network.allow_link_local, allowAddresses: settings.network.allow_addresses}
}

/** A URL with its password replaced by `***` (`redactUrl`, the one place that does it). */
export const maskUrl = redactUrl

/** The effective settings as they may be shown (`factflow serve --print-settings`): no secret in them. */
export function maskedSettings(settings: AppSettings): Record<string, unknown> {
  return {
    source: settings.source,
    server: settings.server,
    database: {url: maskUrl(settings.database.url)},
    queue: {url: maskUrl(settings.queue.url)},
    storage: {uri: maskUrl(settings.storage.uri)},
    limits: settings.limits,
    pipelines: settings.pipelines,
    network: settings.network,
    files: settings.files,
    auth: settings.auth,
    cors: settings.cors,
    webhooks: settings.webhooks,
    llm: {
      providers: [...settings.llm.profiles.values()].map((p) => ({
        name: p.name, provider_type: p.provider_type, model: p.model, ...(p.base_url ? {base_url: maskUrl(p.base_url)} : {}),
        api_key: p.api_key ? '***' : null,
      })),
    },
  }
}
