// What the Worker hands every loader and action (React Router's typed context).
import { createContext } from "react-router";
import type { Reader, SessionUser } from "../workers/domain/auth/reader";

export type CloudflareContext = {
  env: Env;
  ctx: { waitUntil(promise: Promise<unknown>): void };
  nonce: string;
  /** who is asking, resolved once for the request: loaders and actions pass it to the use cases */
  reader: Reader;
  user: SessionUser | null;
};

export const cloudflareContext = createContext<CloudflareContext>();
