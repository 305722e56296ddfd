import { z } from 'zod';

/**
 * The operator's configuration (SPEC §2), read from one place: the CDK context keys `perftool:<name>` in cdk.json,
 * each overridable on the command line with `-c perftool:<name>=<value>`. Command-line values arrive as strings,
 * so numbers, booleans and lists are parsed from strings too. Every invalid value fails synth with one line
 * naming the key, the value and the rule.
 */
export const CONTEXT_PREFIX = 'perftool:';

const POSTGRES_RESERVED = new Set(['postgres', 'rdsadmin', 'rdsrepladmin', 'rds_superuser', 'admin', 'public', 'template0', 'template1', 'user']);

function fromString<T extends z.ZodType>(parse: (s: string) => unknown, schema: T) {
  return z.preprocess((v) => (typeof v === 'string' ? parse(v.trim()) : v), schema);
}
const int = (rule: z.ZodNumber) => fromString((s) => (/^-?\d+$/.test(s) ? Number(s) : s), rule.int());
const bool = fromString((s) => (s === 'true' ? true : s === 'false' ? false : s), z.boolean({ error: 'must be true or false' }));
/** A list given as a JSON array in cdk.json, or as a comma-separated string with -c. */
const parseList = (s: string) => (s.startsWith('[') ? parseJsonOr(s) : s.split(',').map((x) => x.trim()).filter(Boolean));
const list = <T extends z.ZodType>(item: T) => fromString(parseList, z.array(item));
function parseJsonOr(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s; // the schema then reports the value as invalid
  }
}
const optionalString = <T extends z.ZodType>(rule: T) => z.preprocess((v) => (v === '' || v === null ? undefined : v), rule.optional());

const cidr = z.union([z.cidrv4(), z.cidrv6()], { error: 'must be an IPv4 or IPv6 CIDR such as 203.0.113.0/24' });

/**
 * Availability Zone IDs that a part of this stack is documented not to support (sources in README.md, "Availability
 * Zones"). IDs, not names: us-east-1a is a different physical zone in each account, use1-az3 is the same everywhere.
 */
export const UNSUPPORTED_AZ_IDS: Record<string, string> = {
  'use1-az3': 'MSK brokers and CloudFront VPC origins',
  'usw1-az2': 'CloudFront VPC origins',
  'apne1-az3': 'CloudFront VPC origins',
  'apne2-az1': 'CloudFront VPC origins',
  'cac1-az3': 'CloudFront VPC origins',
};
/** A list as for `list`; empty ("" or [], the cdk.json default) means unset. */
const azIds = z.preprocess(
  (v) => {
    const ids = typeof v === 'string' ? parseList(v.trim()) : v;
    return Array.isArray(ids) && ids.length === 0 ? undefined : ids;
  },
  z
    .array(z.string(), { error: 'must be a list of Availability Zone IDs such as use1-az1,use1-az2' })
    .superRefine((ids, ctx) => {
      const issue = (message: string) => ctx.addIssue({ code: 'custom', input: ids, message });
      if (!ids.every((id) => /^[a-z]{2,5}\d-az\d{1,2}$/.test(id))) {
        return issue('must be Availability Zone IDs such as use1-az1 (see aws ec2 describe-availability-zones), not names such as us-east-1a');
      }
      if (ids.length !== 2) return issue('must list exactly 2 Availability Zone IDs (the VPC spans 2 AZs)');
      if (ids[0] === ids[1]) return issue('must list 2 different Availability Zone IDs');
      if (ids[0].split('-')[0] !== ids[1].split('-')[0]) return issue('must list Availability Zone IDs of one region');
      for (const id of ids) if (UNSUPPORTED_AZ_IDS[id]) return issue(`${id} is not supported by ${UNSUPPORTED_AZ_IDS[id]}`);
    })
    .optional(),
);
const port = int(z.number({ error: 'must be an integer port' }).min(1, 'must be a port 1-65535').max(65535, 'must be a port 1-65535'));
const pgIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL identifier: lower-case letter or _, then letters, digits or _, at most 63')
  .refine((s) => !POSTGRES_RESERVED.has(s), 'must not be a name RDS or PostgreSQL reserves');
const acmArn = (region: string | null, what: string) =>
  z
    .string()
    .regex(
      new RegExp(`^arn:aws[a-z-]*:acm:${region ?? '[a-z0-9-]+'}:\\d{12}:certificate/[0-9a-f-]{36}$`),
      `must be an ACM certificate ARN${region ? ` in ${region}` : ''} (${what})`,
    );

export const SINK_POLLER_MODES = ['on-demand', 'provisioned'] as const;
export type SinkPollerMode = (typeof SINK_POLLER_MODES)[number];

