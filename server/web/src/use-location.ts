import {useSyncExternalStore} from 'react'

const NAVIGATE = 'factflow:navigate'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  window.addEventListener(NAVIGATE, onChange)
  return () => {
    window.removeEventListener('popstate', onChange)
    window.removeEventListener(NAVIGATE, onChange)
  }
}

const current = () => window.location.pathname + window.location.search

/** The current path and query; re-renders on navigation (history API; the server answers every page path with the app). */
export function useLocation(): {path: string; search: URLSearchParams} {
  const href = useSyncExternalStore(subscribe, current)
  const q = href.indexOf('?')
  return {path: q < 0 ? href : href.slice(0, q), search: new URLSearchParams(q < 0 ? '' : href.slice(q))}
}

/** Goes to `to` (a path with an optional query) without reloading. */
export function navigate(to: string, options: {replace?: boolean} = {}): void {
  if (to === current()) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  window.dispatchEvent(new Event(NAVIGATE))
}

/** `path` with `changes` applied to the current query (undefined or '' removes a key). */
export function withQuery(path: string, search: URLSearchParams, changes: Record<string, string | number | undefined>): string {
  const next = new URLSearchParams(search)
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') next.delete(key)
    else next.set(key, String(value))
  }
  const text = next.toString()
  return text === '' ? path : `${path}?${text}`
}
