import {setTimeout as sleep} from 'node:timers/promises'

/** Whether `promise` has settled once pending callbacks (microtasks, a timer turn) have run. */
export async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => { done = true }, () => { done = true })
  await sleep(0)
  return done
}
