import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { START_GRACE_MINUTES } from '../../lib/active-hours';
import { ConfigError, parseConfig } from '../../lib/config';
import { MetricDataQuery, evaluateAlarmMetrics } from '../support/metric-math';
import { Synthesised, logicalIdOf, synthesise } from './synth';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
const resources = (tpl: Template, type: string) => Object.entries(tpl.findResources(type)) as Array<[string, Resource]>;
const interfaceEndpointServices = (tpl: Template) =>
  resources(tpl, 'AWS::EC2::VPCEndpoint')
    .filter(([, r]) => r.Properties.VpcEndpointType === 'Interface')
    .map(([, r]) => /\.([a-z-]+)"?\]*$/.exec(JSON.stringify(r.Properties.ServiceName).replace(/"\]\]\}$/, ''))?.[1] ?? JSON.stringify(r.Properties.ServiceName))
    .sort();

describe('cost options: configuration', () => {
  test('defaults: on-demand event pollers, no schedule', () => {
    const c = parseConfig({});
    expect(c.sinkPollerMode).toBe('on-demand');
    expect(c.activeHours).toBeUndefined();
  });

  test('active days accept lists and ranges of MON..SUN, case-insensitive', () => {
    const days = (activeDays: string) => parseConfig({ activeHours: '08:00-20:00', activeTimeZone: 'Asia/Tokyo', activeDays }).activeDays;
    expect(days('MON-FRI')).toEqual([0, 1, 2, 3, 4]);
    expect(days('sat,SUN')).toEqual([5, 6]);
    expect(days('MON-WED,FRI')).toEqual([0, 1, 2, 4]);
  });

  test.each(['Asia/Tokyo', 'America/Argentina/Buenos_Aires', 'Etc/GMT-9', 'UTC'])('time zone %s is accepted', (activeTimeZone) => {
    expect(parseConfig({ activeHours: '08:00-20:00', activeTimeZone }).activeTimeZone).toBe(activeTimeZone);
  });

  test.each([
    [{ sinkPollerMode: 'provisoned' }, `invalid configuration perftool:sinkPollerMode = "provisoned": must be 'on-demand' or 'provisioned'`],
    [{ activeHours: '8-20', activeTimeZone: 'UTC' }, 'invalid configuration perftool:activeHours = "8-20": must be HH:MM-HH:MM (24-hour clock, start and end differ) such as 08:00-20:00'],
    [{ activeHours: '08:00-24:00', activeTimeZone: 'UTC' }, 'invalid configuration perftool:activeHours = "08:00-24:00": must be HH:MM-HH:MM (24-hour clock, start and end differ) such as 08:00-20:00'],
    [{ activeHours: '08:00-08:00', activeTimeZone: 'UTC' }, 'invalid configuration perftool:activeHours = "08:00-08:00": must be HH:MM-HH:MM (24-hour clock, start and end differ) such as 08:00-20:00'],
    [{ activeHours: '08:00-20:00' }, 'invalid configuration perftool:activeTimeZone = (unset): must be set with activeHours (an IANA time zone such as Asia/Tokyo)'],
    [{ activeHours: '08:00-20:00', activeTimeZone: 'JST' }, 'invalid configuration perftool:activeTimeZone = "JST": must be an IANA time zone name such as Asia/Tokyo or UTC'],
    [{ activeHours: '08:00-20:00', activeTimeZone: 'Asia/Tokio' }, 'invalid configuration perftool:activeTimeZone = "Asia/Tokio": must be an IANA time zone name such as Asia/Tokyo or UTC'],
    [{ activeHours: '08:00-20:00', activeTimeZone: 'UTC', activeDays: 'FRI-MON' }, 'invalid configuration perftool:activeDays = "FRI-MON": must be days MON..SUN as a list or ranges such as MON-FRI or MON,WED,FRI'],
    [{ activeHours: '08:00-20:00', activeTimeZone: 'UTC', activeDays: 'weekdays' }, 'invalid configuration perftool:activeDays = "weekdays": must be days MON..SUN as a list or ranges such as MON-FRI or MON,WED,FRI'],
    [{ activeDays: 'MON-FRI' }, 'invalid configuration perftool:activeDays = "MON-FRI": has no effect without activeHours'],
  ])('%j fails with one line naming key, value and rule', (raw, message) => {
    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(new Error(message)); // the whole message, exactly
  });
});

