import {defineCpuTask} from '../../../cpu/cpu-task.js'
import {extractContent, type ExtractedContent} from './extract-content.js'
import {createMarkdownConverter} from './markdown-converter.js'

export interface ConvertHtmlInput {
  html: string
  mainContent: boolean
  /** The page's absolute URL (links resolve against it). */
  baseUrl?: string
  preserveLinks: boolean
  preserveImages: boolean
}

export interface ConvertHtmlOutput {
  /** `''` when no text is left (the adapter says so with `HTML_NO_CONTENT`). */
  markdown: string
  title?: string
  description?: string
  lang?: string
  method: ExtractedContent['method']
}

/**
 * html_to_markdown's pure part: main-content extraction and conversion of one page. Runs in the
 * CPU pool (`resources.cpu`), so it takes and returns plain data.
 */
export function convertHtml(input: ConvertHtmlInput): ConvertHtmlOutput {
  const extracted = extractContent(input.html, {mainContent: input.mainContent, baseUrl: input.baseUrl})
  // Building a converter is a few object literals; mdream's binding is loaded once per thread.
  const convert = createMarkdownConverter({preserveLinks: input.preserveLinks, preserveImages: input.preserveImages})
  const out: ConvertHtmlOutput = {markdown: convert(extracted.html, extracted.baseUrl), method: extracted.method}
  if (extracted.title) out.title = extracted.title
  if (extracted.description) out.description = extracted.description
  if (extracted.lang) out.lang = extracted.lang
  return out
}

export const convertHtmlTask = defineCpuTask<ConvertHtmlInput, ConvertHtmlOutput>(import.meta.url, 'convertHtml')
