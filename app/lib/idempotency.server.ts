// Replay protection for the page forms that create (a post, a comment, a reply): the same claim the
// API's Idempotency-Key takes (domain/idempotency.ts runIdempotent, ADR 012), keyed by a hidden
// field the loader draws afresh for every render. A double click or a browser's resubmit sends the
// key again and is answered with the first submit's redirect; nothing is created twice.
import type { CloudflareContext } from "../context";
import { FORM_KEY_FIELD } from "./form-key";
import { attempt, type Outcome } from "./use-case.server";
import { IDEMPOTENCY_KEY, requestFingerprint, runIdempotent } from "../../workers/domain/idempotency";
import { badRequest, DomainError } from "../../workers/lib/errors";
import { derivedId, newId } from "../../workers/lib/ids";


/** A key for one rendered create form: `frm_` + 26 base32 characters (128 random bits). */
export const newFormKey = () => newId("frm");

/**
 * A second submit that arrives while the first still runs (a double click without JavaScript: the
 * browser drops the first answer and shows the second) waits for the first's answer this long at
 * most, in steps of FIRST_ANSWER_STEP_MS, before answering 409 idempotency_key_in_use.
 */
const FIRST_ANSWER_WAIT_MS = 5_000;
const FIRST_ANSWER_STEP_MS = 200;

/**
 * Runs a form's create once per its key (field FORM_KEY_FIELD). `create(id)` makes the row under
 * `id` (`prefix_…` derived from the claim, lib/ids.ts derivedId; undefined without a key or a
 * signed-in user, and the domain draws one) and `location(data)` says where the form then goes.
 * Answers `{ ok, data: { location } }` (the first submit's location on a replay), the create's own
 * refusal, 400 validation_failed for a malformed key, 422 idempotency_key_reused when the key came
 * with other fields, or 409 idempotency_key_in_use when the first submit is still running after
 * FIRST_ANSWER_WAIT_MS. The fingerprint is the request's path and its text fields.
 */
export async function createOnce<T>(
  cf: CloudflareContext,
  request: Request,
  form: FormData,
  prefix: string,
  create: (id: string | undefined) => Promise<Outcome<T>>,
  location: (data: T) => string,
): Promise<Outcome<{ location: string }>> {
  const key = form.get(FORM_KEY_FIELD);
  const user = cf.user;
  const located = (result: Outcome<T>): Outcome<{ location: string }> => (result.ok ? { ...result, data: { location: location(result.data) } } : result);
  if (typeof key !== "string" || key === "" || !user) return located(await create(undefined));
  if (!IDEMPOTENCY_KEY.test(key)) {
    return attempt(() => {
      throw badRequest("The form's idempotency key must be 1–255 printable ASCII characters.", {
        issues: [{ path: FORM_KEY_FIELD, message: "1–255 printable ASCII characters", code: "invalid_format", minimum: 1, maximum: 255 }],
      });
    });
  }
  const fields = new URLSearchParams([...form].filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  const fingerprint = await requestFingerprint(request.method, new URL(request.url).pathname, fields.toString());
  for (let waited = 0; ; waited += FIRST_ANSWER_STEP_MS) {
    const outcome = await runIdempotent(
      cf.env,
      user.id,
      key,
      fingerprint,
      async (claimId) => located(await create(await derivedId(prefix, claimId))),
      // a refusal is not remembered: the key is free again for the corrected form
      async (result) => (result.ok ? { status: 201, body: JSON.stringify(result.data) } : null),
    );
    if (outcome.kind === "ran") return outcome.result;
    if (outcome.kind === "replay") return { ok: true, status: outcome.status, data: JSON.parse(outcome.body) as { location: string } };
    if (outcome.kind === "mismatch") {
      return attempt(() => {
        throw new DomainError(422, "idempotency_key_reused", "This form was already sent with other content.");
      });
    }
    if (waited >= FIRST_ANSWER_WAIT_MS) {
      return attempt(() => {
        throw new DomainError(409, "idempotency_key_in_use", "This form is still being sent.");
      });
    }
    await new Promise((resolve) => setTimeout(resolve, FIRST_ANSWER_STEP_MS));
  }
}
