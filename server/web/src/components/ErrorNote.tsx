import type {ApiError} from '../api.js'

/** An API error as a short alert: message, code and the hint (the next step). */
export function ErrorNote({error, prefix}: {error: ApiError | Error | undefined; prefix?: string}) {
  if (!error) return null
  const {code, hint} = error as Partial<ApiError>
  return (
    <div className="error-note" role="alert">
      {prefix ? `${prefix}: ` : ''}{error.message}{code ? <code> {code}</code> : null}
      {hint ? <div className="muted">{hint}</div> : null}
    </div>
  )
}
