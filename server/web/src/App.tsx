import {lazy, Suspense} from 'react'

import {Link} from './Link.js'
import {ExecutionPage} from './pages/ExecutionPage.js'
import {ExecutionsPage} from './pages/ExecutionsPage.js'
import {useLocation} from './use-location.js'

// The executions pages are the landing pages; the others load on first visit.
const StoragePage = lazy(() => import('./pages/StoragePage.js').then((m) => ({default: m.StoragePage})))
const ConfigsPage = lazy(() => import('./pages/ConfigsPage.js').then((m) => ({default: m.ConfigsPage})))
const ConfigPage = lazy(() => import('./pages/ConfigPage.js').then((m) => ({default: m.ConfigPage})))
const ChatPage = lazy(() => import('./pages/ChatPage.js').then((m) => ({default: m.ChatPage})))

const SECTIONS = [
  {href: '/', label: 'Executions', match: (p: string) => p === '/' || p.startsWith('/executions')},
  {href: '/configs', label: 'Configs', match: (p: string) => p.startsWith('/configs')},
  {href: '/storage', label: 'Storage', match: (p: string) => p.startsWith('/storage')},
  {href: '/chat', label: 'Chat', match: (p: string) => p.startsWith('/chat')},
]

/** The page for a path (history API paths; the server answers each of them with this app). */
function Page({path}: {path: string}) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts.length === 0 || (parts[0] === 'executions' && parts.length === 1)) return <ExecutionsPage />
  if (parts[0] === 'executions') return <ExecutionPage id={parts[1]!} tab={parts[2] ?? 'overview'} />
  if (parts[0] === 'configs' && parts.length === 1) return <ConfigsPage />
  if (parts[0] === 'configs') return <ConfigPage id={parts[1] === 'new' ? undefined : parts[1]!} />
  if (parts[0] === 'storage') return <StoragePage />
  if (parts[0] === 'chat') return <ChatPage threadId={parts[1]} />
  return <main><h1>Not found</h1><p>No page at <code>{path}</code>. <Link href="/">Executions</Link></p></main>
}

export function App() {
  const {path} = useLocation()
  return (
    <>
      <a className="skip" href="#content">Skip to content</a>
      <header className="top">
        <Link href="/" className="brand">factflow</Link>
        <nav aria-label="Sections">
          {SECTIONS.map((s) => (
            <Link key={s.href} href={s.href} aria-current={s.match(path) ? 'page' : undefined}>{s.label}</Link>
          ))}
        </nav>
      </header>
      <div id="content">
        <Suspense fallback={<main><p className="muted">Loading…</p></main>}>
          <Page path={path} />
        </Suspense>
      </div>
    </>
  )
}
