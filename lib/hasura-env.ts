/**
 * Hasura container settings that are plain data (no secrets): kept here so tests can read them directly.
 * Secrets (admin secret, the credentials of its database role perftool_hasura) are injected by ECS from Secrets
 * Manager.
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
  // Where the task's first container leaves the RDS CA bundle (RDS_CA_FETCH_COMMAND) for libpq's sslrootcert.
  DB_CA_BUNDLE: '/rds-ca/global-bundle.pem',
};

/** The task volume the CA bundle is handed over in. */
export const RDS_CA_VOLUME = { name: 'rds-ca', path: '/rds-ca' };

/**
 * The RDS certificate authorities are not in public trust stores, and the Hasura image (Ubuntu, ca-certificates,
 * libpq; no curl) cannot fetch them: a short-lived container of an image that has curl downloads AWS's bundle over
 * verified HTTPS into the shared volume before Hasura starts. Amazon Linux 2023's major-version tag on purpose: it
 * only runs curl and should get its security updates. The task reaches the internet through its public IP.
 */
export const RDS_CA_FETCHER_IMAGE = 'public.ecr.aws/amazonlinux/amazonlinux:2023';
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
export const RDS_CA_FETCH_COMMAND =
  `curl --fail --silent --show-error --proto =https --tlsv1.2 --retry 5 --retry-all-errors --max-time 60 -o "$DB_CA_BUNDLE.part" ${RDS_CA_BUNDLE_URL}` +
  ' && grep -q "BEGIN CERTIFICATE" "$DB_CA_BUNDLE.part" && mv "$DB_CA_BUNDLE.part" "$DB_CA_BUNDLE"';

/**
 * ECS cannot compose a URL from secret fields, so the container does it at start. The password is generated
 * without URL-reserved characters (DB_PASSWORD_EXCLUDED_CHARACTERS), so no escaping is needed. libpq verifies the
 * server's certificate and host name against the RDS CA bundle (verify-full); without the bundle Hasura does not
 * start rather than connect unverified.
 */
export const HASURA_START_COMMAND =
  '[ -s "$DB_CA_BUNDLE" ] || { echo "the RDS CA bundle $DB_CA_BUNDLE is missing: refusing to connect unverified" >&2; exit 1; }' +
  ' && export HASURA_GRAPHQL_DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/$DB_NAME?sslmode=verify-full&sslrootcert=$DB_CA_BUNDLE"' +
  ' && exec graphql-engine serve';
