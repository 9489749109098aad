import DOMPurify from 'dompurify'
import {marked} from 'marked'

/**
 * Markdown rendered as HTML (GitHub-flavoured, via marked) and sanitised by DOMPurify before it
 * reaches the page: stored artefacts come from crawled sites, so raw HTML in them, scripts, event
 * handlers and `javascript:` links are dropped. Loaded lazily: only the storage preview needs it.
 */
export default function MarkdownPreview({source}: {source: string}) {
  const html = DOMPurify.sanitize(marked.parse(source, {async: false, gfm: true}), {USE_PROFILES: {html: true}})
  return <div className="markdown-preview" data-testid="markdown-preview" dangerouslySetInnerHTML={{__html: html}} />
}
