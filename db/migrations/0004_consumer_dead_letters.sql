CREATE TABLE `consumer_dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consumer` text NOT NULL,
	`event_id` text,
	`topic` text NOT NULL,
	`event_key` text,
	`value` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_consumer_dead_letters_event` ON `consumer_dead_letters` (`consumer`,`event_id`);