import type {Logger} from '../logging/logger.js'
import type {StorageCreatedEvent, StoredObject} from './types.js'

type CreatedListener = (event: StorageCreatedEvent) => void

/** The `storage.object.created` fan-out shared by every ObjectStore implementation. */
export interface CreatedEmitter {
  on(listener: CreatedListener): () => void
  emit(object: StoredObject & {metadata: StorageCreatedEvent['metadata']}): void
}

/**
 * Listeners run synchronously after the object is durable. A throwing listener never fails the
 * put that triggered it (the object is already written); its error goes to the logger.
 */
export function createCreatedEmitter(logger?: Logger): CreatedEmitter {
  const listeners = new Set<CreatedListener>()
  return {
    on(listener) {
      // Wrapped so that subscribing the same function twice gives two independent subscriptions.
      const entry: CreatedListener = (event) => listener(event)
      listeners.add(entry)
      return () => { listeners.delete(entry) }
    },
    emit(object) {
      if (listeners.size === 0) return
      const event: StorageCreatedEvent = {
        type: 'storage.object.created',
        key: object.key,
        size: object.size,
        content_type: object.content_type,
        metadata: object.metadata,
      }
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch (error) {
          logger?.warn({err: error, key: object.key}, 'storage.object.created listener threw')
        }
      }
    },
  }
}
