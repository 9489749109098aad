import {describe, expect, it} from 'vitest'

import {addressRefusal, checkTargetUrl, classifyAddress} from './address-policy.js'

const closed = {allowPrivate: false, allowLinkLocal: false}

describe('the outbound address policy', () => {
  it.each([
    ['8.8.8.8', 'public'], ['2606:4700::1111', 'public'], ['127.0.0.1', 'private'], ['::1', 'private'], ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'], ['192.168.0.1', 'private'], ['100.64.0.1', 'private'], ['fd00::1', 'private'], ['0.0.0.0', 'private'],
    ['::ffff:127.0.0.1', 'private'], ['::ffff:169.254.169.254', 'link_local'], ['169.254.169.254', 'link_local'], ['fe80::1', 'link_local'],
    ['224.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'], ['64:ff9b::7f00:1', 'reserved'], ['2002:7f00:1::', 'reserved'],
  ])('classifies %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })

  it('allows private and link-local ranges only by their own settings, and reserved ones never', () => {
    expect(addressRefusal('10.0.0.1', closed)).toMatch(/private address \(network.allow_private is false\)/)
    expect(addressRefusal('10.0.0.1', {allowPrivate: true, allowLinkLocal: false})).toBeUndefined()
    expect(addressRefusal('169.254.169.254', {allowPrivate: true, allowLinkLocal: false})).toMatch(/link-local/)
    expect(addressRefusal('169.254.169.254', {allowPrivate: false, allowLinkLocal: true})).toBeUndefined()
    expect(addressRefusal('224.0.0.1', {allowPrivate: true, allowLinkLocal: true})).toMatch(/reserved/)
  })

  it('checks a URL\'s literal address and the addresses its name resolves to', async () => {
    await expect(checkTargetUrl('http://2130706433/', closed)).rejects.toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
    await expect(checkTargetUrl('http://localhost/', closed)).rejects.toMatchObject({code: 'NETWORK_TARGET_REFUSED', message: expect.stringMatching(/localhost resolves to/)})
    await expect(checkTargetUrl('https://[fe80::1]/', {allowPrivate: true, allowLinkLocal: false})).rejects.toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
    expect((await checkTargetUrl('http://localhost:8/x', {allowPrivate: true, allowLinkLocal: false})).toString()).toBe('http://localhost:8/x')
    expect((await checkTargetUrl('https://1.1.1.1/hook', closed)).host).toBe('1.1.1.1')
  })
})