const ACTIVE_HOURS_PATTERN = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
export const WEEK_DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** "MON-FRI", "SAT,SUN", "MON-WED,FRI" → sorted day indexes (0 = Monday). */
function parseActiveDays(text: string, ctx: z.RefinementCtx): number[] {
  const days = new Set<number>();
  const index = (d: string) => WEEK_DAYS.indexOf(d.trim().toUpperCase() as (typeof WEEK_DAYS)[number]);
  for (const part of text.split(',')) {
    const [from, to, ...rest] = part.split('-');
    const a = index(from);
    const b = to === undefined ? a : index(to);
    if (rest.length > 0 || a < 0 || b < 0 || b < a) {
      ctx.addIssue({ code: 'custom', input: text, message: 'must be days MON..SUN as a list or ranges such as MON-FRI or MON,WED,FRI' });
      return z.NEVER;
    }
    for (let d = a; d <= b; d++) days.add(d);
  }
  return [...days].sort((x, y) => x - y);
}

function isIanaTimeZone(name: string): boolean {
  // Region/City names (and UTC), as Application Auto Scaling takes them; abbreviations such as JST are refused.
  if (!/^(UTC|[A-Z][A-Za-z_-]+(\/[A-Za-z0-9_+-]+)+)$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const configSchema = z
  .object({
    /** Kafka topic the Pi publishes results to. */
    resultTopic: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,249}$/, 'must be 1-249 letters, digits, - or _')
      .default('perftool-sinetstream-result'),
    /** MQTT topic perftool measures; only used as the viewer's default perftool name. */
    targetTopic: z.string().trim().min(1, 'must not be empty').default('perftool-sinetstream-target'),
    /** MQTT port of the NLB (and of NATS behind it). */
    mqttPort: port.default(1883),
    /** CIDRs allowed to reach the MQTT listener and the public Kafka SASL/SCRAM port. 0.0.0.0/0 = everyone. */
    allowedCidrs: list(cidr).refine((a) => a.length > 0, 'must list at least one CIDR').default(['0.0.0.0/0']),
    /** Optional regional ACM certificate for an MQTT-over-TLS listener on 8883. */
    mqttTlsCertificateArn: optionalString(acmArn(null, 'in the stack region, for the NLB TLS listener')),
    webProtocol: z.enum(['http', 'https'], { error: "must be 'http' or 'https'" }).default('https'),
    /** Custom domain for the viewer; needs webCertificateArn. */
    webHostname: optionalString(
      z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case DNS hostname such as perftool.example.org'),
    ),
    webCertificateArn: optionalString(acmArn('us-east-1', 'CloudFront only uses us-east-1 certificates')),
    /**
     * Optional AWS WAF web ACL for the distribution (viewer and GraphQL API), e.g. with a rate-based rule. CloudFront
     * takes only web ACLs of CLOUDFRONT scope, which live in us-east-1.
     */
    webAclArn: optionalString(
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/,
          'must be a WAFv2 web ACL ARN of CloudFront scope, arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>',
        ),
    ),
    /** Optional e-mail address the CloudWatch alarms notify (through an SNS topic; AWS asks to confirm it). */
    alarmEmail: optionalString(z.email({ error: 'must be an e-mail address such as ops@example.org' })),
    dbName: pgIdentifier.default('sensor'),
    dbUser: pgIdentifier.default('sensor'),
    dbInstanceType: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as db.t4g.micro')
      .default('db.t4g.micro'),
    postgresVersion: z.enum(['16', '17'], { error: "must be '16' or '17'" }).default('17'),
    dbBackupRetentionDays: int(z.number().min(1, 'must be 1-35 days').max(35, 'must be 1-35 days')).default(7),
    dbDeletionProtection: bool.default(true),
    kafkaInstanceType: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an MSK broker type such as kafka.t3.small').default('kafka.t3.small'),
    /** Brokers in total; the VPC has 2 AZs and MSK needs a multiple of the AZ count. */
    kafkaBrokerCount: int(z.number().min(2, 'must be a multiple of 2 (one per AZ), at least 2').refine((n) => n % 2 === 0, 'must be a multiple of 2 (one per AZ)')).default(2),
    // MSK names versions like 3.6.0, 3.8.x (latest patch) and 3.9.x.kraft (KRaft mode). 3.8.x is the version MSK
    // recommends, without an end-of-support date (checked 2026; see README.md, "Configuration").
    kafkaVersion: z
      .string()
      .regex(/^\d+\.\d+\.(\d+|x)(\.kraft)?$/, 'must be an MSK Kafka version such as 3.8.x, 3.6.0 or 3.9.x.kraft')
      .default('3.8.x'),
    kafkaVolumeGiB: int(z.number().min(1, 'must be 1-16384 GiB').max(16384, 'must be 1-16384 GiB')).default(10),
    resultTopicPartitions: int(z.number().min(1, 'must be 1-1000').max(1000, 'must be 1-1000')).default(2),
    resultTopicReplication: int(z.number().min(1, 'must be at least 1')).default(2),
    /**
     * Pins the VPC's two AZs by ID (e.g. use1-az1,use1-az2); unset, CloudFormation picks the region's first two.
     * Set it before the first deploy: changing it later replaces every subnet and what is in them.
     */
    availabilityZoneIds: azIds,
    /** Turn on MSK public access (SASL/SCRAM on 9196) after the cluster exists. */
    kafkaPublicAccess: bool.default(true),
    sinkBatchSize: int(z.number().min(1, 'must be 1-10000').max(10000, 'must be 1-10000')).default(500),
    sinkBatchWindowSeconds: int(z.number().min(0, 'must be 0-300 seconds').max(300, 'must be 0-300 seconds')).default(5),
    /**
     * How Lambda polls the result topic. on-demand: no poller charge, a failing batch is retried until it succeeds.
     * provisioned: one always-on event poller (billed hourly) with bisect, bounded retries and an S3 on-failure bucket.
     */
    sinkPollerMode: z.enum(SINK_POLLER_MODES, { error: "must be 'on-demand' or 'provisioned'" }).default('on-demand'),
    /** Optional daily window (local time, HH:MM-HH:MM) outside which Hasura and NATS are scaled to zero tasks. */
    activeHours: optionalString(
      z.string().refine((s) => ACTIVE_HOURS_PATTERN.test(s) && s.slice(0, 5) !== s.slice(6), 'must be HH:MM-HH:MM (24-hour clock, start and end differ) such as 08:00-20:00'),
    ),
    /** Days on which activeHours start (e.g. MON-FRI or MON,WED,FRI); every day when unset. */
    activeDays: optionalString(z.string().transform(parseActiveDays)),
    /** IANA time zone of activeHours and activeDays, e.g. Asia/Tokyo; required with activeHours. */
    activeTimeZone: optionalString(z.string().refine(isIanaTimeZone, 'must be an IANA time zone name such as Asia/Tokyo or UTC')),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Boolean(c.webHostname) !== Boolean(c.webCertificateArn)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.webHostname ? 'webCertificateArn' : 'webHostname'],
        input: c.webHostname ? c.webCertificateArn : c.webHostname,
        message: 'webHostname and webCertificateArn must be set together or not at all',
      });
    }
    if (c.webProtocol === 'http' && c.webHostname) {
      ctx.addIssue({ code: 'custom', path: ['webHostname'], input: c.webHostname, message: "a custom domain needs webProtocol 'https'" });
    }
    if (c.activeHours && !c.activeTimeZone) {
      ctx.addIssue({ code: 'custom', path: ['activeTimeZone'], input: c.activeTimeZone, message: 'must be set with activeHours (an IANA time zone such as Asia/Tokyo)' });
    }
    if (!c.activeHours && (c.activeDays || c.activeTimeZone)) {
      const key = c.activeDays ? 'activeDays' : 'activeTimeZone';
      ctx.addIssue({ code: 'custom', path: [key], input: undefined, message: 'has no effect without activeHours' });
    }
    if (c.resultTopicReplication > c.kafkaBrokerCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['resultTopicReplication'],
        input: c.resultTopicReplication,
        message: `must not exceed kafkaBrokerCount (${c.kafkaBrokerCount})`,
      });
    }
  });

export type PerftoolConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

function describeValue(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

/** Parses raw values (keys without the prefix); throws ConfigError with one line per invalid key. */
export function parseConfig(raw: Record<string, unknown>): PerftoolConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `invalid configuration ${CONTEXT_PREFIX}${k} = ${describeValue(raw[k])}: unknown key`).join('\n');
    }
    const key = String(issue.path[0] ?? '');
    const value = 'input' in issue && issue.input !== undefined ? issue.input : raw[key];
    return `invalid configuration ${CONTEXT_PREFIX}${key} = ${describeValue(value)}: ${issue.message}`;
  });
  throw new ConfigError(lines.join('\n'));
}

/** Reads every `perftool:*` context value (cdk.json and -c) and validates it. */
export function configFromContext(getContext: (key: string) => unknown, keys: string[]): PerftoolConfig {
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    if (!key.startsWith(CONTEXT_PREFIX)) continue;
    raw[key.slice(CONTEXT_PREFIX.length)] = getContext(key);
  }
  return parseConfig(raw);
}
