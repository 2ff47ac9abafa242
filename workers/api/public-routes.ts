// The routes anyone may call signed out, in one place: the validation hook answers 401 before 400
// on every other route (a signed-out caller learns nothing from a body's shape), and the route
// inventory test walks openapi.json against this list (tests/api/route-inventory.test.ts).

/**
 * "METHOD /api/v1/path/{param}", as openapi.json names them. Each is still walked for the oracle
 * check (a signed-out caller and a non-member get the same answer for a private community's real
 * and made-up ids).
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  "GET /api/v1/health", // liveness, no data
  "GET /api/v1/communities", // the directory of public communities
  "GET /api/v1/communities/{slug}", // a public community's page; a private one is 404 signed out
  "GET /api/v1/communities/{slug}/tiers", // a public community's prices
  "GET /api/v1/communities/{slug}/pricing", // a published pricing page, even of a private community (ADR 037)
  "GET /api/v1/communities/{slug}/spaces", // a public community's spaces
  "GET /api/v1/spaces/{spaceId}", // a public community's space, feed, posts and comments
  "GET /api/v1/spaces/{spaceId}/posts",
  "GET /api/v1/posts/{postId}",
  "GET /api/v1/posts/{postId}/comments",
  "GET /api/v1/spaces/{spaceId}/messages", // a public community's chat history, as its posts
  "GET /api/v1/messages/{messageId}",
  "GET /api/v1/communities/{slug}/search", // searching a public community
  "GET /api/v1/invites/{code}", // the invite preview: the code is the credential (below)
  "GET /api/v1/uploads/{key}", // avatars are public; space uploads only for the space's readers
  "POST /api/v1/auth/signup", // signing up and in, and the mail links that work signed out
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/logout",
  "POST /api/v1/auth/password-reset",
  "POST /api/v1/auth/password-reset/confirm",
  "POST /api/v1/auth/verify-email",
  "POST /api/v1/webhooks/stripe", // Stripe's calls: the signature is the credential
  "GET /api/v1/dev/outbox", // DEV_MODE only, and only from this machine (404 otherwise)
]);

/** Whether a route (Hono's `c.req.routePath`, `:param` form) may be called signed out. */
export function isPublicRoute(method: string, routePath: string): boolean {
  return PUBLIC_ROUTES.has(`${method.toUpperCase()} ${routePath.replace(/:([^/{}]+)/g, "{$1}")}`);
}
