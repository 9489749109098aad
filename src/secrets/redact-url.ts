/**
 * The one place URLs and texts lose their passwords before they reach a message, a log line, a
 * stored row or the screen (`--database`, `--storage`, `--queue`, settings, LLM base URLs).
 */

const CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/@?#\s"'`]*):[^@\s"'`]*@/gi

/**
 * `scheme://user:password@host…` → `scheme://user:***@host…`, wherever such a URL occurs in
 * `text`. Works on text that does not parse as a URL (a rejected flag value), and errs on the side
 * of masking: anything between `user:` and the first `@` goes.
 */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS, '$1:***@')
}

/** A URL fit for messages and logs: its password replaced by `***` (alias of `redactCredentials` for one URL). */
export function redactUrl(url: string): string {
  return redactCredentials(url)
}
