ALTER TABLE `posts` ADD `excerpt` text;--> statement-breakpoint
CREATE INDEX `posts_space_pinned_idx` ON `posts` (`space_id`,`pinned_at`) WHERE "posts"."pinned_at" is not null;