// Schemas for communities, tiers, members, bans, invites, exports and the audit log. Each
// resource has one schema; request bodies are derived from it (pick/partial/extend).
import { z } from "@hono/zod-openapi";
import { ViewerPermissionsSchema } from "./permissions";
import { consentPurposes, roles, tierKeys } from "../../db/schema";
import { communityLocales } from "../communities/locales";
import { slugProblem, slugProblemMessage } from "../communities/slug";
import { DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS } from "../communities/mention-suggestions";
import { Id, IsoDate, NameField } from "./common";

export const TierKeySchema = z.enum(tierKeys).openapi({ example: "member" });
export const RoleSchema = z.enum(roles);

export const SlugSchema = z
  .string()
  .superRefine((slug, ctx) => {
    const problem = slugProblem(slug);
    if (problem) ctx.addIssue({ code: "custom", message: slugProblemMessage[problem], params: { reason: `slug_${problem}` } });
  })
  .openapi({ example: "tea-lovers", description: "3–40 of a–z 0–9 and single hyphens; fixed once created" });

export const SlugParam = z.object({
  slug: z.string().min(1).max(100).openapi({ param: { name: "slug", in: "path" }, example: "tea-lovers" }),
});
export const SlugUserParam = SlugParam.extend({
  userId: Id.openapi({ param: { name: "userId", in: "path" } }),
});
export const SlugTierParam = SlugParam.extend({
  key: z.string().min(1).max(20).openapi({ param: { name: "key", in: "path" }, example: "vip" }),
});
export const SlugCodeParam = SlugParam.extend({
  code: z.string().min(1).max(64).openapi({ param: { name: "code", in: "path" } }),
});
export const CodeParam = SlugCodeParam.pick({ code: true });

export const UserRefSchema = z.object({ id: z.string(), name: z.string() }).openapi("UserRef");
export const UserCardSchema = UserRefSchema.extend({ avatarUrl: z.string().nullable() }).openapi("UserCard");

export const CommunitySchema = z
  .object({
    id: z.string(),
    slug: SlugSchema,
    name: NameField(80),
    description: z.string().max(2000),
    defaultLocale: z.enum(communityLocales),
    visibility: z.enum(["private", "public"]),
    ownerId: z.string(),
    memberCount: z.number().int(),
    createdAt: IsoDate,
  })
  .openapi("Community");

export const CreateCommunityBody = CommunitySchema.pick({ slug: true, name: true, visibility: true })
  .extend(CommunitySchema.pick({ description: true, defaultLocale: true }).partial().shape)
  .openapi("CreateCommunity");

// strict: a slug (or any other unknown field) in the body is refused, never silently ignored
export const UpdateCommunityBody = CommunitySchema.pick({ name: true, description: true, defaultLocale: true, visibility: true })
  .partial()
  .strict()
  .openapi("UpdateCommunity");

export const TransferBody = z.object({ userId: Id }).openapi("TransferOwnership");

export const ViewerSchema = z.object({ role: RoleSchema, tier: TierKeySchema }).extend(ViewerPermissionsSchema.shape).openapi("Viewer");

export const PriceSchema = z
  .object({
    interval: z.enum(["month", "year"]),
    amount: z.number().int().min(0).max(100_000_000).openapi({ description: "minor units of currency", example: 500 }),
    currency: z.string().regex(/^[A-Z]{3}$/).openapi({ example: "USD" }),
    published: z.boolean().openapi({
      description:
        "whether a Stripe Price sells it. A price changed through PATCH …/tiers/:key replaces the one on sale at once (its Stripe Price is archived, existing subscribers keep it) and is not sold until the owner publishes it from Billing (PUT …/billing): to change a live price without a gap, use PUT …/billing",
    }),
  })
  .openapi("Price");

export const TierSchema = z
  .object({
    key: TierKeySchema,
    rank: z.number().int(),
    name: NameField(60),
    description: z.string().max(1000),
    prices: z.array(PriceSchema),
    trialDays: z.number().int().min(0).max(730).openapi({ description: "0–730 (Stripe's limit), as PUT …/billing takes" }),
  })
  .openapi("Tier");

export const UpdateTierBody = TierSchema.pick({ name: true, description: true, trialDays: true })
  .partial()
  .extend({
    prices: z
      .array(
        PriceSchema.omit({ published: true }).extend({
          currency: z
            .string()
            .regex(/^[A-Za-z]{3}$/, "An ISO 4217 code of three letters")
            .transform((code) => code.toUpperCase()),
        }),
      )
      .max(2)
      .refine((prices) => new Set(prices.map((p) => p.interval)).size === prices.length, {
        message: "One price per interval",
        params: { reason: "price_interval_repeated" },
      })
      .optional(),
  })
  .openapi("UpdateTier");

