import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'

import {buildLineageTree, type TreeRow} from '../lineage/lineage-tree.js'
import {LineageView} from './LineageView.js'

const tick = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms))
/**
 * The view's last frame once it holds `text` (or after 5 s, for the assertion to report). Each key
 * is sent after the frame of the one before: on a busy machine a render can take longer than a
 * fixed pause, and a key handled before it would read the selection the frame does not show yet.
 */
async function frameWith(view: {lastFrame(): string | undefined}, text: string | RegExp): Promise<string> {
  const deadline = Date.now() + 5000
  for (;;) {
    const frame = view.lastFrame() ?? ''
    if ((typeof text === 'string' ? frame.includes(text) : text.test(frame)) || Date.now() > deadline) return frame
    await tick(10)
  }
}
const DOWN = '\u001B[B'
const RIGHT = '\u001B[C'
const LEFT = '\u001B[D'

let clock = Date.parse('2026-12-07T10:00:00Z')
const row = (message: string, parent: string | null, route: string, adapter: string, status = 'completed', error?: string): TreeRow => ({
  id: `row-${message}-${adapter}`, message_id: message, parent_id: parent, route_id: route,
  adapter_name: adapter, adapter_index: 0, stage_status: status, started_at: new Date(clock++).toISOString(), duration_ms: 12,
  error_info: error ? {error_class: 'ExternalError', code: 'HTTP_503', message: error} : null,
})

/** A crawl: the sitemap fans out to three pages; page 2 fans out to two segments, the second of which failed. */
function crawlTree() {
  return buildLineageTree([
    row('sitemap', null, 'crawl', 'url_expander'),
    row('page1', 'sitemap', 'fetch', 'web_scraper'),
    row('page2', 'sitemap', 'fetch', 'web_scraper'),
    row('page3', 'sitemap', 'fetch', 'web_scraper'),
    row('seg1', 'page2', 'embed', 'embedding_generator'),
    row('seg2', 'page2', 'embed', 'embedding_generator', 'failed', 'HTTP 503 from the embedder'),
  ])
}

describe('LineageView', () => {
  it('shows the roots expanded, expands a fan-out, jumps to the failure with its error, and opens an artefact', async () => {
    const opened: string[] = []
    const view = render(<LineageView
      title="lineage of crawl · execution e1 (completed)" tree={crawlTree()} height={10}
      loadArtefacts={async (id) => (id === 'seg2' ? [{key: 'executions/e1/embed/embedding_generator/seg2.md', size: 11, content_type: 'text/markdown'}] : [])}
      readArtefact={async (key) => { opened.push(key); return '# Segment two\n\nIts text.' }}
    />)
    let frame = await frameWith(view, '6 messages · 1 failed')
    expect(frame).toContain('6 messages · 1 failed')
    expect(frame).toContain('› ▾ crawl sitemap  url_expander:completed 12ms (3 children, 1 failed below)')
    expect(frame).toContain('  ├─   fetch page1  web_scraper:completed 12ms')
    expect(frame).toContain('  ├─ ▸ fetch page2  web_scraper:completed 12ms (2 children, 1 failed below)')
    expect(frame).toContain('  └─   fetch page3  web_scraper:completed 12ms')
    expect(frame).not.toContain('seg1')

    view.stdin.write(DOWN)
    await frameWith(view, '› ├─   fetch page1')
    view.stdin.write(DOWN)
    await frameWith(view, '› ├─ ▸ fetch page2')
    view.stdin.write(RIGHT)
    frame = await frameWith(view, '› ├─ ▾ fetch page2')
    expect(frame).toContain('› ├─ ▾ fetch page2')
    expect(frame).toContain('  │  ├─   embed seg1  embedding_generator:completed 12ms')
    expect(frame).toContain('  │  └─   embed seg2  embedding_generator:failed 12ms  ✗ HTTP 503 from the embedder')
    view.stdin.write(LEFT)
    expect(await frameWith(view, '› ├─ ▸ fetch page2')).not.toContain('seg1')

    // From the top, `f` expands page2 again and selects the failed segment; the pane shows its row.
    view.stdin.write('f')
    frame = await frameWith(view, '[1] executions/e1/embed/embedding_generator/seg2.md')
    expect(frame).toContain('› │  └─   embed seg2')
    expect(frame).toContain('message seg2 · route embed · parent page2')
    expect(frame).toMatch(/embedding_generator +failed +12ms +2026-12-07T10:00:00.005Z *│\n│   ✗ ExternalError \[HTTP_503\]: HTTP 503 from the embedder/)
    expect(frame).toContain('[1] executions/e1/embed/embedding_generator/seg2.md (11 B, text/markdown)')

    view.stdin.write('o')
    frame = await frameWith(view, 'lines 1-3 of 3')
    expect(opened).toEqual(['executions/e1/embed/embedding_generator/seg2.md'])
    expect(frame).toContain('# Segment two')
    expect(frame).toContain('lines 1-3 of 3')
    view.stdin.write('q')
    expect(await frameWith(view, '6 messages · 1 failed')).toContain('6 messages · 1 failed')
    view.unmount()
  })

  it('says so when no message failed, and when a message has no artefact to open', async () => {
    const tree = buildLineageTree([row('a', null, 'r', 'passthrough'), row('b', 'a', 'r', 'passthrough')])
    const view = render(<LineageView title="t" tree={tree} height={10} loadArtefacts={async () => []} readArtefact={async () => ''} />)
    await tick()
    view.stdin.write('f')
    await tick()
    expect(view.lastFrame()).toContain('no failed message in this execution')
    view.stdin.write('o')
    await tick()
    expect(view.lastFrame()).toContain('no artefact 1 for this message')
    expect(view.lastFrame()).toContain('artefacts: none')
    view.unmount()
  })
})