describe('cost options: event poller modes', () => {
  let onDemand: Synthesised;
  let provisioned: Synthesised;
  beforeAll(() => {
    onDemand = synthesise();
    // With cdk-nag: synthesis throws on any unacknowledged finding.
    provisioned = synthesise({ sinkPollerMode: 'provisioned' }, { nag: true });
  });
  const esmOf = (s: Synthesised) => {
    const all = resources(s.template, 'AWS::Lambda::EventSourceMapping');
    expect(all).toHaveLength(1);
    return all[0][1].Properties;
  };

  test('on-demand (default): no poller config and none of the provisioned-mode error controls; no failed-batches bucket', () => {
    const esm = esmOf(onDemand);
    for (const key of ['ProvisionedPollerConfig', 'BisectBatchOnFunctionError', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds', 'DestinationConfig', 'FunctionResponseTypes']) {
      expect(esm).not.toHaveProperty(key);
    }
    expect(onDemand.stack.sink.failedBatches).toBeUndefined();
    // Only the viewer bucket (and CDK's asset handling) remain: no bucket names failed batches.
    expect(JSON.stringify(onDemand.template.toJSON())).not.toMatch(/FailedBatches/);
  });

  test('provisioned: one poller, bisect, 3 retries, then the batch lands in the S3 bucket', () => {
    const esm = esmOf(provisioned);
    expect(esm).toMatchObject({
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 1 },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(provisioned.stack as Stack, provisioned.stack.sink.failedBatches!), 'Arn'] } } },
    });
  });

  test('the sink-errors alarm tells what happens to failing batches in each mode', () => {
    const description = (s: Synthesised) =>
      s.template.toJSON().Resources[logicalIdOf(s.stack as Stack, s.stack.monitoring.alarms[0])].Properties.AlarmDescription as string;
    expect(description(onDemand)).toMatch(/the partition waits until the batch succeeds/);
    expect(description(onDemand)).not.toMatch(/bucket/);
    expect(description(provisioned)).toMatch(/ends in the failed-batches bucket/);
  });

  test('each mode has exactly the interface endpoints it needs: on-demand Lambda, STS and Secrets Manager; provisioned Secrets Manager only', () => {
    expect(interfaceEndpointServices(onDemand.template)).toEqual(['lambda', 'secretsmanager', 'sts']);
    expect(interfaceEndpointServices(provisioned.template)).toEqual(['secretsmanager']);
    // The free S3 gateway stays in both (provisioned mode's on-failure records).
    for (const s of [onDemand, provisioned]) {
      expect(resources(s.template, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Gateway')).toHaveLength(1);
    }
  });

  test('no schedule by default: no scalable target, and the health alarms watch the healthy-target metric itself', () => {
    onDemand.template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    for (const alarm of [onDemand.stack.monitoring.alarms[1], onDemand.stack.monitoring.alarms[2]]) {
      expect(onDemand.template.toJSON().Resources[logicalIdOf(onDemand.stack as Stack, alarm)].Properties).toMatchObject({ MetricName: 'HealthyHostCount' });
    }
  });

  test('no function code calls Lambda or STS, so provisioned mode can drop their endpoints; code in the VPC reads Secrets Manager', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ts$/.test(name)) files.push(path);
      }
    };
    walk(join(__dirname, '..', '..', 'lambda'));
    const source = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(source).not.toMatch(/@aws-sdk\/client-(lambda|sts)\b|credential-providers|fromTemporaryCredentials|AssumeRole/);
    expect(source).toMatch(/parameters\/secrets|client-secrets-manager/);
    // Every function in the VPC is in the isolated subnets, which reach Secrets Manager through the endpoint in both modes.
    const vpcFunctions = resources(provisioned.template, 'AWS::Lambda::Function').filter(([, r]) => r.Properties.VpcConfig);
    expect(vpcFunctions.length).toBeGreaterThanOrEqual(4);
    for (const [, fn] of vpcFunctions) expect(JSON.stringify(fn.Properties.VpcConfig.SubnetIds)).toMatch(/isolatedSubnet/);
  });
});

