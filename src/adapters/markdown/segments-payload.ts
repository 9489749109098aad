import {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {AdapterContext} from '../types.js'
import {getArtefact, stringField} from './markdown-payload.js'

/** One segment as smart_segmenter emits it (extra fields are allowed and ignored). */
export const segmentSchema = z.object({
  index: z.int().min(0),
  text: z.string(),
  token_count: z.int().min(0),
  heading_path: z.array(z.string()),
})
export type Segment = z.output<typeof segmentSchema>

const segmentsSchema = z.union([z.array(segmentSchema), z.object({segments: z.array(segmentSchema)}).transform((value) => value.segments)])

function invalid(source: string, error: z.ZodError | Error): UserInputError {
  return new UserInputError('SEGMENTS_INVALID', `The segments in ${source} are not a list of {index, text, token_count, heading_path}: ${error.message}`, {
    hint: 'Emit segments with smart_segmenter, or replay from its stage.',
  })
}

/**
 * The segments of a message: inline `segments` or the JSON stored at `segments_storage_key`;
 * `undefined` when the payload has neither. Malformed segments are a terminal `SEGMENTS_INVALID`.
 */
export async function readSegments(context: AdapterContext): Promise<Segment[] | undefined> {
  const {payload} = context
  if (payload.segments !== undefined) {
    const parsed = segmentsSchema.safeParse(payload.segments)
    if (!parsed.success) throw invalid('`segments`', parsed.error)
    return parsed.data
  }
  const key = stringField(payload, 'segments_storage_key')
  if (!key) return undefined
  const {body} = await getArtefact(context, key, 'segments_storage_key')
  let json: unknown
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw invalid(key, error as Error)
  }
  const parsed = segmentsSchema.safeParse(json)
  if (!parsed.success) throw invalid(key, parsed.error)
  return parsed.data
}
