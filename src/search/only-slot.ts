import {UserInputError} from '../errors/index.js'
import type {SearchService} from './search-service.js'

/**
 * The slot a search that names none means: the only one in the database.
 * @throws UserInputError `SEARCH_NO_EMBEDDINGS` (no slot) or `SEARCH_SLOT_REQUIRED` (several; `hint` says how to name one).
 */
export async function onlySlot(service: Pick<SearchService, 'slots'>, hint: string): Promise<string> {
  const slots = await service.slots()
  if (slots.length === 1) return slots[0]!.slot
  if (slots.length === 0) {
    throw new UserInputError('SEARCH_NO_EMBEDDINGS', 'The database holds no embeddings yet.', {
      hint: 'Run a pipeline with embedding_generator first, e.g. `npm run demo`.',
    })
  }
  throw new UserInputError('SEARCH_SLOT_REQUIRED', `The database holds ${slots.length} embedding slots: ${slots.map((s) => s.slot).join(', ')}.`, {hint})
}
