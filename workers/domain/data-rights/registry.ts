// The data-rights registry (ADR 019): every kind of personal data Enclave stores, each with its
// archive section, its erasure step and its purge outside D1. A feature that stores something
// about a person adds its entry here; tests/api/data-rights-contract.test.ts fails for a column
// referencing a user that no entry covers. Chat and DM messages (issues 12, 13), RSVPs and
// subscriptions join the same way.
import { accountData } from "../account/data-rights";
import { discussionData } from "../discussions/data-rights";
import { notificationData } from "../notifications/account-data";
import { exportJobData } from "./export-data";
import { chatData, dmData } from "../chat/data-rights";
import { billingData } from "../../billing/data-rights";
import type { ColumnFate, ErasureStep, ExportSection, PersonalData, Purge } from "./types";

export const personalData: PersonalData[] = [...accountData, ...discussionData, notificationData, chatData, dmData, billingData, exportJobData];

/** The account archive's sections, in the archive's order. */
export const exportSections: ExportSection[] = personalData.flatMap((kind) => kind.export ?? []);

/** The erasure batch's statements, in order. */
export const erasureSteps: ErasureStep[] = personalData.flatMap((kind) => (kind.erase ? [kind.erase] : []));

/** The purges of `account.erased`, by name (a name is recorded on events: never rename one in use). */
export const purges: Purge[] = personalData.flatMap((kind) => (kind.purge ? [kind.purge] : []));

export const purgeNamed = (name: string): Purge | undefined => purges.find((p) => p.name === name);

/** Every "table.column" some kind answers for, with what erasure does to it. */
export const coveredColumns = (): Map<string, ColumnFate> =>
  new Map(personalData.flatMap((kind) => Object.entries(kind.columns)));
