/** A search answer as numbered hits: document, segment, heading path, mode and score, then the text's start. */
export function searchHitsText(result: {mode: string; hits: ReadonlyArray<{document_id: string; segment_index: number; heading_path: unknown[]; text: string; score: number}>}): string {
  if (result.hits.length === 0) return 'No results.\n'
  return result.hits.map((hit, i) => {
    const heading = Array.isArray(hit.heading_path) && hit.heading_path.length > 0 ? ` — ${hit.heading_path.join(' › ')}` : ''
    return `[${i + 1}] ${hit.document_id}#${hit.segment_index}${heading}  (${result.mode} ${hit.score.toFixed(4)})\n    ${hit.text.replaceAll(/\s+/g, ' ').slice(0, 200)}\n`
  }).join('')
}
