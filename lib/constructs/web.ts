import { DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { PerftoolConfig } from '../config';
import { contentSecurityPolicy } from '../web/security-headers';
import { buildViewerInto } from '../web/viewer-build';
import { Graphql } from './graphql';
import { ownedLogGroup } from './log-group';
import { REPO_ROOT } from './node-function';

export const GRAPHQL_PATH_PATTERN = '/v1/graphql*';
const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';

export interface WebProps {
  config: PerftoolConfig;
  graphql: Graphql;
}

/** The viewer on S3 + CloudFront, and /v1/graphql* through CloudFront to the internal Hasura ALB (VPC origin). */
export class Web extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly bucket: s3.Bucket;
  /** Host name browsers use (custom domain or the CloudFront domain). */
  readonly hostname: string;
  /** The AWS WAF web ACL in front of the distribution, if the operator configured one. */
  readonly webAclArn?: string;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    const { config, graphql } = props;
    const customDomain = config.webHostname && config.webCertificateArn ? { host: config.webHostname, certificateArn: config.webCertificateArn } : undefined;

    this.bucket = new s3.Bucket(this, 'ViewerBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    const spaRewrite = new cloudfront.Function(this, 'SpaRewrite', {
      code: cloudfront.FunctionCode.fromFile({ filePath: join(REPO_ROOT, 'lib', 'web', 'spa-rewrite.js') }),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Serves index.html for the viewer client-side routes',
    });

    const stripHasuraHeaders = new cloudfront.Function(this, 'StripHasuraHeaders', {
      code: cloudfront.FunctionCode.fromFile({ filePath: join(REPO_ROOT, 'lib', 'web', 'strip-hasura-headers.js') }),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Removes x-hasura-* request headers: the internet reaches Hasura only as its anonymous role',
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'perftool viewer security headers',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(customDomain?.host), override: true },
      },
    });

    // Only CloudFront's origin-facing addresses may reach the internal ALB. The prefix list ID differs per
    // region, so it is looked up at deploy time (the stack is environment-agnostic).
    const prefixList = new cr.AwsCustomResource(this, 'CloudFrontPrefixList', {
      installLatestAwsSdk: false,
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST] }] },
        physicalResourceId: cr.PhysicalResourceId.of(CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      logGroup: ownedLogGroup(this, 'CloudFrontPrefixListLogs'),
    });
    // The prefix list weighs 55 rules: it gets the ALB's own security group, which has room for it.
    graphql.loadBalancerSecurityGroup.addIngressRule(
      ec2.Peer.prefixList(prefixList.getResponseField('PrefixLists.0.PrefixListId')),
      ec2.Port.tcp(80),
      'CloudFront origin-facing servers (VPC origin)',
    );

    const graphqlOrigin = origins.VpcOrigin.withApplicationLoadBalancer(graphql.loadBalancer, {
      // The hop inside AWS is HTTP: viewers always speak HTTPS to CloudFront.
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      httpPort: 80,
      readTimeout: Duration.seconds(60),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'perftool viewer and GraphQL API',
      defaultRootObject: 'index.html',
      domainNames: customDomain ? [customDomain.host] : undefined,
      certificate: customDomain ? acm.Certificate.fromCertificateArn(this, 'Certificate', customDomain.certificateArn) : undefined,
      // Only a custom certificate can raise the minimum TLS version (the default certificate's policy is fixed).
      minimumProtocolVersion: customDomain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      webAclId: config.webAclArn,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: spaRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        [GRAPHQL_PATH_PATTERN]: {
          origin: graphqlOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          // Forwards Sec-WebSocket-Key/-Version/-Protocol and the GraphQL request headers, minus x-hasura-*.
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
          functionAssociations: [{ function: stripHasuraHeaders, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        },
      },
    });
    this.hostname = customDomain?.host ?? this.distribution.distributionDomainName;
    this.webAclArn = config.webAclArn;

    new s3deploy.BucketDeployment(this, 'DeployViewer', {
      sources: [viewerAsset()],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
      logGroup: ownedLogGroup(this, 'DeployViewerLogs'),
    });
  }
}

/** The built viewer: `vite build` runs locally during synth (no Docker here). */
function viewerAsset(): s3deploy.ISource {
  return s3deploy.Source.asset(join(REPO_ROOT, 'viewer-assets'), {
    exclude: ['dist', 'node_modules'],
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22'),
      local: {
        tryBundle(outputDir: string): boolean {
          const warnings = buildViewerInto(outputDir);
          if (warnings) process.stderr.write(warnings);
          return true;
        },
      },
    },
  });
}
