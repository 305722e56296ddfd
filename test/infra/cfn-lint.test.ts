/**
 * AWS CloudFormation's own rules, through the real cfn-lint (PyPI, pinned), over every configuration the tests
 * synthesise: no errors, and only the warnings listed below, each with its reason (also in README.md).
 */
import { cfnLint, CfnLintFinding } from '../support/cfn-lint';
import { CUSTOM_DOMAIN, synthesise } from './synth';

/** Rule ID → why the warning stays. */
const ACCEPTED_CFN_LINT_WARNINGS: Record<string, string> = {
  W3005:
    "CDK makes each Lambda function DependsOn its role as well as referencing the role's ARN; the duplicate dependency is redundant and harmless",
};

const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  defaults: {},
  'custom domain': CUSTOM_DOMAIN,
  'every option': {
    ...CUSTOM_DOMAIN,
    availabilityZoneIds: 'apne1-az4,apne1-az1',
    postgresVersion: '16',
    dbDeletionProtection: false,
    kafkaBrokerCount: 4,
    resultTopicReplication: 3,
    resultTopicPartitions: 8,
  },
  'Kafka public access off': { kafkaPublicAccess: false },
};
// us-east-1 (CloudFront's certificates and web ACLs) and Tokyo (where SINET sites deploy).
const REGIONS = ['us-east-1', 'ap-northeast-1'];

let findings: CfnLintFinding[];
beforeAll(async () => {
  const templates = Object.fromEntries(Object.entries(CONFIGURATIONS).map(([name, overrides]) => [name, synthesise(overrides).template.toJSON()]));
  // A known-bad template goes through the same run, to show that findings reach the assertions.
  const knownBad = { Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicNam: 'x' } } } };
  findings = await cfnLint({ ...templates, 'known bad': knownBad }, REGIONS);
}, 300_000);

const describeFinding = (f: CfnLintFinding) => `${f.template}: ${f.rule} ${f.message} (${f.path})`;

test.each(Object.keys(CONFIGURATIONS))('%s: no cfn-lint errors, and no warnings beyond the accepted ones', (name) => {
  const mine = findings.filter((f) => f.template === name);
  expect(mine.filter((f) => f.level === 'Error').map(describeFinding)).toEqual([]);
  expect(mine.filter((f) => f.level === 'Warning' && !ACCEPTED_CFN_LINT_WARNINGS[f.rule]).map(describeFinding)).toEqual([]);
});

test('every accepted warning still occurs (the list names no rule that no longer fires)', () => {
  const fired = new Set(findings.filter((f) => f.template !== 'known bad').map((f) => f.rule));
  expect(Object.keys(ACCEPTED_CFN_LINT_WARNINGS).filter((rule) => !fired.has(rule))).toEqual([]);
});

test('the harness reports what cfn-lint finds: an invalid property is an error', () => {
  expect(findings).toContainEqual(expect.objectContaining({ template: 'known bad', level: 'Error', rule: 'E3002' }));
});
