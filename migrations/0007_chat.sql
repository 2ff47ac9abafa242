CREATE TABLE `chat_authors` (
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`community_id` text NOT NULL,
	`first_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`channel_id`, `user_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `chat_authors_user_idx` ON `chat_authors` (`user_id`);--> statement-breakpoint
CREATE TABLE `chat_settings` (
	`space_id` text NOT NULL,
	`user_id` text NOT NULL,
	`notify` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`space_id`, `user_id`),
	FOREIGN KEY (`space_id`) REFERENCES `spaces`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `chat_settings_user_idx` ON `chat_settings` (`user_id`);--> statement-breakpoint
ALTER TABLE `communities` ADD `access_epoch` integer DEFAULT 0 NOT NULL;