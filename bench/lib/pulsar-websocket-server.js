// Plain JavaScript so the broker benchmark can run it without a build; types in the .d.ts beside it,
// tests import it through test/helpers/pulsar-websocket-server.ts.
import http from 'node:http'
import {WebSocket, WebSocketServer} from 'ws'
const PATH = /^\/ws\/v2\/(producer|consumer)\/(persistent|non-persistent)\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/
const TYPES = new Set(['Exclusive', 'Shared', 'Failover', 'Key_Shared'])
/**
 * A stand-in for Apache Pulsar's WebSocket service (`/ws/v2/…`, as documented in "Pulsar WebSocket
 * API" and implemented by the proxy's ProducerHandler / ConsumerHandler), on 127.0.0.1. No Pulsar
 * broker exists on these machines: the queue provider's tests run against this, and against a
 * real one when `FACTFLOW_TEST_PULSAR_URL` is set.
 *
 * What it speaks, and only that:
 * - Producer `/ws/v2/producer/{persistent|non-persistent}/{tenant}/{namespace}/{topic}`: a text
 *   frame `{payload (base64), properties?, context?}` is stored and answered
 *   `{result: "ok", messageId, context}`; a payload that is not base64 gets
 *   `{result: "send-error:…", errorMsg, context}`.
 * - Consumer `/ws/v2/consumer/…/{topic}/{subscription}` with `subscriptionType` (default
 *   `Exclusive`: a second consumer is refused 409, as Pulsar does), `receiverQueueSize` (at most
 *   1000 unacked pushed, default 1000), `pullMode` (nothing pushed without `{type: "permit",
 *   permitMessages}`), `negativeAckRedeliveryDelay` (ms, default 60 000). Pushes
 *   `{messageId, payload, properties, publishTime, redeliveryCount}`; takes `{messageId}` (ack),
 *   `{type: "negativeAcknowledge", messageId}`, `{type: "unsubscribe"}` (refused while the
 *   subscription has other consumers: the socket is closed with an error, as the proxy does).
 * - A subscription is created by its first consumer and starts at the end of the topic (messages
 *   published before it existed are not in it); Shared subscriptions hand messages round robin to
 *   consumers with room; a closed consumer's unacked messages are redelivered first with their
 *   `redeliveryCount` raised, as are negatively acknowledged ones after the delay.
 * - `token`: when set, the upgrade needs `Authorization: Bearer <token>` (401 otherwise).
 */
