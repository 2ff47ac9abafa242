// The actions (and the few loaders) not yet moved to the use cases (lib/use-case.server.ts, ADR
// 022) still call the public API in-process with the visitor's cookie: their bodies are validated
// by the API's zod schemas and cleaned by its middleware. Each moves when those do; then this goes.
import { createWorkerApp } from "../../workers/server";
import type { CloudflareContext } from "../context";

const inner = createWorkerApp();

export type ApiResult<T> = { ok: true; status: number; data: T; headers: Headers } | { ok: false; status: number; error: { code: string; message: string; [k: string]: unknown }; headers: Headers };

export async function apiFetch<T = unknown>(
  cf: CloudflareContext,
  request: Request,
  path: string,
  init: { method?: string; body?: unknown; accept?: string } = {},
): Promise<ApiResult<T>> {
  const url = new URL(path, request.url);
  const headers = new Headers();
  const cookie = request.headers.get("Cookie");
  if (cookie) headers.set("Cookie", cookie);
  headers.set("Origin", url.origin);
  headers.set("Accept", init.accept ?? "application/json");
  const acceptLanguage = request.headers.get("Accept-Language");
  if (acceptLanguage) headers.set("Accept-Language", acceptLanguage);
  const forwarded = request.headers.get("CF-Connecting-IP");
  if (forwarded) headers.set("CF-Connecting-IP", forwarded);
  let body: string | undefined;
  if (init.body !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.body);
  }
  const res = await inner.fetch(new Request(url, { method: init.method ?? "GET", headers, body }), cf.env, cf.ctx as ExecutionContext);
  const text = await res.text();
  const isJson = (res.headers.get("Content-Type") ?? "").includes("json");
  const json = text && isJson ? (JSON.parse(text) as unknown) : text || null;
  if (res.ok) return { ok: true, status: res.status, data: json as T, headers: res.headers };
  const error = (json as { error?: { code: string; message: string } } | null)?.error ?? { code: "error", message: res.statusText };
  return { ok: false, status: res.status, error, headers: res.headers };
}

/** Set-Cookie headers from an API answer, to pass on to the browser (login, logout). */
export function forwardCookies(result: ApiResult<unknown>): Headers {
  const out = new Headers();
  for (const value of result.headers.getSetCookie()) out.append("Set-Cookie", value);
  return out;
}