export const MembershipSchema = z
  .object({
    communityId: z.string(),
    userId: z.string(),
    role: RoleSchema,
    tier: TierKeySchema.openapi({ description: "effective tier: the higher of paidTier and compTier" }),
    paidTier: TierKeySchema,
    compTier: TierKeySchema.nullable(),
    status: z.enum(["active", "left", "removed", "banned"]),
    joinedAt: IsoDate,
    source: z.string().nullable(),
  })
  .openapi("Membership");

export const MemberSchema = MembershipSchema.pick({ role: true, tier: true, joinedAt: true })
  .extend({ user: UserCardSchema })
  .extend(MembershipSchema.pick({ source: true, compTier: true, paidTier: true }).partial().shape)
  .extend({ viewer: ViewerPermissionsSchema })
  .extend({ online: z.boolean().optional().openapi({ description: "a socket open in the community now or closed < 60 s ago (member list only)" }) })
  .openapi("Member", { description: "source, compTier and paidTier are shown to admins and the owner only" });

export const UpdateMemberBody = z
  .object({
    role: z.enum(["admin", "moderator", "member"]).openapi({ description: "ownership moves only by transfer" }),
    compTier: TierKeySchema.nullable().openapi({ description: "a hand grant; null clears it" }),
  })
  .partial()
  .openapi("UpdateMember");

export const BanSchema = z
  .object({
    user: UserCardSchema,
    reason: z.string().trim().max(500),
    bannedBy: UserRefSchema.nullable(),
    createdAt: IsoDate,
  })
  .openapi("Ban");

export const BanBody = BanSchema.pick({ reason: true }).extend({ userId: Id }).openapi("CreateBan");

export const InviteStatusSchema = z.enum(["valid", "expired", "revoked", "used_up"]);

export const InviteSchema = z
  .object({
    code: z.string(),
    url: z.string(),
    tier: TierKeySchema,
    maxUses: z.number().int().min(1).max(10_000).nullable(),
    uses: z.number().int(),
    expiresAt: IsoDate.nullable(),
    source: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "A lowercase token of up to 32 characters, e.g. instagram")
      .nullable()
      .openapi({ example: "instagram", description: "where the people using it come from" }),
    revoked: z.boolean(),
    revokedAt: IsoDate.nullable(),
    status: InviteStatusSchema,
    createdBy: UserRefSchema.nullable(),
    createdAt: IsoDate,
  })
  .openapi("Invite");

export const CreateInviteBody = z
  .object({
    tier: TierKeySchema.default("free"),
    maxUses: InviteSchema.shape.maxUses.unwrap(),
    expiresAt: z.iso
      .datetime({ offset: true })
      .refine((value) => Date.parse(value) > Date.now(), { message: "expiresAt must be in the future", params: { reason: "not_in_future" } }),
    source: InviteSchema.shape.source.unwrap(),
  })
  .partial()
  .openapi("CreateInvite");

export const CreatedInviteSchema = z
  .object({ code: z.string(), url: z.string(), invite: InviteSchema })
  .openapi("CreatedInvite");

export const InvitePreviewSchema = z
  .object({
    community: CommunitySchema.pick({ name: true, description: true, slug: true, visibility: true }),
    tier: TierKeySchema,
    status: InviteStatusSchema,
  })
  .openapi("InvitePreview");

const ConsentStateSchema = z.object({ granted: z.boolean(), at: IsoDate }).nullable();

export const MemberExportSchema = z
  .object({
    user: UserRefSchema.extend({ email: z.string().nullable() }),
    role: RoleSchema,
    tier: TierKeySchema,
    paidTier: TierKeySchema,
    compTier: TierKeySchema.nullable(),
    joinedAt: IsoDate,
    source: z.string().nullable(),
    inviteCode: z.string().nullable(),
    consents: z.object(Object.fromEntries(consentPurposes.map((p) => [p, ConsentStateSchema])) as Record<
      (typeof consentPurposes)[number],
      typeof ConsentStateSchema
    >),
  })
  .openapi("MemberExport");

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    action: z.string().openapi({ example: "member.role_change" }),
    actor: UserRefSchema.nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    at: IsoDate,
  })
  .openapi("AuditEntry");

/** POST /communities/{slug}/exports: the owner's member list as JSON (default) or CSV. */
export const MemberExportRequest = z
  .object({ format: z.enum(["json", "csv"]).default("json").openapi({ description: "The member list as JSON or CSV" }) })
  .strict()
  .openapi("MemberExportRequest");

/** GET /communities/{slug}/mention-suggestions */
export const SuggestionQuery = z.object({
  q: z.string().trim().max(100).default("").openapi({ description: "What was typed after \"@\", any case; empty offers everyone", example: "chen" }),
  spaceId: Id.openapi({ description: "The space being written in: only members who can read it are offered" }),
  limit: z.coerce.number().int().min(1).max(MAX_SUGGESTIONS).default(DEFAULT_SUGGESTIONS),
});
