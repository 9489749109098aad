import {useCallback, useEffect, useRef, useState} from 'react'

import {api, ApiError} from './api.js'

export interface Loaded<T> {
  data: T | undefined
  error: ApiError | undefined
  loading: boolean
  reload: () => void
}

/**
 * GETs `path` (nothing while it is undefined) and again when it changes or `reload` is called;
 * with `pollMs`, every `pollMs` while the tab is visible. A stale answer never overwrites a newer one.
 */
export function useApi<T>(path: string | undefined, pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{data: T | undefined; error: ApiError | undefined; loading: boolean}>({data: undefined, error: undefined, loading: path !== undefined})
  const [tick, setTick] = useState(0)
  const request = useRef(0)
  const reload = useCallback(() => setTick((t) => t + 1), [])
  useEffect(() => {
    if (path === undefined) return
    const id = ++request.current
    const controller = new AbortController()
    setState((s) => ({...s, loading: true}))
    api<T>(path, {signal: controller.signal}).then(
      (data) => { if (id === request.current) setState({data, error: undefined, loading: false}) },
      (error: unknown) => {
        if ((error as Error).name === 'AbortError' || id !== request.current) return
        setState((s) => ({data: s.data, error: error instanceof ApiError ? error : new ApiError(0, String(error), undefined, undefined), loading: false}))
      },
    )
    return () => controller.abort()
  }, [path, tick])
  useEffect(() => {
    if (!pollMs || path === undefined) return
    const timer = setInterval(() => { if (document.visibilityState === 'visible') setTick((t) => t + 1) }, pollMs)
    return () => clearInterval(timer)
  }, [pollMs, path])
  return {...state, reload}
}

/** Calls `reload` whenever `key` changes after the first render (the first load is useApi's own). */
export function useReloadOn(reload: () => void, key: string): void {
  const first = useRef(true)
  useEffect(() => {
    if (first.current) { first.current = false; return }
    reload()
  }, [key, reload])
}
