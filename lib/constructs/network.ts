import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ownedLogGroup } from './log-group';

/**
 * Two AZs, public + isolated subnets, no NAT gateway. MSK needs public subnets for public access; everything in
 * the isolated subnets reaches AWS APIs through endpoints: Secrets Manager (the in-VPC Lambdas reading credentials,
 * and the event source mapping reading the sink's SCRAM secret), and, for event pollers in on-demand mode, Lambda +
 * STS: they sit in the cluster's (public) subnets without public IPs, where a NAT gateway would not help (design
 * notes §0.3). Provisioned-mode pollers need neither. S3 is a free gateway endpoint (on-failure records).
 */
export const VPC_CIDR = '10.40.0.0/16';

export interface NetworkProps {
  /** The sink's event source mapping uses on-demand event pollers, which call Lambda and STS from the VPC. */
  onDemandEventPollers: boolean;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly interfaceEndpoints: { secretsManager: ec2.InterfaceVpcEndpoint; lambda?: ec2.InterfaceVpcEndpoint; sts?: ec2.InterfaceVpcEndpoint };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    // Rejected traffic only: enough to debug security groups at a fraction of full flow-log volume.
    this.vpc.addFlowLog('RejectedFlows', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        ownedLogGroup(this, 'FlowLogs'),
      ),
    });
    // One AZ per endpoint keeps the hourly cost down; the other AZ reaches it through private DNS.
    const endpointSubnets = { subnets: [this.vpc.isolatedSubnets[0]] };
    const endpoint = (name: string, service: ec2.InterfaceVpcEndpointAwsService) => {
      const sg = new ec2.SecurityGroup(this, `${name}SecurityGroup`, {
        vpc: this.vpc,
        description: `${name}: HTTPS from inside the VPC`,
        allowAllOutbound: false,
      });
      sg.addIngressRule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from the VPC');
      return this.vpc.addInterfaceEndpoint(name, { service, subnets: endpointSubnets, privateDnsEnabled: true, open: false, securityGroups: [sg] });
    };
    this.interfaceEndpoints = {
      secretsManager: endpoint('SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER),
      ...(props.onDemandEventPollers
        ? { lambda: endpoint('LambdaEndpoint', ec2.InterfaceVpcEndpointAwsService.LAMBDA), sts: endpoint('StsEndpoint', ec2.InterfaceVpcEndpointAwsService.STS) }
        : {}),
    };
  }

  /** Subnets for functions and data stores that must not be reachable from the internet. */
  get isolatedSubnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  }

  get publicSubnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PUBLIC };
  }

  /**
   * Places the subnets by AZ ID (config availabilityZoneIds) instead of AZ name: names map to different physical
   * zones in each account, and MSK and CloudFront VPC origins document their unsupported zones by ID. Subnet i of
   * each tier goes to ids[i].
   */
  pinAvailabilityZones(ids: string[]): void {
    for (const subnets of [this.vpc.publicSubnets, this.vpc.isolatedSubnets]) {
      subnets.forEach((subnet, i) => {
        const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
        cfn.addPropertyDeletionOverride('AvailabilityZone');
        cfn.addPropertyOverride('AvailabilityZoneId', ids[i]);
      });
    }
  }
}
