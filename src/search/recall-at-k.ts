import type {SearchHit} from './search-types.js'

/** A question and the pages that answer it (ids as `pageOf` names a hit's page). */
export interface LabelledQuestion {
  q: string
  pages: string[]
}

export interface RecallResult {
  /** Share of questions with at least one answering page among their top `k` hits (0…1). */
  recall: number
  k: number
  found: number
  total: number
  /** Questions not found, with the pages their top hits came from instead. */
  misses: Array<{q: string; expected: string[]; got: Array<string | undefined>}>
}

/**
 * Recall@k of a search over labelled questions: a question counts as found when any of its first
 * `k` hits comes from one of its pages. `pageOf` maps a hit to a page id (e.g. the path of its URL).
 * Questions run one after another, so the figure does not depend on concurrency.
 */
export async function recallAtK(
  questions: readonly LabelledQuestion[],
  search: (query: string, k: number) => Promise<SearchHit[]>,
  pageOf: (hit: SearchHit) => string | undefined,
  k = 5,
): Promise<RecallResult> {
  const misses: RecallResult['misses'] = []
  for (const question of questions) {
    const got = (await search(question.q, k)).slice(0, k).map(pageOf)
    if (!got.some((page) => page !== undefined && question.pages.includes(page))) misses.push({q: question.q, expected: question.pages, got})
  }
  const found = questions.length - misses.length
  return {recall: questions.length === 0 ? 0 : found / questions.length, k, found, total: questions.length, misses}
}
