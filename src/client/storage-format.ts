import type {StorageListing, StorageObjectCreated, StorageObjectResource} from '../api/storage-schemas.js'
import {formatTable} from '../cli/format-table.js'

/** Bytes as B, KB, MB, GB (powers of 1024, one decimal from KB up). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** A listing as a table: common prefixes first (SIZE `-`, TYPE `prefix`), then objects. */
export function listingTable(listing: StorageListing): string {
  if (listing.objects.length === 0 && listing.common_prefixes.length === 0) return 'No objects.\n'
  return formatTable(['KEY', 'SIZE', 'TYPE', 'MODIFIED'], [
    ...listing.common_prefixes.map((prefix) => [prefix, '-', 'prefix', '']),
    ...listing.objects.map((o) => [o.key, formatBytes(o.size), o.content_type, o.last_modified]),
  ])
}

export function metadataText(object: StorageObjectResource): string {
  const fields: Array<[string, unknown]> = [
    ['key', object.key], ['size', `${formatBytes(object.size)} (${object.size} bytes)`], ['content type', object.content_type],
    ['modified', object.last_modified], ...Object.entries(object.metadata ?? {}),
  ]
  const width = Math.max(...fields.map(([name]) => name.length)) + 2
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width)}${typeof value === 'string' ? value : JSON.stringify(value)}\n`).join('')
}

/** One line of `storage watch`. */
export function createdLine(at: string, object: StorageObjectCreated): string {
  return `${at}  ${object.key}  ${formatBytes(object.size)}  ${object.content_type}\n`
}
