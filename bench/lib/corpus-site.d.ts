// Types of corpus-site.js (plain JavaScript so the benchmarks can run it without a build).

export type ManualName = 'python' | 'postgresql'

export interface ManualInfo {
  /** Folder of the installed HTML manual. */
  dir: string
  /** Debian package that installs it. */
  package: string
}

export const MANUALS: Record<ManualName, ManualInfo>

/** One page of a manual; `id` is `<manual>/<path>`, the URL path it is served under. */
export interface CorpusPage {
  id: string
  manual: ManualName
  path: string
}

export interface CorpusSiteOptions {
  /** Manuals to serve (default both). */
  manuals?: ManualName[]
  /** Serve at most this many pages (default all; never fewer than `include`). */
  limit?: number
  /** Page ids (`python/library/json.html`) always served; a missing one makes the start reject. */
  include?: string[]
  /** Also list the generated indexes, search page and table of contents (default false). */
  includeIndexPages?: boolean
  /** Send ETag / Last-Modified and answer matching conditional requests with 304 (default true). */
  validators?: boolean
}

export interface CorpusSite {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** A urlset of every selected page. */
  readonly sitemapUrl: string
  /** A sitemap index of one urlset per manual. */
  readonly sitemapIndexUrl: string
  /** The selected pages with their absolute URLs, in selection order. */
  readonly pages: ReadonlyArray<CorpusPage & {url: string}>
  /** Requests answered, body bytes sent and `304 Not Modified` answers so far. */
  stats(): {requests: number; bytes: number; notModified: number}
  close(): Promise<void>
}

export function missingManuals(names?: ManualName[]): Promise<ManualName[]>
export function listManualPages(name: ManualName, options?: {includeIndexPages?: boolean}): Promise<string[]>
export function selectPages(all: CorpusPage[], options?: {limit?: number; include?: string[]}): CorpusPage[]
export function startCorpusSite(options?: CorpusSiteOptions): Promise<CorpusSite>