export async function startPulsarWebSocketServer(options = {}) {
  const topics = new Map()
  const sockets = new Set()
  const wss = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 })
  let upgrades = 0
  const topicOf = (name) => {
    let topic = topics.get(name)
    if (topic === undefined) {
      topic = { name, entries: new Map(), nextEntry: 0, subscriptions: new Map(), producers: new Set() }
      topics.set(name, topic)
    }
    return topic
  }
  const messageId = (topic, entry) => Buffer.from(`${topic.name}#${entry}`).toString('base64')
  const entryOf = (id) => {
    if (typeof id !== 'string')
      return undefined
    const text = Buffer.from(id, 'base64').toString('utf8')
    const entry = Number(text.slice(text.lastIndexOf('#') + 1))
    return Number.isInteger(entry) ? entry : undefined
  }
  /** Forgets an entry once no subscription still holds it. */
  const collect = (topic, entry) => {
    for (const sub of topic.subscriptions.values()) {
      const waiting = sub.head < sub.backlog.length && entry >= sub.backlog[sub.head] && sub.backlog.includes(entry, sub.head)
      if (waiting || sub.unacked.has(entry) || sub.replay.includes(entry))
        return
    }
    topic.entries.delete(entry)
  }
  /** Pulsar deletes a topic with no producer and no subscription (after a minute; here at once). */
  const dropIfInactive = (topic) => {
    if (topic.producers.size === 0 && topic.subscriptions.size === 0)
      topics.delete(topic.name)
  }
  const dispatch = (topic, sub) => {
    for (;;) {
      const fromReplay = sub.replay.length > 0
      if (!fromReplay && sub.head >= sub.backlog.length)
        break
      const consumer = pickConsumer(sub)
      if (consumer === undefined)
        break
      const entry = fromReplay ? sub.replay.shift() : sub.backlog[sub.head++]
      if (sub.head > 1024 && sub.head * 2 > sub.backlog.length) {
        sub.backlog = sub.backlog.slice(sub.head)
        sub.head = 0
      }
      const message = topic.entries.get(entry)
      if (message === undefined)
        continue
      sub.unacked.set(entry, consumer)
      consumer.pending++
      if (consumer.pullMode)
        consumer.permits--
      consumer.socket.send(JSON.stringify({
        messageId: messageId(topic, entry), payload: message.payload, properties: message.properties,
        publishTime: message.publishTime, redeliveryCount: sub.redeliveries.get(entry) ?? 0,
      }))
    }
  }
  const pickConsumer = (sub) => {
    const count = sub.consumers.length
    for (let i = 0; i < count; i++) {
      const consumer = sub.consumers[(sub.next + i) % count]
      const room = consumer.pullMode ? consumer.permits > 0 : consumer.pending < consumer.maxPending
      if (room && consumer.socket.readyState === WebSocket.OPEN) {
        sub.next = (sub.next + i + 1) % count
        return consumer
      }
    }
    return undefined
  }
  const redeliver = (topic, sub, entry) => {
    if (!topic.subscriptions.has(sub.name) || !topic.entries.has(entry))
      return
    sub.redeliveries.set(entry, (sub.redeliveries.get(entry) ?? 0) + 1)
    let at = sub.replay.findIndex((e) => e > entry)
    if (at === -1)
      at = sub.replay.length
    sub.replay.splice(at, 0, entry)
  }
  const settle = (consumer, raw) => {
    let command
    try {
      command = JSON.parse(raw)
    }
    catch {
      consumer.socket.close(1003, 'Failed to deserialize from JSON')
      return
    }
    const { topic, subscription: sub } = consumer
    if (command.type === 'permit') {
      if (typeof command.permitMessages !== 'number')
        return void consumer.socket.close(1011, 'Missing required permitMessages field')
      if (consumer.pullMode)
        consumer.permits += command.permitMessages
    }
    else if (command.type === 'unsubscribe') {
      if (sub.consumers.length > 1)
        return void consumer.socket.close(1011, 'Unconnected or shared consumer attempting to unsubscribe')
      topic.subscriptions.delete(sub.name)
      sub.consumers.length = 0
      for (const entry of [...topic.entries.keys()])
        collect(topic, entry)
      dropIfInactive(topic)
      consumer.socket.close(1000, 'unsubscribed')
      return
    }
    else {
      const entry = entryOf(command.messageId)
      if (entry === undefined)
        return void consumer.socket.close(1003, 'Failed to deserialize message id')
      if (sub.unacked.get(entry) === undefined)
        return
      sub.unacked.delete(entry)
      if (!consumer.pullMode)
        consumer.pending = Math.max(0, consumer.pending - 1)
      if (command.type === 'negativeAcknowledge') {
        setTimeout(() => {
          redeliver(topic, sub, entry)
          dispatch(topic, sub)
        }, consumer.nackDelayMs).unref()
      }
      else {
        sub.redeliveries.delete(entry)
        collect(topic, entry)
      }
    }
    dispatch(topic, sub)
  }
  const consumerClosed = (consumer) => {
    const { topic, subscription: sub } = consumer
    const at = sub.consumers.indexOf(consumer)
    if (at === -1)
      return
    sub.consumers.splice(at, 1)
    for (const [entry, holder] of [...sub.unacked]) {
      if (holder !== consumer)
        continue
      sub.unacked.delete(entry)
      redeliver(topic, sub, entry)
    }
    dispatch(topic, sub)
  }
  const produce = (topic, socket, raw) => {
    let message
    try {
      message = JSON.parse(raw)
    }
    catch {
      socket.send(JSON.stringify({ result: 'send-error:1', errorMsg: 'Failed to deserialize from JSON' }))
      return
    }
    const context = message.context
    if (typeof message.payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(message.payload) || message.payload.length % 4 !== 0) {
      socket.send(JSON.stringify({ result: 'send-error:3', errorMsg: 'Failed to decode payload', context }))
      return
    }
    const properties = {}
    for (const [key, value] of Object.entries((message.properties ?? {})))
      properties[key] = String(value)
    const entry = topic.nextEntry++
    topic.entries.set(entry, { entry, payload: message.payload, properties, publishTime: new Date().toISOString() })
    for (const sub of topic.subscriptions.values())
      sub.backlog.push(entry)
    if (topic.subscriptions.size === 0)
      topic.entries.delete(entry); // no subscription: nothing retains it
    socket.send(JSON.stringify({ result: 'ok', messageId: messageId(topic, entry), context }))
    for (const sub of topic.subscriptions.values())
      dispatch(topic, sub)
  }
  const refuse = (socket, status, text, body) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  const server = http.createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"reason":"not found"}')
  })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const match = PATH.exec(url.pathname)
    if (match === null || (match[1] === 'consumer') !== (match[6] !== undefined))
      return refuse(socket, 404, 'Not Found', 'Invalid topic name format')
    if (options.token !== undefined) {
      const bearer = request.headers.authorization === `Bearer ${options.token}` || url.searchParams.get('token') === options.token
      if (!bearer)
        return refuse(socket, 401, 'Unauthorized', 'Authentication required')
    }
    const [, role, domain, tenant, namespace, local, subscriptionName] = match
    const topic = topicOf(`${domain}://${decodeURIComponent(tenant)}/${decodeURIComponent(namespace)}/${decodeURIComponent(local)}`)
    let consumer
    if (role === 'consumer') {
      const type = url.searchParams.get('subscriptionType') ?? 'Exclusive'
      if (!TYPES.has(type))
        return refuse(socket, 400, 'Bad Request', `Invalid query params: Invalid subscriptionType ${type}`)
      const name = decodeURIComponent(subscriptionName)
      let sub = topic.subscriptions.get(name)
      if (sub === undefined) {
        sub = { name, type: type, backlog: [], head: 0, replay: [], unacked: new Map(), redeliveries: new Map(), consumers: [], next: 0 }
        topic.subscriptions.set(name, sub)
      }
      else if (sub.consumers.length > 0 && (sub.type !== type || type === 'Exclusive')) {
        return refuse(socket, 409, 'Conflict', 'Failed to subscribe: Exclusive consumer is already connected')
      }
      sub.type = type
      const queueSize = Number(url.searchParams.get('receiverQueueSize') ?? 1000)
      const nackDelay = Number(url.searchParams.get('negativeAckRedeliveryDelay') ?? 60_000)
      consumer = {
        socket: undefined, subscription: sub, topic, maxPending: Math.max(1, Math.min(queueSize, 1000)), pending: 0,
        pullMode: url.searchParams.get('pullMode') === 'true', permits: 0, nackDelayMs: Number.isFinite(nackDelay) ? nackDelay : 60_000,
      }
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      upgrades++
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      if (consumer === undefined) {
        topic.producers.add(ws)
        ws.on('message', (data) => produce(topic, ws, data.toString()))
        ws.on('close', () => {
          topic.producers.delete(ws)
          dropIfInactive(topic)
        })
        return
      }
      const current = consumer
      current.socket = ws
      current.subscription.consumers.push(current)
      ws.on('message', (data) => settle(current, data.toString()))
      ws.on('close', () => consumerClosed(current))
      dispatch(topic, current.subscription)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return {
    url: `pulsar://127.0.0.1:${port}`,
    port,
    get upgrades() {
      return upgrades
    },
    topic(name) {
      const topic = topics.get(name)
      if (topic === undefined)
        return undefined
      const subscriptions = {}
      for (const sub of topic.subscriptions.values()) {
        subscriptions[sub.name] = { backlog: sub.backlog.length - sub.head + sub.replay.length, unacked: sub.unacked.size, consumers: sub.consumers.length }
      }
      return { subscriptions, producers: topic.producers.size, stored: topic.entries.size }
    },
    topicNames: () => [...topics.keys()],
    dropConnections() {
      for (const socket of sockets)
        socket.terminate()
    },
    async close() {
      for (const socket of sockets)
        socket.terminate()
      wss.close()
      await new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
