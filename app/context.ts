// What the Worker hands every loader and action (React Router's typed context).
import { createContext } from "react-router";
import type { SessionUser } from "../workers/domain/auth/reader";

export type CloudflareContext = {
  env: Env;
  ctx: { waitUntil(promise: Promise<unknown>): void };
  nonce: string;
  user: SessionUser | null;
};

export const cloudflareContext = createContext<CloudflareContext>();
