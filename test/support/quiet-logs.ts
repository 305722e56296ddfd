// Imported first by handler tests: Powertools reads the level when a handler module creates its logger.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
