// How long a client waits for a chat socket to end (issue 12 follow-up: "close takes ~2 s in
// browsers"). A browser fires `close` only when the server ends the TCP connection after the close
// handshake; Chromium gives up waiting after 2 s. This speaks WebSocket over a raw TCP socket to
// the app's ChatChannel object under wrangler dev (bench/chat-close-worker.ts) and times, per case,
// the close frame's arrival and the server's FIN after the client answered it:
//   revoked, silent    the object closes 4403 (revoke over RPC) a socket that never sent a frame
//   revoked, pinged    the same after one "ping" on open (what app/lib/chat-socket.ts now sends)
//   client closes      the client sends 1000 and waits for the answer and the FIN
// Not part of `npm test`. Run: npm run bench:chat-close  (about 40 s; prints a table)
import { randomBytes } from "node:crypto";
import net from "node:net";
import { join } from "node:path";
import { cleanUp, here, log, startServer, stopped } from "./harness.mjs";

const PORT = 8794;
const ROUNDS = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 3;
/** past this the case counts as "no FIN": the object hibernates after ~10 s and frees it then */
const WAIT_MS = 6_000;

/** One masked client frame (RFC 6455 §5.2), payload under 126 bytes. */
const frame = (opcode, payload) => {
  const mask = randomBytes(4);
  const data = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | data.length]), mask, Buffer.from(data.map((b, i) => b ^ mask[i % 4]))]);
};

/** Runs one case on a fresh connection; answers { closeFrameMs, closeCode, finMs } (finMs null: none within WAIT_MS). */
function runCase(kind, user) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(PORT, "127.0.0.1");
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let started = 0;
    let handshakeDone = 0;
    const result = { closeFrameMs: null, closeCode: null, finMs: null };
    const timer = setTimeout(() => finish(), WAIT_MS);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write(
        `GET /socket?user=${user} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on("data", async (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!buffer.subarray(0, end).toString().startsWith("HTTP/1.1 101")) return reject(new Error(buffer.subarray(0, end).toString()));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        if (kind === "pinged") socket.write(frame(1, "ping"));
        await new Promise((r) => setTimeout(r, 200));
        started = performance.now();
        if (kind === "client") socket.write(frame(8, Buffer.from([0x03, 0xe8])));
        else void fetch(`http://127.0.0.1:${PORT}/revoke?user=${user}&epoch=1`);
      }
      // frames from the server are unmasked; the ones here (ready, pong, close) are short
      while (buffer.length >= 2) {
        const length = buffer[1] & 0x7f;
        const header = length === 126 ? 4 : 2;
        const size = length === 126 ? buffer.readUInt16BE(2) : length;
        if (buffer.length < header + size) return;
        const opcode = buffer[0] & 0x0f;
        const payload = buffer.subarray(header, header + size);
        buffer = buffer.subarray(header + size);
        if (opcode === 8 && started) {
          result.closeFrameMs = performance.now() - started;
          result.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : null;
          handshakeDone = performance.now();
          if (kind !== "client") socket.write(frame(8, payload.subarray(0, 2)));
        }
      }
    });
    socket.on("end", () => {
      if (handshakeDone) result.finMs = performance.now() - handshakeDone;
      finish();
    });
  });
}

const fmt = (ms) => (ms === null ? `none in ${WAIT_MS / 1000} s` : `${ms.toFixed(0)} ms`);

try {
  await startServer(["-c", join(here, "wrangler.chat-close.toml")], PORT, "/");
  const rows = [];
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ["silent", "pinged", "client"]) {
      const r = await runCase(kind, `usr_close${n++}`);
      rows.push({ kind, ...r });
      log(`${kind}: close ${r.closeCode} after ${fmt(r.closeFrameMs)}, FIN ${fmt(r.finMs)} after the handshake`);
    }
  }
  console.log("\n| case | close frame | server FIN after the handshake |\n|---|---|---|");
  for (const kind of ["silent", "pinged", "client"]) {
    const mine = rows.filter((r) => r.kind === kind);
    console.log(`| ${kind} | ${mine.map((r) => fmt(r.closeFrameMs)).join(", ")} | ${mine.map((r) => fmt(r.finMs)).join(", ")} |`);
  }
} catch (error) {
  stopped(error);
} finally {
  await cleanUp();
}
