// Types of pulsar-websocket-server.js (plain JavaScript so the benchmarks can run it without a build).

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
export interface PulsarWebSocketServer {
  /** `pulsar://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** Topics (`persistent://t/ns/x`) with their subscriptions, producers and stored messages. */
  topic(name: string): {
    subscriptions: Record<string, {
      backlog: number
      unacked: number
      consumers: number
    }>
    producers: number
    stored: number
  } | undefined
  topicNames(): string[]
  /** Upgrades answered so far (producers and consumers). */
  readonly upgrades: number
  /** Terminates every open WebSocket, keeping what is stored (a broker restart). */
  dropConnections(): void
  close(): Promise<void>
}
export declare function startPulsarWebSocketServer(options?: {
  token?: string
}): Promise<PulsarWebSocketServer>
