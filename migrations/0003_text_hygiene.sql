CREATE TABLE `backfills` (
	`name` text PRIMARY KEY NOT NULL,
	`cursor` text,
	`done_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `users` ADD `name_folded` text;--> statement-breakpoint
CREATE INDEX `users_name_folded_idx` ON `users` (`name_folded`);--> statement-breakpoint
-- Hand-added: a name of printable ASCII only is its own NFC, and its case fold is SQLite's
-- lower(). Every other name is folded in JavaScript by the text backfill
-- (workers/domain/maintenance/text-backfill.ts), which also normalises all stored text.
UPDATE `users` SET `name_folded` = lower(`name`) WHERE `name` NOT GLOB '*[^ -~]*';
