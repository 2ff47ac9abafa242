-- CJK unigrams and bigrams for 1–2 letter Chinese, Japanese and Korean words (ADR 016): the
-- trigram index cannot match fewer than three characters, and LIKE scans the whole community.
--
-- search_docs carries each document's grams (plan.ts cjkGrams, computed in JavaScript: SQLite
-- cannot tell a CJK letter from punctuation), and search_grams is a second external-content FTS5
-- table over it, written in the same SEARCH batches as search_fts by the same statements
-- (workers/domain/search/index.ts), with the same rowids.
ALTER TABLE `search_docs` ADD COLUMN `title_grams` text NOT NULL DEFAULT '';
--> statement-breakpoint
ALTER TABLE `search_docs` ADD COLUMN `body_grams` text NOT NULL DEFAULT '';
--> statement-breakpoint
-- Only title_grams and body_grams are tokenized (unicode61 splits the space-separated grams; no
-- diacritics to remove, CJK has no case); title and body ride along UNINDEXED so that a query
-- driven by this table can filter other short terms with LIKE without a join.
CREATE VIRTUAL TABLE `search_grams` USING fts5(
	title_grams,
	body_grams,
	title UNINDEXED,
	body UNINDEXED,
	doc_id UNINDEXED,
	kind UNINDEXED,
	community_id UNINDEXED,
	space_id UNINDEXED,
	post_id UNINDEXED,
	created_at UNINDEXED,
	content='search_docs',
	content_rowid='rowid',
	tokenize='unicode61 remove_diacritics 0'
);
--> statement-breakpoint
-- Every existing row enters the index with the grams it stores now (none), so the 'delete'
-- commands that precede every later change always meet what was indexed.
INSERT INTO `search_grams`(`search_grams`) VALUES ('rebuild');
--> statement-breakpoint
-- Bounded jobs over the index, by name. 'cjk_grams' fills the grams of documents indexed before
-- this migration (workers/domain/jobs/grams-backfill.ts, a step per cron tick; a full rebuild also
-- finishes it); until done_at is set, searches scan with LIKE. An empty index has nothing to fill.
CREATE TABLE `search_backfills` (
	`name` text PRIMARY KEY,
	`after_rowid` integer NOT NULL DEFAULT 0,
	`done_at` integer
);
--> statement-breakpoint
INSERT INTO `search_backfills` (`name`, `done_at`)
SELECT 'cjk_grams', CASE WHEN EXISTS (SELECT 1 FROM `search_docs`) THEN NULL ELSE unixepoch() * 1000 END;
