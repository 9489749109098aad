/**
 * English function words (the classic SMART/Snowball short list, lower-case, apostrophes split off
 * as the tokenizer splits them). Part of the `factflow-hash-v2` model: changing it changes stored
 * vectors, so it needs a new model name.
 */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set((
  'a about above after again against all am an and any are as at be because been before being below between both but by ' +
  'can cannot could did do does doing down during each few for from further had has have having he her here hers herself ' +
  'him himself his how i if in into is it its itself let me more most my myself no nor not of off on once only or other ' +
  'ought our ours ourselves out over own same she should so some such than that the their theirs them themselves then ' +
  'there these they this those through to too under until up very was we were what when where which while who whom why ' +
  'with would you your yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren hasn haven hadn won ' +
  'wouldn shouldn couldn mustn shan'
).split(' '))
