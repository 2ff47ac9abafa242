// The chat fan-out benchmark's clients (bench/chat-fanout.mjs), one worker thread of them: each
// thread holds its share of the N sockets of every system under test, sends what the main
// thread's pacer tells it to, and times every delivery. Latency is arrival minus the sender's
// timestamp in the message body, both read from process.hrtime (CLOCK_MONOTONIC, one clock for all
// threads of the process).
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { io } from "socket.io-client";

/** 0.1 ms buckets up to 60 s; a later delivery counts as 60 s. */
const BUCKET_MS = 0.1;
const BUCKETS = 600_000;
const CONNECT_AT_ONCE = 25;

const clock = () => Number(process.hrtime.bigint()) / 1e6;
const systems = new Map(); // name → { clients: [{ socket, send, rev, seenRev, got }], transport }
let active = null; // { name, step, expected, hist, max, unique, dups, errors, refused, closed, elu }

function receive(client, messages) {
  const now = clock();
  for (const m of messages) {
    if (typeof m.rev === "number" && m.rev > client.rev) client.rev = m.rev;
    const a = active;
    if (!a || typeof m.body !== "string") continue;
    const parts = m.body.split(" ");
    if (parts[0] !== "bench" || parts[1] !== a.tag) continue;
    const k = Number(parts[2]);
    if (!(k >= 0 && k < a.expected)) continue;
    if (client.got[k]) {
      a.dups++;
      continue;
    }
    client.got[k] = 1;
    a.unique++;
    const latency = now - Number(parts[3]);
    if (latency > a.max) a.max = latency;
    a.hist[Math.min(BUCKETS - 1, Math.max(0, Math.floor(latency / BUCKET_MS)))]++;
  }
}

function onFrame(client, data) {
  let frame;
  try {
    frame = JSON.parse(typeof data === "string" ? data : data.toString());
  } catch {
    return;
  }
  if (frame.type === "ready") client.confirmEvery = frame.confirmEvery ?? 1;
  else if (frame.type === "messages") {
    receive(client, frame.messages);
    // as the web app does (app/lib/chat-socket.ts): confirm by the channel's count, not the clock
    if (client.confirmEvery && client.rev - client.seenRev >= client.confirmEvery) confirm(client);
  }
  else if (frame.type === "error" && active) {
    active.errors[frame.code] = (active.errors[frame.code] ?? 0) + 1;
    if (frame.clientId) active.refused++;
  }
}

function connectOne(transport, url, headers) {
  return new Promise((resolve) => {
    const client = { socket: null, send: null, rev: 0, seenRev: 0, confirmEvery: 0, got: new Uint8Array(0) };
    const done = (ok, why) => resolve(ok ? { client } : { error: why });
    if (transport === "socketio") {
      const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 45_000 });
      client.socket = socket;
      client.send = (frame) => socket.emit("send", frame);
      socket.on("messages", (payload) => receive(client, payload.messages));
      socket.on("disconnect", () => active && active.closed++);
      socket.once("connect", () => done(true));
      socket.once("connect_error", (e) => done(false, String(e.message ?? e)));
      return;
    }
    const socket = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: 45_000 });
    client.socket = socket;
    client.send = (frame) => socket.send(JSON.stringify(frame));
    socket.on("message", (data) => onFrame(client, data));
    socket.on("close", () => active && active.closed++);
    socket.once("open", () => done(true));
    socket.once("error", (e) => done(false, String(e.message ?? e)));
    socket.once("unexpected-response", (_req, res) => done(false, `HTTP ${res.statusCode}`));
  });
}

function confirm(client) {
  if (client.rev > client.seenRev && client.socket.readyState === WebSocket.OPEN) {
    client.seenRev = client.rev;
    client.socket.send(JSON.stringify({ type: "seen", rev: client.rev }));
  }
}

// and what is left unconfirmed later, each client at its own time (the web app waits 30–60 s after
// the first unconfirmed change, app/lib/chat-socket.ts SEEN_AFTER_MS): a 45th of the clients each
// second, not all at once
const SEEN_EVERY_S = 45;
let tick = 0;
setInterval(() => {
  tick++;
  for (const system of systems.values()) {
    if (system.transport === "socketio") continue;
    system.clients.forEach((client, i) => (i + tick) % SEEN_EVERY_S === 0 && confirm(client));
  }
}, 1000).unref();

const handlers = {
  async connect({ name, transport, targets }) {
    const clients = [];
    const errors = [];
    let todo = targets;
    // a loaded wrangler dev lets some handshakes time out: those are tried again, twice
    for (let attempt = 0; attempt < 3 && todo.length > 0; attempt++) {
      const failed = [];
      for (let i = 0; i < todo.length; i += CONNECT_AT_ONCE) {
        const slice = todo.slice(i, i + CONNECT_AT_ONCE);
        const batch = await Promise.all(slice.map((t) => connectOne(transport, t.url, t.headers)));
        batch.forEach((r, j) => {
          if (r.client) clients.push(Object.assign(r.client, { at: slice[j].index }));
          else failed.push(slice[j]), errors.push(r.error);
        });
      }
      todo = failed;
    }
    // the pacer addresses a client by its place in the thread's share
    clients.sort((a, b) => a.at - b.at);
    systems.set(name, { clients, transport });
    return { connected: clients.length, errors: errors.slice(-3) };
  },
  start({ name, tag, expected }) {
    for (const client of systems.get(name).clients) client.got = new Uint8Array(expected);
    active = { name, tag, expected, hist: new Uint32Array(BUCKETS), max: 0, unique: 0, dups: 0, errors: {}, refused: 0, closed: 0, elu: performance.eventLoopUtilization() };
    return {};
  },
  count() {
    return { unique: active?.unique ?? 0 };
  },
  stop() {
    const a = active;
    active = null;
    const elu = performance.eventLoopUtilization(a.elu).utilization;
    // only the used buckets cross the thread boundary
    const used = [];
    for (let i = 0; i < BUCKETS; i++) if (a.hist[i]) used.push(i, a.hist[i]);
    return { unique: a.unique, dups: a.dups, max: a.max, errors: a.errors, refused: a.refused, closed: a.closed, elu, used };
  },
  close({ name }) {
    const system = systems.get(name);
    if (!system) return {};
    for (const c of system.clients) (system.transport === "socketio" ? c.socket.disconnect() : c.socket.terminate());
    systems.delete(name);
    return {};
  },
};

parentPort.on("message", async (msg) => {
  if (msg.cmd === "send") {
    // the pacer's order: stamp at the last moment, so a busy thread shows as a lower send rate, not as latency
    const client = systems.get(msg.name).clients[msg.local];
    client.send({ type: "send", clientId: msg.clientId, body: `bench ${msg.tag} ${msg.k} ${clock().toFixed(3)}` });
    return;
  }
  const reply = await handlers[msg.cmd](msg);
  parentPort.postMessage({ id: msg.id, ...reply });
});
void workerData;
