import path from 'node:path'

import {parseDatabaseLocation} from '../db/open-database.js'
import {isNewDataDirectory} from '../db/pglite-create.js'
import type {Database} from '../db/types.js'
import type {Logger} from '../logging/logger.js'
import {openStore} from './open-store.js'

/**
 * An existing embedded database `factflow run` starts opening as soon as its flags are parsed,
 * while the rest of its modules load and the pipeline is read (docs/decisions.md, "The embedded
 * database opens while the run starts"): on a re-run the scraper waits for it before its first
 * request. The runtime `take`s it where it would have opened the database itself; a run that stops
 * before that (an invalid pipeline) `discard`s it, which closes it.
 */
export interface PreopenedDatabase {
  /** The database URL or path it opens (the runtime takes it only for that one). */
  readonly url: string
  /** Hands the opening over (once): from then on the caller closes it. */
  take(): Promise<Database>
  /** Closes it unless it was taken; never throws. */
  discard(): Promise<void>
}

/**
 * Starts opening `url` when it is an embedded database directory that already holds a database.
 * Anything else (PostgreSQL, `memory://`, a directory still to be created, which must wait until
 * the pipeline is known to be valid) is opened by the runtime as before: `undefined`. A directory
 * another process holds fails this opening, unseen: the runtime's own check, before `take`,
 * reports it as before.
 */
export function preopenDatabase(url: string, logger: Logger): PreopenedDatabase | undefined {
  const location = parseDatabaseLocation(url)
  if (location.kind !== 'pglite' || location.dataDir === undefined || isNewDataDirectory(path.resolve(location.dataDir))) return undefined
  const opening = openStore(url, logger)
  opening.catch(() => undefined)
  let taken = false
  return {
    url,
    take() {
      taken = true
      return opening
    },
    async discard() {
      if (taken) return
      taken = true
      await opening.then((db) => db.close(), () => undefined).catch(() => undefined)
    },
  }
}
