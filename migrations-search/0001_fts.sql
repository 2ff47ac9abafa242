-- The search index (binding SEARCH), written by hand: drizzle-kit cannot generate FTS5 tables.
-- Rebuildable at any time from the main database (scripts/reindex.mjs, rebuildSearchIndex).
-- ADR 007 explains the shape.
--
-- search_docs holds one row per indexed post or comment. It is the external content of the
-- trigram FTS5 index below (so the text is stored once) and it is also what 1–2 character
-- queries scan with LIKE, restricted to one community: trigram cannot match fewer than 3 chars.
CREATE TABLE `search_docs` (
	`rowid` integer PRIMARY KEY,
	`doc_id` text NOT NULL,
	`kind` text NOT NULL,
	`community_id` text NOT NULL,
	`space_id` text NOT NULL,
	`post_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`title` text NOT NULL DEFAULT '',
	`body` text NOT NULL DEFAULT ''
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_docs_doc_idx` ON `search_docs` (`doc_id`);
--> statement-breakpoint
CREATE INDEX `search_docs_post_idx` ON `search_docs` (`post_id`);
--> statement-breakpoint
CREATE INDEX `search_docs_community_idx` ON `search_docs` (`community_id`, `created_at`);
--> statement-breakpoint
-- External content: FTS5 keeps only the index and reads column values from search_docs by rowid.
-- The code (workers/domain/search/index.ts) issues FTS5's 'delete' command from the stored row
-- before changing search_docs, so the two never disagree; 'rebuild' re-derives the index.
CREATE VIRTUAL TABLE `search_fts` USING fts5(
	title,
	body,
	doc_id UNINDEXED,
	kind UNINDEXED,
	community_id UNINDEXED,
	space_id UNINDEXED,
	post_id UNINDEXED,
	created_at UNINDEXED,
	content='search_docs',
	content_rowid='rowid',
	tokenize='trigram'
);
