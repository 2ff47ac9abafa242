/**
 * The hidden field in which a create form (post, comment, reply) sends the idempotency key its
 * loader drew; the action's createOnce (idempotency.server.ts) reads it. Shared with the
 * components, so it lives outside the .server module.
 */
export const FORM_KEY_FIELD = "idempotencyKey";
