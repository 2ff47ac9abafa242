CREATE TABLE `chat_deleted` (
	`channel_id` text NOT NULL,
	`seq` integer NOT NULL,
	`community_id` text NOT NULL,
	PRIMARY KEY(`channel_id`, `seq`)
);
