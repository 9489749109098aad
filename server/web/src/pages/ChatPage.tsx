import {type ReactNode, useEffect, useRef, useState} from 'react'

import {parseSse} from '../../../../src/client/event-stream.js'
import {API, api, ApiError, chunksOf, errorMessage} from '../api.js'
import {ErrorNote} from '../components/ErrorNote.js'
import {formatTime} from '../format.js'
import {Link} from '../Link.js'
import {useApi} from '../use-api.js'
import {navigate} from '../use-location.js'

interface ChatSource { index: number; title: string; url: string; score: number; text: string; document_id: string; segment_index: number }
interface ChatThread { id: string; title: string; settings: {profile?: string}; message_count: number; updated_at: string }
interface ChatMessage { id: string; role: 'user' | 'assistant'; content: string; sources: ChatSource[]; status: 'complete' | 'error' | 'streaming'; error: {error_code: string; detail: string} | null; created_at: string }

/** Chat threads: ask, watch the answer stream in, follow its citations. */
export function ChatPage({threadId}: {threadId: string | undefined}) {
  const threads = useApi<{threads: ChatThread[]}>('/chat/threads?limit=100')
  const [profile, setProfile] = useState('')
  const [error, setError] = useState<ApiError | undefined>()
  const create = async () => {
    try {
      const thread = await api<ChatThread>('/chat/threads', {method: 'POST', json: profile ? {profile} : {}})
      threads.reload()
      navigate(`/chat/${thread.id}`)
    } catch (caught) { setError(caught as ApiError) }
  }
  return (
    <main className="chat">
      <h1>Chat</h1>
      <div className="split chat-split">
        <nav aria-label="Threads" className="threads">
          <form onSubmit={(e) => { e.preventDefault(); void create() }}>
            <label>Profile <input value={profile} onChange={(e) => setProfile(e.target.value)} placeholder="default" size={10} /></label>{' '}
            <button type="submit">New thread</button>
          </form>
          <ErrorNote error={error ?? threads.error} />
          <ul>
            {(threads.data?.threads ?? []).map((t) => (
              <li key={t.id}><Link href={`/chat/${t.id}`} aria-current={t.id === threadId ? 'page' : undefined}>{t.title || 'untitled'}</Link>
                <div className="muted small">{t.message_count} messages · {t.settings.profile ?? 'default'} · {formatTime(t.updated_at)}</div></li>
            ))}
          </ul>
        </nav>
        {threadId ? <Thread key={threadId} id={threadId} onAsked={threads.reload} /> : <p className="muted">Start a thread (profile <code>local</code> answers offline from the stored embeddings), or pick one.</p>}
      </div>
    </main>
  )
}

function Thread({id, onAsked}: {id: string; onAsked: () => void}) {
  const stored = useApi<{messages: ChatMessage[]}>(`/chat/threads/${encodeURIComponent(id)}/messages?limit=1000`)
  const [messages, setMessages] = useState<ChatMessage[]>([])
  const [question, setQuestion] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<ApiError | undefined>()
  const end = useRef<HTMLDivElement>(null)
  useEffect(() => { if (stored.data) setMessages(stored.data.messages) }, [stored.data])
  useEffect(() => { end.current?.scrollIntoView({block: 'end'}) }, [messages])

  const ask = async () => {
    const content = question.trim()
    if (!content) return
    setBusy(true)
    setError(undefined)
    setQuestion('')
    const now = new Date().toISOString()
    const answer: ChatMessage = {id: `pending-${now}`, role: 'assistant', content: '', sources: [], status: 'streaming', error: null, created_at: now}
    setMessages((m) => [...m, {id: `q-${now}`, role: 'user', content, sources: [], status: 'complete', error: null, created_at: now}, answer])
    const update = (change: Partial<ChatMessage> | ((a: ChatMessage) => Partial<ChatMessage>)) =>
      setMessages((m) => m.map((x) => (x.id === answer.id ? {...x, ...(typeof change === 'function' ? change(x) : change)} : x)))
    try {
      const response = await fetch(`${API}/chat/threads/${encodeURIComponent(id)}/messages`, {
        method: 'POST', headers: {'content-type': 'application/json', accept: 'text/event-stream'}, body: JSON.stringify({content}),
      })
      if (!response.ok || !response.body) {
        const body = await response.json().catch(() => undefined)
        const {message, code, hint} = errorMessage(body, response.status)
        throw new ApiError(response.status, message, code, hint)
      }
      for await (const event of parseSse(chunksOf(response.body), () => {})) {
        if (event.event === 'sources') update({sources: event.data.sources as ChatSource[]})
        else if (event.event === 'token') update((a) => ({content: a.content + String(event.data.content ?? '')}))
        else if (event.event === 'done') update({status: 'complete', id: String(event.data.message_id ?? answer.id)})
        else if (event.event === 'error') update({status: 'error', error: {error_code: String(event.data.error_code), detail: String(event.data.detail)}})
      }
      onAsked()
    } catch (caught) {
      update({status: 'error', error: {error_code: (caught as ApiError).code ?? 'ERROR', detail: (caught as Error).message}})
      setError(caught as ApiError)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="thread" aria-label="Thread">
      <ErrorNote error={stored.error} />
      <ol className="messages" aria-live="polite">
        {messages.map((m) => (
          <li key={m.id} className={`message ${m.role}`} data-status={m.status}>
            <div className="who muted small">{m.role === 'user' ? 'you' : 'answer'}{m.status === 'streaming' ? ' · streaming…' : ''}</div>
            <div className="content">{m.role === 'assistant' ? withCitations(m.content, m.id) : m.content}</div>
            {m.error ? <div className="error-note" role="alert">{m.error.detail} <code>{m.error.error_code}</code></div> : null}
            {m.sources.length > 0 ? (
              <ol className="sources" aria-label="Sources">
                {m.sources.map((s) => (
                  <li key={s.index} id={`src-${m.id}-${s.index}`} value={s.index}>
                    <SourceLink source={s} /> <span className="muted small">score {s.score.toFixed(3)}</span>
                    <details><summary className="small">passage</summary><p className="small">{s.text}</p></details>
                  </li>
                ))}
              </ol>
            ) : null}
          </li>
        ))}
      </ol>
      <div ref={end} />
      <ErrorNote error={error} />
      <form className="ask" onSubmit={(e) => { e.preventDefault(); void ask() }}>
        <textarea aria-label="Question" rows={2} value={question} onChange={(e) => setQuestion(e.target.value)} placeholder="Ask about the stored documents… (Ctrl+Enter sends)"
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void ask() } }} />
        <button type="submit" disabled={busy || question.trim() === ''}>Ask</button>
      </form>
    </section>
  )
}

/** The source's page when it has a web URL, else its document id as text (local files are not served). */
function SourceLink({source}: {source: ChatSource}) {
  const label = source.title || source.url || source.document_id
  return /^https?:\/\//.test(source.url) ? <a href={source.url} target="_blank" rel="noreferrer noopener">{label}</a> : <span title={source.url}>{label} <span className="muted small">{source.url}</span></span>
}

/** `[n]` markers in an answer as links to its numbered sources. */
export function withCitations(text: string, messageId: string): ReactNode[] {
  const out: ReactNode[] = []
  let last = 0
  for (const match of text.matchAll(/\[(\d{1,3})\]/g)) {
    out.push(text.slice(last, match.index))
    out.push(<a key={match.index} className="cite" href={`#src-${messageId}-${match[1]}`}>[{match[1]}]</a>)
    last = match.index + match[0].length
  }
  out.push(text.slice(last))
  return out
}
