// /me: the signed-in user's account — profile, memberships, consents, export and erasure.
import { createRoute, z } from "@hono/zod-openapi";
import { consentPurposes, roles, tierKeys } from "../db/schema";
import { listConsents, setConsents } from "../domain/account/consents";
import { eraseAccount } from "../domain/account/erase";
import { exportAccountInlineOrJob } from "../domain/data-rights/export-jobs";
import { acceptedJob, ExportJobSchema } from "./exports";
import { loadMe, updateProfile } from "../domain/account/profile";
import { errorResponses, IsoDate } from "../domain/schemas/common";
import { CommunityRef, ConsentChanges, ConsentSchema, EraseAccountBody, ProfilePatch, UserAnswer, UserSchema } from "../domain/schemas/user";
import { createRouter, requireUser } from "./factory";
import { clearSessionCookie } from "./session-cookie";

export const me = createRouter();

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } }, required: true });
const answer = <T extends z.ZodTypeAny>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});


const MeSchema = z
  .object({
    user: UserSchema,
    memberships: z.array(z.object({ community: CommunityRef, role: z.enum(roles), tier: z.enum(tierKeys) })),
  })
  .openapi("Me");

const Consents = z.object({ items: z.array(ConsentSchema) }).openapi("Consents");

const ExportArchive = z
  .object({ format: z.literal("enclave-export/1"), exportedAt: IsoDate, userId: z.string() })
  .catchall(z.unknown())
  .openapi("ExportArchive", {
    description: "One key per section: profile, memberships, consents, sessions, uploads, mails, audit, …",
  });

me.openapi(
  createRoute({
    method: "get",
    path: "/me",
    tags: ["me"],
    summary: "The signed-in user and their active memberships",
    responses: { 200: answer("The caller", MeSchema), ...errorResponses(401) },
  }),
  async (c) => c.json(await loadMe(c.env, (await requireUser(c)).id), 200),
);

me.openapi(
  createRoute({
    method: "patch",
    path: "/me",
    tags: ["me"],
    summary: "Edit the profile; notificationPrefs changes only the keys given",
    request: { body: json(ProfilePatch) },
    responses: { 200: answer("The updated user", UserAnswer), ...errorResponses(400, 401, 415) },
  }),
  async (c) => {
    const user = await updateProfile(c.env, (await requireUser(c)).id, c.req.valid("json"));
    return c.json({ user }, 200);
  },
);

me.openapi(
  createRoute({
    method: "get",
    path: "/me/consents",
    tags: ["me"],
    summary: "Current consent per community the caller belongs to and per purpose",
    responses: { 200: answer("Consents", Consents), ...errorResponses(401) },
  }),
  async (c) => c.json({ items: await listConsents(c.env, (await requireUser(c)).id) }, 200),
);

me.openapi(
  createRoute({
    method: "put",
    path: "/me/consents",
    tags: ["me"],
    summary: "Grant or withdraw consents (history is kept); essential cannot be withdrawn",
    request: { body: json(ConsentChanges) },
    responses: { 200: answer("Consents after the change", Consents), ...errorResponses(400, 401, 404, 409, 415) },
  }),
  async (c) => c.json({ items: await setConsents(c.env, (await requireUser(c)).id, c.req.valid("json").items) }, 200),
);

me.openapi(
  createRoute({
    method: "get",
    path: "/me/export",
    tags: ["me"],
    summary: "Download everything stored about the caller as one JSON archive (202 with a job when it is too large for one response)",
    responses: {
      200: answer("The archive (sent as an attachment)", ExportArchive),
      202: answer("Too large for one response: the export job building it (as POST /me/exports)", z.object({ export: ExportJobSchema })),
      ...errorResponses(401),
    },
  }),
  async (c) => {
    const userId = (await requireUser(c)).id;
    const choice = await exportAccountInlineOrJob(c.env, userId);
    if (!choice.inline) return acceptedJob(c, choice.job, `/api/v1/me/exports/${choice.job.id}`);
    const archive = choice.value;
    c.header("Content-Disposition", `attachment; filename="enclave-export-${archive.exportedAt.slice(0, 10)}.json"`);
    c.header("Cache-Control", "no-store");
    return c.json(archive, 200);
  },
);

me.openapi(
  createRoute({
    method: "delete",
    path: "/me",
    tags: ["me"],
    summary: "Erase the account: personal data removed, content kept as “Deleted member”",
    request: { body: json(EraseAccountBody) },
    responses: {
      204: { description: "Erased; the session cookie is cleared" },
      ...errorResponses(400, 401, 409, 415, 429),
    },
  }),
  async (c) => {
    await eraseAccount(c.env, (await requireUser(c)).id, c.req.valid("json").password);
    clearSessionCookie(c);
    return c.body(null, 204);
  },
);
