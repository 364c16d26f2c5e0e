CREATE TABLE `inbox_events` (
	`consumer` text NOT NULL,
	`event_id` text NOT NULL,
	`received_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`consumer`, `event_id`)
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text NOT NULL,
	`order_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	CONSTRAINT "notifications_kind_check" CHECK("notifications"."kind" in ('ORDER_PLACED', 'ORDER_STATUS_CHANGED'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_event_id_unique` ON `notifications` (`event_id`);--> statement-breakpoint
CREATE INDEX `idx_outbox_held` ON `outbox_events` (`aggregate_type`,`aggregate_id`,`id`) WHERE "outbox_events"."status" = 'PENDING' and ("outbox_events"."lease_until" is not null or "outbox_events"."next_attempt_at" is not null);