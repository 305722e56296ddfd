import { TimeZone } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { ActiveHours, scalingTimes } from '../active-hours';

export interface ActiveHoursScheduleProps {
  activeHours: ActiveHours;
  /** Services that run one task inside the window and none outside it. */
  services: Record<string, ecs.FargateService>;
}

/**
 * Scales the given Fargate services to one task at the start of the active hours and to zero at their end, with
 * Application Auto Scaling scheduled actions in the configured time zone (no charge of their own).
 */
export class ActiveHoursSchedule extends Construct {
  constructor(scope: Construct, id: string, props: ActiveHoursScheduleProps) {
    super(scope, id);
    const { up, down } = scalingTimes(props.activeHours);
    const timeZone = TimeZone.of(props.activeHours.timeZone);
    for (const [name, service] of Object.entries(props.services)) {
      const capacity = service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: 1 });
      capacity.scaleOnSchedule(`${name}Start`, { schedule: appscaling.Schedule.cron(up), timeZone, minCapacity: 1, maxCapacity: 1 });
      capacity.scaleOnSchedule(`${name}Stop`, { schedule: appscaling.Schedule.cron(down), timeZone, minCapacity: 0, maxCapacity: 0 });
    }
  }
}
