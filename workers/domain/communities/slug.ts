// A slug is part of invite and calendar URLs, so it is fixed once created and must never
// shadow an app route (/login, /c/..., /invite/...) or look like part of the platform.
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
export const SLUG_MIN = 3;
export const SLUG_MAX = 40;

export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "about", "account", "admin", "administrator", "api", "app", "apps", "assets", "auth", "billing",
  "blog", "c", "calendar", "checkout", "communities", "community", "contact", "dashboard", "dev",
  "docs", "download", "enclave", "events", "explore", "faq", "favicon", "help", "home", "invite",
  "invites", "join", "legal", "login", "logout", "mail", "me", "new", "notifications", "official",
  "operator", "operators", "pricing", "privacy", "public", "register", "reset", "root", "search",
  "security", "settings", "signin", "signout", "signup", "static", "status", "support", "system",
  "terms", "test", "uploads", "user", "users", "verify", "webhooks", "www",
]);

export type SlugProblem = "length" | "characters" | "reserved";

export function slugProblem(slug: string): SlugProblem | null {
  if (slug.length < SLUG_MIN || slug.length > SLUG_MAX) return "length";
  if (!SLUG_PATTERN.test(slug)) return "characters";
  if (RESERVED_SLUGS.has(slug)) return "reserved";
  return null;
}

export const slugProblemMessage: Record<SlugProblem, string> = {
  length: `A slug has ${SLUG_MIN} to ${SLUG_MAX} characters.`,
  characters: "A slug uses a–z, 0–9 and single hyphens, and starts and ends with a letter or digit.",
  reserved: "This slug is reserved.",
};
