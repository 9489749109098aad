import {describe, expect, it} from 'vitest'

import {addressRefusal, checkTargetUrl, classifyAddress} from './address-policy.js'

const closed = {allowPrivate: false, allowLinkLocal: false}

describe('the outbound address policy', () => {
  it.each([
    ['8.8.8.8', 'public'], ['2606:4700::1111', 'public'], ['127.0.0.1', 'private'], ['::1', 'private'], ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'], ['192.168.0.1', 'private'], ['100.64.0.1', 'private'], ['fd00::1', 'private'], ['0.0.0.0', 'private'],
    ['::ffff:127.0.0.1', 'private'], ['::ffff:169.254.169.254', 'link_local'], ['169.254.169.254', 'link_local'], ['fe80::1', 'link_local'],
    ['224.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'], ['64:ff9b::7f00:1', 'reserved'], ['2002:7f00:1::', 'reserved'],
    ['::ffff:a9fe:a9fe', 'link_local'], ['::a9fe:a9fe', 'reserved'], ['64:ff9b::a9fe:a9fe', 'reserved'],
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

  it('reaches the addresses and ranges allow_addresses lists, whatever the switches say', () => {
    const listed = {...closed, allowAddresses: ['127.0.0.1', '10.20.0.0/16', 'fd00::/8', '169.254.169.254']}
    expect(addressRefusal('127.0.0.1', listed)).toBeUndefined()
    expect(addressRefusal('::ffff:127.0.0.1', listed)).toBeUndefined()
    expect(addressRefusal('127.0.0.2', listed)).toMatch(/private/)
    expect(addressRefusal('10.20.3.4', listed)).toBeUndefined()
    expect(addressRefusal('10.21.0.1', listed)).toMatch(/private/)
    expect(addressRefusal('fd12::1', listed)).toBeUndefined()
    expect(addressRefusal('169.254.169.254', listed)).toBeUndefined()
    expect(addressRefusal('169.254.169.253', listed)).toMatch(/link-local/)
  })

  it('checks a URL\'s literal address and the addresses its name resolves to', async () => {
    await expect(checkTargetUrl('http://2130706433/', closed)).rejects.toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
    await expect(checkTargetUrl('http://localhost/', closed)).rejects.toMatchObject({code: 'NETWORK_TARGET_REFUSED', message: expect.stringMatching(/localhost resolves to/)})
    await expect(checkTargetUrl('https://[fe80::1]/', {allowPrivate: true, allowLinkLocal: false})).rejects.toMatchObject({code: 'NETWORK_TARGET_REFUSED'})
    expect((await checkTargetUrl('http://localhost:8/x', {allowPrivate: true, allowLinkLocal: false})).toString()).toBe('http://localhost:8/x')
    expect((await checkTargetUrl('https://1.1.1.1/hook', closed)).host).toBe('1.1.1.1')
  })
})
