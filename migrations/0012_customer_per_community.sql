-- ADR 041: one Stripe Customer per user and community. No table references billing_customers, so the
-- rebuild needs no foreign-key pragmas (which D1 ignores anyway).
CREATE TABLE `__new_billing_customers` (
	`user_id` text NOT NULL,
	`community_id` text,
	`stripe_customer_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`community_id`) REFERENCES `communities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- a Customer made before stays with every community it has subscriptions in (they live on it in Stripe)
INSERT INTO `__new_billing_customers`("user_id", "community_id", "stripe_customer_id", "created_at")
SELECT DISTINCT bc."user_id", s."community_id", bc."stripe_customer_id", bc."created_at"
FROM `billing_customers` bc
JOIN `subscriptions` s ON s."stripe_customer_id" = bc."stripe_customer_id" AND s."user_id" = bc."user_id";--> statement-breakpoint
-- one with no subscription anywhere is kept unattached (community null): export and erasure still find it
INSERT INTO `__new_billing_customers`("user_id", "community_id", "stripe_customer_id", "created_at")
SELECT bc."user_id", NULL, bc."stripe_customer_id", bc."created_at"
FROM `billing_customers` bc
WHERE NOT EXISTS (SELECT 1 FROM `subscriptions` s WHERE s."stripe_customer_id" = bc."stripe_customer_id" AND s."user_id" = bc."user_id");--> statement-breakpoint
DROP TABLE `billing_customers`;--> statement-breakpoint
ALTER TABLE `__new_billing_customers` RENAME TO `billing_customers`;--> statement-breakpoint
CREATE UNIQUE INDEX `billing_customers_member_idx` ON `billing_customers` (`user_id`,`community_id`);--> statement-breakpoint
CREATE INDEX `billing_customers_stripe_idx` ON `billing_customers` (`stripe_customer_id`);
