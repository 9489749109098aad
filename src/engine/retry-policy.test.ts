import {describe, expect, it} from 'vitest'

import {MAX_RETRY_DELAY_MS, retryDelayMs} from './retry-policy.js'

const policy = {max_retries: 3, retry_delay_seconds: 2, backoff: 'exponential' as const}

describe('retryDelayMs', () => {
  it('doubles the delay per attempt under exponential backoff, with up to half of it random', () => {
    expect(retryDelayMs(policy, 1, () => 0)).toBe(1000)
    expect(retryDelayMs(policy, 1, () => 1)).toBe(2000)
    expect(retryDelayMs(policy, 3, () => 1)).toBe(8000)
  })

  it('keeps the delay constant under fixed backoff', () => {
    expect(retryDelayMs({...policy, backoff: 'fixed'}, 5, () => 1)).toBe(2000)
  })

  it('caps the delay at five minutes', () => {
    expect(retryDelayMs(policy, 30, () => 1)).toBe(MAX_RETRY_DELAY_MS)
  })
})
