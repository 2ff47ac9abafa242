// The data-rights contract (ADR 019): the shapes every kind of personal data registers in
// registry.ts. A feature that stores something about a person — a table in D1, objects in R2,
// later messages in Durable Objects, Stripe customers, AI caches — describes here how that data
// is exported, erased inside the erasure's D1 batch, and purged durably outside D1 (through the
// spine, with retries). The types live here, not in one of their consumers, so features and the
// archive builder import from one place and not from each other.
import type { BatchItem } from "drizzle-orm/batch";
import type { UserRow } from "../account/user-view";

/** Who an archive section is being built for. */
export type ExportContext = { env: Env; user: UserRow };

/**
 * One key of the account archive (`enclave-export/1`). `object` sections are one value (the
 * profile); `list` sections are read in keyset pages so an export job can stop after any page and
 * resume (ADR 019): `after` is the keyset of the last item already written (null: from the
 * start), `last` the keyset of the last item returned, null when the page was the final one.
 * Keysets are numbers (SQLite rowids), in ascending order.
 */
export type ExportSection =
  | { name: string; shape: "object"; build: (ctx: ExportContext) => Promise<unknown> }
  | {
      name: string;
      shape: "list";
      /** how many items the section holds now (for progress; may change while a job runs) */
      count: (ctx: ExportContext) => Promise<number>;
      page: (ctx: ExportContext, after: number | null, limit: number) => Promise<ExportPage>;
    };
export type ExportPage = { items: unknown[]; last: number | null };

/** The account being erased, read before the batch. */
export type ErasureContext = { env: Env; user: UserRow; now: Date };

/** Statements that go into the erasure's single D1 batch: all of them, or none (ADR 004). */
export type ErasureStep = (ctx: ErasureContext) => BatchItem<"sqlite">[];

/**
 * Work outside D1 after an account is erased (R2 objects now; Durable Objects, Stripe and AI
 * caches later): a handler of the spine's `account.erased` event, so a failure is retried with
 * backoff and dead-lettered for an operator after the last attempt. `run` is idempotent (it may
 * run again after it finished) and bounded (a queue invocation allows 1,000 D1 queries and 1,000
 * subrequests): it does one slice from `cursor` (null: the start) and answers where the next
 * slice starts, or null when nothing is left; the next slice runs as an event of its own.
 */
export type Purge = { name: string; run: (env: Env, userId: string, cursor: string | null) => Promise<string | null> };

/**
 * What erasure does to a column that references a person:
 * - `deleted`: the erasure batch deletes the rows (no row references the person afterwards);
 * - `nulled`: the batch sets the column to null;
 * - `purged`: the spine's purge deletes the rows after the batch (they lead to data outside D1,
 *   or to work the batch cannot do in one go);
 * - `kept`: the reference stays, with the reason (content attributed to "Deleted member", the
 *   community's accountability records); the row holds nothing personal after the batch.
 */
export type ColumnFate = { fate: "deleted" | "nulled" | "purged" } | { fate: "kept"; reason: string };

export const deleted = { fate: "deleted" } as const;
export const nulled = { fate: "nulled" } as const;
export const purged = { fate: "purged" } as const;
export const kept = (reason: string): ColumnFate => ({ fate: "kept", reason });

/**
 * One kind of personal data and the three things it registers. `columns` names every
 * user-referencing column the kind answers for, as "table.column" (SQL names): the contract test
 * (tests/api/data-rights-contract.test.ts) fails for a column that no kind covers.
 */
export type PersonalData = {
  name: string;
  columns: Record<string, ColumnFate>;
  export?: ExportSection[];
  erase?: ErasureStep;
  purge?: Purge;
};