describe('cost options: active hours', () => {
  type Alarm = { Properties: { Metrics?: MetricDataQuery[]; MetricName?: string; Threshold: number; ComparisonOperator: string; TreatMissingData: string } };
  // With cdk-nag: synthesis throws on any unacknowledged finding.
  const scheduled = (overrides: Record<string, unknown>) => synthesise({ alarmEmail: 'ops@example.org', ...overrides }, { nag: true, cfnValidate: true });


  describe('08:00-20:00 Monday to Friday in Europe/Berlin (daylight saving time)', () => {
    let s: Synthesised;
    beforeAll(() => {
      s = scheduled({ activeHours: '08:00-20:00', activeDays: 'MON-FRI', activeTimeZone: 'Europe/Berlin' });
    });

    test('Hasura and NATS each get one task at 08:00 and none at 20:00, Monday to Friday, in the named time zone', () => {
      const targets = resources(s.template, 'AWS::ApplicationAutoScaling::ScalableTarget');
      expect(targets).toHaveLength(2);
      const serviceIds = [s.stack.graphql.service, s.stack.mqtt.service].map((svc) => logicalIdOf(s.stack as Stack, svc));
      for (const [, target] of targets) {
        expect(target.Properties).toMatchObject({ ScalableDimension: 'ecs:service:DesiredCount', ServiceNamespace: 'ecs', MinCapacity: 0, MaxCapacity: 1 });
        expect(serviceIds.some((id) => JSON.stringify(target.Properties.ResourceId).includes(id))).toBe(true);
        const actions = target.Properties.ScheduledActions.map((a: any) => ({ schedule: a.Schedule, tz: a.Timezone, ...a.ScalableTargetAction }));
        expect(actions).toEqual(expect.arrayContaining([
          { schedule: 'cron(0 8 ? * MON,TUE,WED,THU,FRI *)', tz: 'Europe/Berlin', MinCapacity: 1, MaxCapacity: 1 },
          { schedule: 'cron(0 20 ? * MON,TUE,WED,THU,FRI *)', tz: 'Europe/Berlin', MinCapacity: 0, MaxCapacity: 0 },
        ]));
        expect(actions).toHaveLength(2);
      }
    });

    test('health alarms fire only inside the active hours (from start + grace), minute by minute across both DST changes of 2027', () => {
      const alarms = [s.stack.monitoring.alarms[1], s.stack.monitoring.alarms[2]]
        .map((a) => s.template.toJSON().Resources[logicalIdOf(s.stack as Stack, a)] as Alarm);
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      const expected = (at: Date) => {
        const parts = Object.fromEntries(local.formatToParts(at).map((p) => [p.type, p.value]));
        const minute = Number(parts.hour) * 60 + Number(parts.minute);
        return ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'].includes(parts.weekday) && minute >= 8 * 60 + START_GRACE_MINUTES && minute < 20 * 60;
      };
      // Weeks around 2027-03-28 (CET → CEST) and 2027-10-31 (CEST → CET), and one in summer.
      const weeks = [Date.UTC(2027, 2, 24), Date.UTC(2027, 6, 5), Date.UTC(2027, 9, 27)];
      // Both alarms watch the same schedule; only the metric differs.
      const expressions = (a: Alarm) => a.Properties.Metrics!.filter((q) => q.Expression);
      expect(expressions(alarms[0])).toEqual(expressions(alarms[1]));
      // Well within PutMetricAlarm's limits: 10 expressions, 2,048 characters each.
      expect(expressions(alarms[0]).length).toBeLessThanOrEqual(10);
      for (const q of expressions(alarms[0])) expect(q.Expression!.length).toBeLessThanOrEqual(1024);
      for (const alarm of alarms) {
        expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
        const queries = alarm.Properties.Metrics!;
        expect(queries.find((q) => q.Id === 'healthy')).toMatchObject({ MetricStat: { Metric: { MetricName: 'HealthyHostCount' }, Stat: 'Maximum', Period: 60 } });
        // The time of day comes from a metric published every minute whatever the services do (the database's CPU).
        expect(queries.find((q) => q.Id === 'clock')).toMatchObject({ MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'CPUUtilization' }, Period: 60 } });
        const allExpressions = queries.map((q) => q.Expression ?? '').join('\n');
        expect(allExpressions).toMatch(/HOUR\(clock\)/);
        expect(allExpressions).not.toMatch(/(YEAR|MONTH|DATE|DAY|HOUR|MINUTE)\(healthy\)/);
      }
      // The expressions are equal (above), so walking the minutes of one alarm covers both.
      const queries = alarms[1].Properties.Metrics!;
      let watchedMinutes = 0;
      for (const start of weeks) {
        for (let t = start; t < start + 7 * 86_400_000; t += 60_000) {
          const at = new Date(t);
          // No healthy-target data at all (no task registered), or one healthy task; the clock always reports.
          const noTask = evaluateAlarmMetrics(queries, at, (id) => (id === 'clock' ? 5 : undefined))!;
          const oneTask = evaluateAlarmMetrics(queries, at, (id) => (id === 'clock' ? 5 : 1))!;
          const breaching = noTask < alarms[1].Properties.Threshold;
          if (breaching !== expected(at)) throw new Error(`at ${at.toISOString()} the alarm ${breaching ? 'watches' : 'is silent'}`);
          expect(oneTask).toBe(1);
          if (breaching) watchedMinutes++;
        }
      }
      // 3 weeks × 5 days × (12 h − grace).
      expect(watchedMinutes).toBe(3 * 5 * (12 * 60 - START_GRACE_MINUTES));
    });
  });

  test('the scheduled stack passes CloudFormation validation (cdk-nag and CloudFormation Validate report nothing)', () => {
    const s = scheduled({ activeHours: '08:00-20:00', activeTimeZone: 'UTC' });
    const report = JSON.parse(readFileSync(join(s.app.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  test('a window across midnight scales down the next morning, also past the end of the week; alarms follow in Asia/Tokyo', () => {
    const s = scheduled({ activeHours: '22:00-06:30', activeDays: 'SAT,SUN', activeTimeZone: 'Asia/Tokyo' });
    const [[, target]] = resources(s.template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target.Properties.ScheduledActions.map((a: any) => [a.Schedule, a.ScalableTargetAction.MaxCapacity])).toEqual(expect.arrayContaining([
      ['cron(0 22 ? * SAT,SUN *)', 1],
      ['cron(30 6 ? * MON,SUN *)', 0],
    ]));
    const alarm = s.template.toJSON().Resources[logicalIdOf(s.stack as Stack, s.stack.monitoring.alarms[2])] as Alarm;
    const at = (iso: string) => evaluateAlarmMetrics(alarm.Properties.Metrics!, new Date(iso), (id) => (id === 'clock' ? 5 : undefined));
    // Tokyo is UTC+9: Saturday 22:10 JST = Saturday 13:10 UTC.
    expect(at('2027-06-05T13:09:00Z')).toBe(1); // inside the grace period
    expect(at('2027-06-05T13:10:00Z')).toBe(0);
    expect(at('2027-06-06T21:29:00Z')).toBe(0); // Monday 06:29 JST, the Sunday window
    expect(at('2027-06-06T21:30:00Z')).toBe(1);
    expect(at('2027-06-04T13:30:00Z')).toBe(1); // Friday 22:30 JST
  });
});
