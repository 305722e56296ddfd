/**
 * Hasura container settings that are plain data (no secrets): kept here so tests can read them directly.
 * Secrets (admin secret, database credentials) are injected by ECS from Secrets Manager.
 */
export const HASURA_PORT = 8080;
/** Cap for a db.t4g.micro (about 80 connections in total, shared with the sink and schema Lambdas). */
export const HASURA_PG_CONNECTIONS = 8;

export const HASURA_ENVIRONMENT: Record<string, string> = {
  HASURA_GRAPHQL_SERVER_PORT: String(HASURA_PORT),
  HASURA_GRAPHQL_ENABLE_CONSOLE: 'false',
  HASURA_GRAPHQL_DEV_MODE: 'false',
  HASURA_GRAPHQL_ENABLE_TELEMETRY: 'false',
  // Requests without the admin secret run as this role; metadata.json grants it read access and viewer_config writes.
  HASURA_GRAPHQL_UNAUTHORIZED_ROLE: 'anonymous',
  // Only the viewer's own documents run for the anonymous role (the query collection in metadata.json, generated
  // from the viewer's operations): no introspection, no bulk mutations, no alias floods, no ad hoc filters.
  HASURA_GRAPHQL_ENABLE_ALLOWLIST: 'true',
  HASURA_GRAPHQL_ENABLED_APIS: 'graphql,metadata',
  HASURA_GRAPHQL_PG_CONNECTIONS: String(HASURA_PG_CONNECTIONS),
  HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE: '5',
  HASURA_GRAPHQL_ENABLED_LOG_TYPES: 'startup,http-log,webhook-log,websocket-log',
};

/**
 * ECS cannot compose a URL from secret fields, so the container does it at start. The password is generated
 * without URL-reserved characters (DB_PASSWORD_EXCLUDED_CHARACTERS), so no escaping is needed. RDS enforces TLS.
 */
export const HASURA_START_COMMAND =
  'export HASURA_GRAPHQL_DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/$DB_NAME?sslmode=require" && exec graphql-engine serve';
