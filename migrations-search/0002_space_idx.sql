-- Archiving a space removes its documents from the index (workers/domain/search/index.ts
-- removeSpace): with this index that reads the space's rows, not the whole community's.
CREATE INDEX `search_docs_space_idx` ON `search_docs` (`community_id`, `space_id`);
