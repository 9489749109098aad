import {createHash} from 'node:crypto'

import {factflowVersion} from '../config/factflow-version.js'
import type {PipelineConfig} from '../config/pipeline-schema.js'
import type {LlmProfiles} from '../llm/settings.js'
import {stableJson} from '../stage-results/stage-key.js'

/**
 * What a stage that finds its input unchanged since an earlier run (web_scraper on a 304) needs to
 * decide whether the rest of the page's chain may be skipped altogether (docs/decisions.md,
 * "A re-run ends an unchanged page's chain"): the run's fingerprint, and whether anything after the
 * stage could find new work in the page. Absent in harness runs: then nothing ends early.
 */
export interface FinishedWork {
  /**
   * sha256 of everything besides a page's bytes that decides what the pipeline makes of it: the
   * pipeline as run (without its init message, name and description), the LLM and embedding
   * profiles (without keys) and factflow's version. `undefined` when it cannot be known (settings
   * that do not load): then nothing ends early.
   */
  fingerprint(): Promise<string | undefined>
  /**
   * True when no stage after `stage` of route `routeId` (later in the route, or in any route its
   * outbound reaches) can discover URLs to fetch: ending a page's chain there loses no page a
   * re-run should check for changes.
   */
  mayEndAfter(routeId: string, stage: string): boolean
}

/** Adapter types that find URLs to fetch in what they read. */
const DISCOVERING = new Set(['sitemap_parser', 'url_expander', 'web_scraper', 'web_crawler'])

/** `FinishedWork` for one execution of `pipeline`, whose stored snapshot is `snapshot`. */
export function finishedWorkOf(pipeline: PipelineConfig, snapshot: Record<string, unknown>, profiles: () => Promise<LlmProfiles>): FinishedWork {
  const endable = stagesThatMayEnd(pipeline)
  let fingerprint: Promise<string | undefined> | undefined
  return {
    fingerprint: () => (fingerprint ??= profiles().then((loaded) => pipelineFingerprint(snapshot, loaded), () => undefined)),
    mayEndAfter: (routeId, stage) => endable.has(`${routeId}\u0000${stage}`),
  }
}

/** See `FinishedWork.fingerprint`. */
export function pipelineFingerprint(snapshot: Record<string, unknown>, profiles: LlmProfiles): string {
  const {init_message: _init, name: _name, description: _description, ...pipeline} = snapshot
  const llm = [...profiles.values()]
    .map(({api_key: _key, unresolvedEnv: _unresolved, ...profile}) => profile)
    .sort((a, b) => a.name.localeCompare(b.name))
  return createHash('sha256').update(stableJson({factflow: factflowVersion() ?? 'unknown', pipeline, llm})).digest('hex')
}

/** `route\0stage` of every stage after which nothing discovers URLs (see `FinishedWork.mayEndAfter`). */
export function stagesThatMayEnd(pipeline: PipelineConfig): Set<string> {
  const endable = new Set<string>()
  for (const [routeId, route] of Object.entries(pipeline.routes)) {
    const downstream = reachableRoutes(pipeline, routeId)
    // A cycle back to this route runs its own discovering stages (the one asking, at least) again.
    if (downstream.has(routeId)) continue
    if ([...downstream].some((id) => pipeline.routes[id]!.adapters.some((step) => DISCOVERING.has(step.type)))) continue
    route.adapters.forEach((step, index) => {
      if (!route.adapters.slice(index + 1).some((later) => DISCOVERING.has(later.type))) endable.add(`${routeId}\u0000${step.id ?? step.type}`)
    })
  }
  return endable
}

/** Every route a message leaving route `from` can reach through outbound queues (`from` itself only through a cycle). */
function reachableRoutes(pipeline: PipelineConfig, from: string): Set<string> {
  const reading = (queue: string) => Object.entries(pipeline.routes).filter(([, route]) => route.inbound.queue === queue).map(([id]) => id)
  const next = (routeId: string) => (pipeline.routes[routeId]!.outbound ?? []).flatMap((out) => reading(out.queue))
  const seen = new Set<string>()
  const stack = next(from)
  while (stack.length > 0) {
    const id = stack.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    stack.push(...next(id))
  }
  return seen
}
