import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'

import type {ChatSession} from '../chat/chat-session.js'
import type {ChatEvent, ChatSource, ChatThread} from '../chat/chat-types.js'
import {ChatView} from './ChatView.js'

const source = (index: number, title: string): ChatSource => ({
  index, title, url: `https://docs.test/${title.toLowerCase()}`, score: 0.03, text: `${title} passage text.`, document_id: `https://docs.test/${title.toLowerCase()}`, segment_index: 0,
})

/** A session answering from a script, with a gate so a test can look at the view mid-answer. */
function scriptedSession() {
  let threadId: string | null = null
  let lastSources: ChatSource[] = []
  let release: () => void = () => {}
  const asked: string[] = []
  const session: ChatSession = {
    get threadId() { return threadId },
    get lastSources() { return lastSources },
    async ask(question, onEvent) {
      asked.push(question)
      threadId ??= `thread-${asked.length}`
      lastSources = question.includes('install') ? [source(1, 'Install'), source(2, 'Upgrade')] : [source(1, 'Queues')]
      const emit = (event: ChatEvent) => onEvent(event)
      emit({type: 'sources', sources: lastSources, query: question})
      emit({type: 'token', content: 'Run npm '})
      await new Promise<void>((resolve) => { release = resolve })
      emit({type: 'token', content: 'install [1].'})
      emit({type: 'done', message_id: 'm', usage: null, answer: 'Run npm install [1].'})
    },
    newThread() { threadId = null },
    openThread: async () => [],
    threads: async (): Promise<ChatThread[]> => [{id: 'thread-1', title: 'how do I install it?', owner: null, settings: {}, created_at: '', updated_at: '', message_count: 2}],
  }
  return {session, asked, release: () => release()}
}

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms))

async function type(stdin: {write(data: string): void}, text: string) {
  stdin.write(text)
  await tick()
  stdin.write('\r')
  await tick()
}

describe('ChatView', () => {
  it('streams an answer under the question, then lists its citations; /sources, /threads, /new and /quit work', async () => {
    const {session, asked, release} = scriptedSession()
    const view = render(<ChatView session={session} subtitle="profile local (local) · slot docs" />)
    const everything = () => view.frames.join('\n')
    await tick()
    expect(view.lastFrame()).toMatch(/^>/m)
    expect(everything()).toContain('profile local (local) · slot docs')

    await type(view.stdin, 'how do I install it?')
    expect(asked).toEqual(['how do I install it?'])
    expect(view.lastFrame()).toContain('› how do I install it?')
    expect(view.lastFrame()).toContain('Run npm')
    expect(view.lastFrame()).not.toContain('[1] Install')
    release()
    await tick()
    expect(everything()).toContain('Run npm install [1].')
    expect(everything()).toMatch(/\[1\] Install — https:\/\/docs\.test\/install\n.*\[2\] Upgrade — https:\/\/docs\.test\/upgrade/)

    await type(view.stdin, '/sources')
    expect(everything()).toContain('[2] Upgrade — https://docs.test/upgrade (score 0.0300)')
    await type(view.stdin, '/threads')
    expect(everything()).toMatch(/\* thread-1\s+2 msgs {2}how do I install it\?/)
    await type(view.stdin, '/new')
    expect(session.threadId).toBeNull()
    expect(everything()).toContain('New thread')
    await type(view.stdin, '/quit')
    view.unmount()
  })

  it('shows a refused question as an error line with its hint, and keeps the prompt', async () => {
    const {session} = scriptedSession()
    session.ask = async () => {
      throw Object.assign(new Error('The database holds no embeddings to chat about yet.'), {hint: 'Run a pipeline first.'})
    }
    const view = render(<ChatView session={session} />)
    await tick()
    await type(view.stdin, 'anything?')
    expect(view.frames.join('\n')).toContain('✗ The database holds no embeddings to chat about yet. (Run a pipeline first.)')
    expect(view.lastFrame()).toMatch(/^>/m)
    view.unmount()
  })
})
