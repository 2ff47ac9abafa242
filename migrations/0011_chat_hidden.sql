CREATE TABLE `chat_hidden` (
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`seq` integer NOT NULL,
	`community_id` text NOT NULL,
	`author_id` text NOT NULL,
	PRIMARY KEY(`channel_id`, `user_id`, `seq`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `chat_hidden_pair_idx` ON `chat_hidden` (`user_id`,`author_id`);