import {MANUALS, missingManuals, type ManualName} from '../../bench/lib/corpus-site.js'

export {MANUALS, startCorpusSite, type CorpusSite, type CorpusSiteOptions, type ManualName} from '../../bench/lib/corpus-site.js'

/**
 * Resolves true when the Debian manuals `names` are installed. When one is missing: under CI
 * (`CI=true`) throws (the suite fails: `.ci/run` installs them), otherwise prints a notice and
 * resolves false so the caller can `describe.skipIf` (the convention of `services.ts`).
 */
export async function corpusAvailable(names: ManualName[] = ['python', 'postgresql']): Promise<boolean> {
  const missing = await missingManuals(names)
  if (missing.length === 0) return true
  const what = missing.map((name) => `${MANUALS[name].dir} (apt-get install ${MANUALS[name].package})`).join(', ')
  if (process.env.CI === 'true') throw new Error(`The documentation corpus is required in CI but missing: ${what}`)
  console.warn(`[skip] the documentation corpus is missing: ${what}; its tests are skipped on this machine`)
  return false
}
