/**
 * `FACTFLOW_DB_SYNC`: `on` (default) syncs the embedded database's files (and `factflow run`'s objects) to disk when it closes;
 * `off` leaves them to the OS's write-back (≈30 s on Linux), for scratch runs.
 */
export function syncOnClose(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.FACTFLOW_DB_SYNC?.trim().toLowerCase()
  return !(raw === 'off' || raw === '0' || raw === 'false' || raw === 'no')
}
