/** A keyword query split into what every hit must satisfy and the words any of which may match. */
export interface KeywordQueryParts {
  /** Quoted phrases and `-excluded` terms, in websearch syntax (empty when there are none). */
  required: string
  /** The bare words, space-separated (empty when there are none). */
  words: string
}

const TOKEN = /-?"[^"]*"?|\S+/g

/**
 * Splits a search box query. Bare words are alternatives ranked by how well a passage matches
 * them, as a search engine treats a typed question: under `websearch_to_tsquery` alone every word
 * of "how do I pretty-print JSON?" was required and no passage of the Python manual matched.
 * Quoted phrases and `-word` keep their websearch meaning (required, excluded); `or` is dropped
 * since alternatives are the default.
 */
export function splitKeywordQuery(query: string): KeywordQueryParts {
  const required: string[] = []
  const words: string[] = []
  for (const token of query.match(TOKEN) ?? []) {
    if (token.startsWith('"') || (token.length > 1 && token.startsWith('-'))) required.push(token)
    else if (token.toLowerCase() !== 'or') words.push(token)
  }
  return {required: required.join(' '), words: words.join(' ')}
}

/**
 * SQL (a subquery yielding one `tsquery` column `query`) for `splitKeywordQuery`'s parts: $1 is the
 * text search configuration, `requiredParam` and `wordsParam` the parameter numbers of the parts.
 * The words are normalised by the configuration, stopwords dropped (for `simple`, which has none,
 * English ones, unless nothing else is left) and OR-ed; NULL when the query has no word at all.
 */
export function keywordQuerySql(requiredParam: number, wordsParam: number): string {
  const lexemes = `unnest(tsvector_to_array(to_tsvector($1::regconfig, $${wordsParam}::text)))`
  return `(SELECT CASE WHEN any_word IS NULL THEN required WHEN required IS NULL THEN any_word ELSE required && any_word END AS query
      FROM (SELECT nullif(websearch_to_tsquery($1::regconfig, $${requiredParam}::text)::text, '')::tsquery AS required,
                   (SELECT string_agg('''' || replace(replace(w, '\\', '\\\\'), '''', '''''') || '''', ' | ')::tsquery
                      FROM (SELECT w FROM ${lexemes} AS l(w)
                             WHERE $1::regconfig <> 'simple'::regconfig OR to_tsvector('english', w) <> ''::tsvector
                               OR NOT EXISTS (SELECT 1 FROM ${lexemes} AS c(w) WHERE to_tsvector('english', c.w) <> ''::tsvector)) kept
                   ) AS any_word) parts)`
}
