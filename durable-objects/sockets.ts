// What every Durable Object that holds hibernating WebSockets does alike (the chat channel, the
// community's presence).

/**
 * Answer a close the client started, first thing in `webSocketClose`: the hibernation API does not
 * answer it for us on any compatibility date, and a client left unanswered waits for its own
 * timeout and reports 1006. The codes a peer may not send (1005 no status, 1006 abnormal, 1015
 * TLS) are answered 1000. After a close the object started (4403, 4404, 4408, 4409) this does nothing.
 */
export function answerClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code === 1005 || code === 1006 || code === 1015 ? 1000 : code, reason);
  } catch {
    /* already closed */
  }
}
