import type { Config } from "@react-router/dev/config";

// this file runs in Node; the project's types are the Worker's, which have no `process`
declare const process: { env: Record<string, string | undefined> };

export default {
  ssr: true,
  // benchmarks build elsewhere (bench/harness.mjs), so a running `npm start` keeps serving build/
  buildDirectory: process.env.ENCLAVE_BUILD_DIR || "build",
} satisfies Config;
