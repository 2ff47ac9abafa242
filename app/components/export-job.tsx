// An export job on a page (ADR 019): start it, watch its progress (the page's loader is read again
// every 1.5 s while the job runs), and download it once ready. Used for the member's own archive
// (settings/data) and the owner's member list (community members page).
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Form, useRevalidator } from "react-router";
import { SubmitButton } from "./form-bits";
import { useFormatDate } from "./local-time";
import { Alert, buttonClass } from "./ui";
import type { ExportJob } from "../lib/types";

const POLL_MS = 1500;

const isRunning = (job: ExportJob | null) => job?.status === "pending" || job?.status === "running";

/** Reads the page's loader again every 1.5 s while `job` is unfinished, so progress moves. */
function usePollWhileRunning(job: ExportJob | null) {
  const revalidator = useRevalidator();
  const running = isRunning(job);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") void revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [running, revalidator]);
}

/**
 * The latest job and what can be done with it. `intent` is the form intent the page's action
 * starts a job for; `extraFields` adds hidden inputs (the member list's format choice).
 */
export function ExportJobPanel({ job, intent, startLabel, extraFields }: { job: ExportJob | null; intent: string; startLabel: string; extraFields?: React.ReactNode }) {
  const { t } = useTranslation();
  const formatDay = useFormatDate();
  usePollWhileRunning(job);
  const percent = job ? Math.round(job.progress * 100) : 0;
  const start = (
    <Form method="post" className="flex flex-wrap items-end gap-3">
      {extraFields}
      <SubmitButton intent={intent} variant={job?.status === "ready" ? "secondary" : "primary"}>
        {job?.status === "ready" ? t("exportJob.again") : startLabel}
      </SubmitButton>
    </Form>
  );
  if (isRunning(job)) {
    return (
      <div className="space-y-2" data-testid="export-progress">
        <div className="flex items-center justify-between text-sm text-slate-700">
          <span role="status">{t("exportJob.preparing")}</span>
          <span className="tabular-nums">{percent}%</span>
        </div>
        <div
          className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
          role="progressbar"
          aria-label={t("exportJob.preparing")}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
        >
          <div className="h-full rounded-full bg-indigo-600 transition-[width] duration-500" style={{ width: `${Math.max(percent, 3)}%` }} />
        </div>
        <p className="text-xs text-slate-600">{t("exportJob.leaveHint")}</p>
      </div>
    );
  }
  return (
    <div className="space-y-4">
      {job?.status === "ready" && job.downloadUrl ? (
        <div className="flex flex-col gap-3 rounded-xl border border-emerald-200 bg-emerald-50 p-4 sm:flex-row sm:items-center sm:justify-between">
          <div className="text-sm text-emerald-900">
            <p className="font-semibold" role="status">{t("exportJob.ready")}</p>
            {job.expiresAt ? <p>{t("exportJob.expires", { date: formatDay(job.expiresAt) })}</p> : null}
          </div>
          <a href={job.downloadUrl} download className={buttonClass("primary")} data-testid="export-download">
            {t("exportJob.download")}
          </a>
        </div>
      ) : null}
      {job?.status === "failed" ? <Alert tone="danger">{t("exportJob.failed")}</Alert> : null}
      {start}
    </div>
  );
}
