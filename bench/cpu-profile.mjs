// A V8 CPU profile of a wrangler dev Worker's isolate through the inspector wrangler opens
// (`--inspector-port`), over the Chrome DevTools Protocol (Profiler domain): which functions of
// the app spend the CPU a benchmark step costs. Used by bench/chat-fanout.mjs `--profile`.
// Sources: https://chromedevtools.github.io/devtools-protocol/tot/Profiler/ ; the profile format
// is what DevTools loads (a .cpuprofile file).
import WebSocket from "ws";

/**
 * Starts profiling the first debuggable target on the inspector at `port`.
 * @param {number} port the inspector port (`wrangler dev --inspector-port`)
 * @param {number} [intervalUs=200] sampling interval in microseconds
 * @returns {Promise<{ stop: () => Promise<object> }>} `stop()` answers the profile (nodes, samples, timeDeltas in µs)
 * @throws when the inspector lists no target or the socket fails
 */
export async function startProfile(port, intervalUs = 200) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error(`no debuggable target on inspector port ${port}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => (socket.once("open", resolve), socket.once("error", reject)));
  let next = 1;
  const waiting = new Map();
  socket.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && waiting.has(msg.id)) {
      waiting.get(msg.id)(msg);
      waiting.delete(msg.id);
    }
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return {
    async stop() {
      const { profile } = await call("Profiler.stop");
      socket.close();
      return profile;
    },
  };
}

/**
 * Self time per function in a CPU profile, highest first.
 * @param {{ nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number } }>, samples: number[], timeDeltas: number[] }} profile
 * @param {number} [top=30] how many rows
 * @returns {{ totalMs: number, rows: Array<{ ms: number, share: number, name: string }> }} times in milliseconds; share of all sampled time, idle included
 */
export function selfTimes(profile, top = 30) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)?.callFrame;
    const file = f?.url ? f.url.split("/").slice(-2).join("/") : "";
    const key = f ? `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}` : "?";
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ ms: us / 1000, share: us / total, name }));
  return { totalMs: total / 1000, rows };
}
