#!/usr/bin/env node
// `npm run pi-config`: writes a Raspberry Pi's SINETStream config and runner env file (lib/operator/pi-config-cli.ts).
import { processIo, quietAwsSdk } from '../lib/operator/cli';
import { piConfigMain } from '../lib/operator/pi-config-cli';

quietAwsSdk();
void piConfigMain(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code;
});
