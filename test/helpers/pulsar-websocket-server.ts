// The Pulsar WebSocket-protocol fake lives in bench/lib (plain JavaScript, shared with bench/brokers.js).
export {startPulsarWebSocketServer, type PulsarWebSocketServer} from '../../bench/lib/pulsar-websocket-server.js'
