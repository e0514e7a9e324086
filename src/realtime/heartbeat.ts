/**
 * How dead peers are found. No connection is closed for being quiet: a dashboard that only
 * listens is the normal case. A peer that stops answering the heartbeat is gone, though, and
 * holds a connection slot until it is closed (docs/protocol.md, "Timeouts").
 */

/** Engine.IO pings every socket this often; Socket.IO clients answer by themselves. */
export const PING_INTERVAL_MS = 25_000;
/** A socket that has not answered a ping this long after it was sent is closed ("ping timeout"). */
export const PING_TIMEOUT_MS = 20_000;
/** Silence after which Socket.IO closes a connection: the `idleTimeoutSeconds` of its sessions. */
export const SOCKET_IO_DEAD_AFTER_SECONDS = (PING_INTERVAL_MS + PING_TIMEOUT_MS) / 1000;
/** A plain WebSocket that answers none of this many pings in a row (STREAM_HEARTBEAT_SECONDS apart) is closed. */
export const WS_MISSED_PINGS = 3;
