import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** A security-group peer for a configured CIDR (IPv4 or IPv6). */
export function peerFor(cidr: string): ec2.IPeer {
  return cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
}
