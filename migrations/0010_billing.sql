CREATE TABLE `billing_customers` (
	`user_id` text PRIMARY KEY NOT NULL,
	`stripe_customer_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_customers_stripe_customer_id_unique` ON `billing_customers` (`stripe_customer_id`);--> statement-breakpoint
CREATE TABLE `billing_settings` (
	`community_id` text PRIMARY KEY NOT NULL,
	`currency` text DEFAULT 'usd' NOT NULL,
	`allow_promotion_codes` integer DEFAULT false NOT NULL,
	`grace_days` integer DEFAULT 7 NOT NULL,
	`refund_policy` text DEFAULT 'revoke' NOT NULL,
	`pricing_published` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stripe_payment_intents` (
	`payment_intent_id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`community_id` text NOT NULL,
	`user_id` text,
	`tier_key` text NOT NULL,
	`price_id` text,
	`stripe_price_id` text NOT NULL,
	`stripe_customer_id` text,
	`interval` text NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`mrr` integer DEFAULT 0 NOT NULL,
	`current_period_end` integer,
	`cancel_at_period_end` integer DEFAULT false NOT NULL,
	`trial_end` integer,
	`past_due_since` integer,
	`canceled_at` integer,
	`ended_at` integer,
	`checkout_session_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subscriptions_member_idx` ON `subscriptions` (`community_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_status_idx` ON `subscriptions` (`community_id`,`status`);--> statement-breakpoint
CREATE INDEX `subscriptions_checkout_idx` ON `subscriptions` (`checkout_session_id`);--> statement-breakpoint
DROP INDEX `prices_tier_interval_idx`;--> statement-breakpoint
ALTER TABLE `prices` ADD `created_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `prices` ADD `archived_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `prices_active_tier_interval_idx` ON `prices` (`community_id`,`tier_key`,`interval`) WHERE active = 1;--> statement-breakpoint
ALTER TABLE `tiers` ADD `stripe_product_id` text;