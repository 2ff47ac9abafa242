CREATE TABLE `chat_missed` (
	`user_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`seq` integer NOT NULL,
	`community_id` text NOT NULL,
	`reason` text NOT NULL,
	`due_at` integer NOT NULL,
	`settled_at` integer,
	PRIMARY KEY(`user_id`, `channel_id`, `seq`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `chat_missed_due_idx` ON `chat_missed` (`user_id`,`settled_at`,`due_at`);