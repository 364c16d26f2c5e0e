CREATE TABLE `revoked_access_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idx_revoked_access_tokens_expires` ON `revoked_access_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `order_parts` (
	`order_id` integer NOT NULL,
	`seller_id` integer NOT NULL,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`subtotal` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`order_id`, `seller_id`),
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`seller_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "order_parts_status_check" CHECK("order_parts"."status" in ('PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
	CONSTRAINT "order_parts_subtotal_non_negative" CHECK("order_parts"."subtotal" >= 0)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `idx_order_parts_seller_created` ON `order_parts` (`seller_id`,`created_at`,`order_id`);--> statement-breakpoint
DROP INDEX `idx_order_items_seller_order`;--> statement-breakpoint
DROP INDEX `idx_orders_created`;--> statement-breakpoint
INSERT INTO `order_parts` (`order_id`, `seller_id`, `status`, `subtotal`, `created_at`, `updated_at`)
SELECT `oi`.`order_id`, `oi`.`seller_id`, `o`.`status`, sum(`oi`.`subtotal`), `o`.`created_at`, `o`.`updated_at`
FROM `order_items` `oi` JOIN `orders` `o` ON `o`.`id` = `oi`.`order_id`
GROUP BY `oi`.`order_id`, `oi`.`seller_id`;
