CREATE TABLE `domain_events` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`community_id` text,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`handled` text DEFAULT '[]' NOT NULL,
	`last_error` text,
	`claimed_until` integer,
	`next_attempt_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`processed_at` integer
);
--> statement-breakpoint
CREATE INDEX `domain_events_due_idx` ON `domain_events` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `domain_events_community_idx` ON `domain_events` (`community_id`,`status`);--> statement-breakpoint
CREATE INDEX `domain_events_processed_idx` ON `domain_events` (`processed_at`);--> statement-breakpoint
CREATE INDEX `domain_events_subject_idx` ON `domain_events` (`subject_type`,`subject_id`);--> statement-breakpoint
ALTER TABLE `outbox` ADD `claimed_until` integer;--> statement-breakpoint
-- mail that was waiting in the outbox goes out through the spine from now on (ADR 014)
INSERT INTO `domain_events` (`id`, `kind`, `community_id`, `subject_type`, `subject_id`, `payload`, `next_attempt_at`)
SELECT 'evt_mail_' || `id`, 'mail.queued', NULL, 'mail', `id`, json_object('outboxId', `id`), CAST(unixepoch('subsec') * 1000 AS INTEGER)
FROM `outbox` WHERE `sent_at` IS NULL AND `attempts` < 5;
