-- CJK unigrams and bigrams for 1–2 letter Chinese, Japanese and Korean words (ADR 016): the
-- trigram index cannot match fewer than three characters, and LIKE scans the whole community.
--
-- search_grams holds, for each document of search_docs that has CJK letters (same rowid), its
-- grams (plan.ts cjkGrams, computed in JavaScript: SQLite cannot tell a CJK letter from
-- punctuation) and its scope: the community and space ids as tokens, so that a query is narrowed
-- to what the reader may read inside the index, not by reading every match's row. Contentless
-- (the grams are derived, the text stays in search_docs once) with contentless_delete, so a
-- document leaves it by rowid. Written in the same SEARCH batches as search_fts
-- (workers/domain/search/index.ts). tokenchars '_' keeps an id ("com_…") one token.
CREATE VIRTUAL TABLE `search_grams` USING fts5(
	title_grams,
	body_grams,
	scope,
	content='',
	contentless_delete=1,
	tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);
--> statement-breakpoint
-- Bounded jobs over the index, by name. 'cjk_grams' gives the documents indexed before this
-- migration their grams (workers/domain/search/grams-backfill.ts, a step per cron tick; a full
-- rebuild also finishes it); until done_at is set, searches scan with LIKE. An empty index has
-- nothing to fill.
CREATE TABLE `search_backfills` (
	`name` text PRIMARY KEY,
	`after_rowid` integer NOT NULL DEFAULT 0,
	`done_at` integer
);
--> statement-breakpoint
INSERT INTO `search_backfills` (`name`, `done_at`)
SELECT 'cjk_grams', CASE WHEN EXISTS (SELECT 1 FROM `search_docs`) THEN NULL ELSE unixepoch() * 1000 END;
