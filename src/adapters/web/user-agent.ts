import {factflowVersion} from '../../config/factflow-version.js'

/** `factflow/<version>`, the version of the factflow package (just `factflow` when it is unknown). */
export function defaultUserAgent(): string {
  const version = factflowVersion()
  return version === undefined ? 'factflow' : `factflow/${version}`
}
